"""Build the predictive scaler's configuration from the platform model and ``settings.yaml``.

Per-unit capacities come from the platform model (SPEC sections 5-6): 1 WCU serves 60 writes/min; a
pod serves ``rps_per_instance`` API calls/s and a view makes ``api_calls_per_view`` of them. Every
written table of the model is sized, in every region of its stack. What a trending video does to
writes (SPEC 7's viral threshold, SPEC 8's surge profile), lead times, quantile and hysteresis come
from ``settings.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from controllers.predictive.models import (
    Demand,
    ForecastConfig,
    Frozen,
    PredictiveConfig,
    ResourceKind,
    ResourceSpec,
    TrendingRule,
)
from stacks.loading import ConfigError
from stacks.model import PlatformModel

SETTINGS_FILE = Path(__file__).with_name("settings.yaml")
SECONDS_PER_MIN = 60.0


class PredictiveSettings(Frozen):
    lead_times_s: dict[ResourceKind, float]
    az_loss_capacity_fraction: float = Field(gt=0, le=1)
    scale_in_below: float = Field(gt=0, lt=1)
    scale_in_after_s: float = Field(ge=0)
    margin: float = Field(ge=1)
    warm_settle_s: float = Field(ge=0)
    score_horizon_s: float = Field(gt=0)
    services: tuple[str, ...] = ()
    trending: TrendingRule
    write_target_utilisation: float = Field(gt=0, le=1)
    forecast: ForecastConfig


def load_settings(path: Path = SETTINGS_FILE) -> PredictiveSettings:
    """Read and validate the settings file; errors name the file and the key."""
    try:
        data = yaml.safe_load(path.read_text())
        return PredictiveSettings.model_validate(data)
    except FileNotFoundError:
        raise ConfigError(str(path), "-", "file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), "-", f"not valid YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "-"
        raise ConfigError(str(path), key, first["msg"]) from None


def written_tables(platform: PlatformModel) -> list[str]:
    """The platform model's tables that take writes (``writes_per_day`` > 0)."""
    return [t.name for t in platform.settings.tables if t.writes_per_day > 0]


def table_resources(
    platform: PlatformModel, settings: PredictiveSettings, tables: Sequence[str] | None = None
) -> list[ResourceSpec]:
    """Warm throughput and provisioned capacity of every written table, in every region of the stack."""
    return [
        ResourceSpec(
            kind=kind,
            name=table,
            region=region,
            demand=Demand.WRITES,
            events_per_unit_per_min=SECONDS_PER_MIN,
            lead_time_s=settings.lead_times_s[kind],
        )
        for region in platform.allowed_regions
        for table in (tables if tables is not None else written_tables(platform))
        for kind in (ResourceKind.TABLE_WARM, ResourceKind.TABLE_PROVISIONED)
    ]


def deployment_resources(platform: PlatformModel, settings: PredictiveSettings) -> list[ResourceSpec]:
    """API deployments in the home region, sized in pods from API calls per view."""
    region = platform.home_region
    if region is None:
        return []
    traffic = platform.traffic
    return [
        ResourceSpec(
            kind=ResourceKind.DEPLOYMENT,
            name=s.name,
            region=region,
            demand=Demand.VIEWS,
            per_event=traffic.api_calls_per_view,
            events_per_unit_per_min=traffic.rps_per_instance * SECONDS_PER_MIN,
            lead_time_s=settings.lead_times_s[ResourceKind.DEPLOYMENT],
            min_units=s.min_replicas,
            max_units=s.max_replicas,
        )
        for s in platform.settings.services
        if s.name in settings.services
    ]


def build_config(
    platforms: Sequence[PlatformModel],
    settings: PredictiveSettings | None = None,
    *,
    shadow: bool = False,
    kinds: frozenset[ResourceKind] = frozenset(ResourceKind),
    tables: Sequence[str] | None = None,
) -> PredictiveConfig:
    """The scaler's configuration for these stacks (global stacks hold no tables or services)."""
    s = settings or load_settings()
    stacks = [p for p in platforms if p.settings.kind == "jurisdiction"]
    both = [r for p in stacks for r in (*table_resources(p, s, tables), *deployment_resources(p, s))]
    resources = [r for r in both if r.kind in kinds]
    return PredictiveConfig(
        resources=tuple(resources),
        forecast=s.forecast,
        trending=s.trending,
        write_target_utilisation=s.write_target_utilisation,
        az_loss_capacity_fraction=s.az_loss_capacity_fraction,
        scale_in_below=s.scale_in_below,
        scale_in_after_s=s.scale_in_after_s,
        margin=s.margin,
        warm_settle_s=s.warm_settle_s,
        shadow=shadow,
        score_horizon_s=s.score_horizon_s,
    )

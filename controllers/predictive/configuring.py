"""Build the predictive scaler's configuration from the platform model and ``settings.yaml``.

Per-unit capacities and per-view rates come from the platform model (SPEC sections 5-6): 1 WCU
serves 60 writes/min; a view makes ``interactions_per_dau / views_per_dau`` writes, split over the
tables by their share of daily writes; a pod serves ``rps_per_instance`` API calls/s and a view makes
``api_calls_per_view`` of them. Lead times, quantile and hysteresis come from ``settings.yaml``.
"""

from __future__ import annotations

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
    score_horizon_s: float = Field(gt=0)
    services: tuple[str, ...] = ()
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


def table_resources(platform: PlatformModel, settings: PredictiveSettings) -> list[ResourceSpec]:
    """Warm throughput of every written table in the jurisdiction's home region."""
    region = platform.home_region
    tables = [t for t in platform.settings.tables if t.writes_per_day > 0]
    total = sum(t.writes_per_day for t in tables)
    if region is None or total == 0:
        return []
    writes_per_view = platform.traffic.interactions_per_dau / platform.traffic.views_per_dau
    return [
        ResourceSpec(
            kind=ResourceKind.TABLE_WARM,
            name=t.name,
            region=region,
            demand=Demand.WRITES,
            per_event=writes_per_view * t.writes_per_day / total,
            events_per_unit_per_min=SECONDS_PER_MIN,
            lead_time_s=settings.lead_times_s[ResourceKind.TABLE_WARM],
        )
        for t in tables
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
    platforms: list[PlatformModel],
    settings: PredictiveSettings | None = None,
    *,
    shadow: bool = False,
    kinds: frozenset[ResourceKind] = frozenset(ResourceKind),
) -> PredictiveConfig:
    """The scaler's configuration for these jurisdiction stacks."""
    s = settings or load_settings()
    resources = [r for p in platforms for r in (*table_resources(p, s), *deployment_resources(p, s)) if r.kind in kinds]
    return PredictiveConfig(
        resources=tuple(resources),
        forecast=s.forecast,
        az_loss_capacity_fraction=s.az_loss_capacity_fraction,
        scale_in_below=s.scale_in_below,
        scale_in_after_s=s.scale_in_after_s,
        margin=s.margin,
        shadow=shadow,
        score_horizon_s=s.score_horizon_s,
    )

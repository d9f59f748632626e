"""Pool scaling data: the weekly peak schedule, per-pool config from the platform model, decisions.

Every number the scaler uses comes from ``GpuPoolSpec`` (sizes, thresholds, throughput, start-up
time), the region's vCPU quota, the traffic model (uploads per day, regional shares) or
``weekly_peaks.yaml`` (when the known peaks are). Nothing here observes or acts.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from controllers.runtime.base import Decision
from ports.types import PoolState
from stacks.loading import ConfigError
from stacks.model import GpuPoolSpec, PlatformModel, StepThresholds

CONTROLLER = "pool-scaler"
PEAKS_FILE = Path(__file__).with_name("weekly_peaks.yaml")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WeeklyPeak(Frozen):
    """A recurring upload window and the share of that day's uploads it carries."""

    name: str
    days: tuple[Day, ...] = Field(min_length=1)
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-4]):[0-5]\d$")
    share_of_day: float = Field(gt=0, le=1)

    @property
    def start_minute(self) -> int:
        return minute_of(self.start)

    @property
    def end_minute(self) -> int:
        return minute_of(self.end)

    @property
    def hours(self) -> float:
        return (self.end_minute - self.start_minute) / 60.0

    @model_validator(mode="after")
    def _check_window(self) -> Self:
        if self.end_minute <= self.start_minute:
            raise ValueError(f"peak {self.name}: end {self.end} must be after start {self.start}")
        return self


class PeakSchedule(Frozen):
    """The known weekly peaks (``weekly_peaks.yaml``)."""

    lead_minutes: float = Field(ge=0)
    target_utilisation: float = Field(gt=0, le=1)
    timezones: dict[str, str]
    peaks: tuple[WeeklyPeak, ...]

    @field_validator("timezones")
    @classmethod
    def _check_zones(cls, value: dict[str, str]) -> dict[str, str]:
        from zoneinfo import ZoneInfo

        for jurisdiction, zone in value.items():
            try:
                ZoneInfo(zone)
            except Exception:
                raise ValueError(f"timezones.{jurisdiction}: unknown time zone {zone!r}") from None
        return value


def minute_of(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def load_peak_schedule(path: Path = PEAKS_FILE) -> PeakSchedule:
    """Read the weekly peaks; errors name the file and key (ConfigError, CLI exit 2)."""
    try:
        raw: Any = yaml.safe_load(path.read_text())
        return PeakSchedule.model_validate(raw)
    except FileNotFoundError:
        raise ConfigError(str(path), "-", "file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), "-", f"not valid YAML: {exc}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "-"
        raise ConfigError(str(path), key, err["msg"].removeprefix("Value error, ")) from None


class PoolScalingConfig(Frozen):
    """One pool's scaling numbers, from its spec, its region's quota and the peak schedule."""

    pool: str
    region: str
    jurisdiction: str
    role: Literal["home", "overflow"]
    min_size: int = Field(ge=0)
    max_size: int = Field(ge=0)
    quota_instances: int = Field(ge=0)
    thresholds: StepThresholds
    videos_per_hour_per_instance: float = Field(gt=0)
    startup_seconds: float = Field(ge=0)
    drain_target_s: float = Field(gt=0, description="queue wait the backlog target aims for")
    target_utilisation: float = Field(default=0.7, gt=0, le=1, description="arrival rate / capacity aimed for")
    timezone: str = "UTC"
    lead_minutes: float = Field(default=30, ge=0)
    peaks: tuple[WeeklyPeak, ...] = ()
    peak_instances: dict[str, int] = Field(default_factory=dict, description="peak name -> instances here")

    @property
    def cap(self) -> int:
        return min(self.max_size, self.quota_instances)

    @property
    def messages_per_instance(self) -> float:
        """Backlog one instance clears within ``drain_target_s`` (200 videos/h * 30 s = 1.7)."""
        return self.videos_per_hour_per_instance * self.drain_target_s / 3600.0


def jurisdiction_upload_share(platform: PlatformModel, jurisdiction: str) -> float:
    """Share of global uploads from a jurisdiction: its regions' share of traffic."""
    total = sum(r.traffic_share for r in platform.regions.values())
    mine = sum(r.traffic_share for r in platform.regions.values() if r.jurisdiction == jurisdiction)
    return mine / total if total > 0 else 0.0


def split_peak_instances(
    platform: PlatformModel, schedule: PeakSchedule, home: GpuPoolSpec | None, overflow: GpuPoolSpec | None
) -> dict[str, dict[str, int]]:
    """Per pool, per peak: instances to hold. The home pool takes what it can; overflow the rest."""
    jurisdiction = platform.settings.jurisdiction or ""
    share = jurisdiction_upload_share(platform, jurisdiction)
    out: dict[str, dict[str, int]] = {p.name: {} for p in (home, overflow) if p is not None}
    for peak in schedule.peaks:
        per_hour = platform.traffic.uploads_per_day * peak.share_of_day / peak.hours * share
        left = 0
        for spec in (home, overflow):
            if spec is None:
                continue
            need = math.ceil(per_hour / (spec.videos_per_hour_per_instance * schedule.target_utilisation))
            if spec is home:
                left = need
            take = min(left, cap_of(platform, spec))
            out[spec.name][peak.name] = take
            left -= take
    return out


def cap_of(platform: PlatformModel, spec: GpuPoolSpec) -> int:
    return min(spec.max_size, platform.regions[spec.region].gpu_vcpu_quota // spec.vcpus_per_instance)


def pool_configs(platform: PlatformModel, schedule: PeakSchedule, drain_target_s: float) -> list[PoolScalingConfig]:
    """Scaling configs for a jurisdiction stack's pools (empty for the global stack)."""
    jurisdiction = platform.settings.jurisdiction
    if jurisdiction is None:
        return []
    by_region = {p.region: p for p in platform.settings.pools}
    home, overflow = by_region.get(platform.home_region or ""), by_region.get(platform.overflow_region or "")
    floors = split_peak_instances(platform, schedule, home, overflow)
    return [
        PoolScalingConfig(
            pool=spec.name,
            region=spec.region,
            jurisdiction=jurisdiction,
            role="home" if spec is home else "overflow",
            min_size=spec.min_size,
            max_size=spec.max_size,
            quota_instances=platform.regions[spec.region].gpu_vcpu_quota // spec.vcpus_per_instance,
            thresholds=spec.thresholds,
            videos_per_hour_per_instance=spec.videos_per_hour_per_instance,
            startup_seconds=spec.startup_seconds,
            drain_target_s=drain_target_s,
            target_utilisation=schedule.target_utilisation,
            timezone=schedule.timezones.get(jurisdiction, "UTC"),
            lead_minutes=schedule.lead_minutes,
            peaks=schedule.peaks,
            peak_instances=floors.get(spec.name, {}),
        )
        for spec in (home, overflow)
        if spec is not None
    ]


class ScaleReason(StrEnum):
    """Which rule set the desired capacity (the largest requirement wins)."""

    PEAK_PRESCALE = "known_weekly_peak_prescale"
    BACKLOG_TARGET = "backlog_above_messages_per_instance_target"
    ARRIVAL_RATE = "arrival_rate_above_target_utilisation"
    STEP_OUT_LARGE = "queue_above_large_step_threshold"
    STEP_OUT_SMALL = "queue_above_small_step_threshold"
    WAIT_FOR_STARTING = "step_held_instances_still_starting"
    HOLD_BAND = "queue_in_hold_band"
    STEP_IN = "queue_below_scale_in_threshold"
    IDLE_SCALE_IN = "idle_past_terminate_minutes"
    KEEP_ONE_FOR_WORK = "work_waiting_keep_at_least_one"
    MIN_SIZE = "at_min_size"
    QUOTA_CAPPED = "capped_by_quota_or_max_size"
    STEADY = "no_rule_changes_capacity"


class PoolDecision(Frozen):
    """One pool's verdict with the numbers behind it."""

    pool: str
    action: Literal["scale_out", "scale_in", "hold"]
    reason: ScaleReason
    current: int
    desired: int
    queue_depth: int
    running: int
    starting: int
    requirements: dict[str, int] = Field(description="each rule's requirement, for the explanation")
    peak: str | None = None


class PoolScalingObservation(Frozen):
    """Pool states, plus each pool's estimated job arrival rate (jobs/hour) where one could be made."""

    states: tuple[PoolState, ...]
    arrivals_per_hour: dict[str, float] = Field(default_factory=dict)


class PoolScalingDecision(Decision):
    """All pools' verdicts; ``action`` is ``scale`` when any pool changes, else ``noop``."""

    pools: tuple[PoolDecision, ...] = ()

"""Scenarios as data: what traffic, which faults when, which mitigations, what is reported.

A scenario is a YAML file in ``sandbox/scenarios/`` validated into a frozen :class:`Scenario`. Errors
name the file and the key (``ScenarioError``, a ``ConfigError`` so CLIs exit 2 the same way). War
games flip mitigations with :meth:`Scenario.with_mitigations` to run a counterfactual.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ports.types import BillingMode, FaultKind
from sandbox.physics import Physics
from stacks.loading import ConfigError

SCENARIOS_DIR = Path(__file__).with_name("scenarios")
OUTCOME_KEYS = (
    "throttled_writes",
    "delayed_writes",
    "write_p99_ms",
    "lost_writes",
    "failed_starts",
    "user_perceived_failures",
    "video_start_p95_ms",
    "upload_to_live_p95_s",
    "upload_to_live_p99_s",
    "cache_hit_ratio_min",
    "origin_requests",
    "spend_usd",
    "cross_jurisdiction_routes",
    "capacity_cost_usd",
)


class ScenarioError(ConfigError):
    """An invalid scenario file: which file, which key, what was expected."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Mitigations(Frozen):
    """Switches a war game flips for its counterfactual (admin API: POST /admin/mitigations)."""

    write_buffer: bool = False
    standby: bool = False
    shield: bool = True
    origin_failover: bool = False
    serve_stale: bool = False
    client_retry: bool = False


class TableSetup(Frozen):
    """How the write-path tables start: on-demand, or provisioned at the normal demand (SPEC 8 s.3)."""

    mode: BillingMode = BillingMode.ON_DEMAND
    autoscaling: bool = True
    provisioned_headroom: float = Field(default=1.0, ge=1.0, description="capacity / normal demand")


class TrendingTrigger(Frozen):
    """A surge that starts when a tracked video trends: its views over the last minute reach
    ``views_per_hour`` (SPEC 7's viral threshold, 5K views/h) and the platform features it."""

    video_id: str
    views_per_hour: float = Field(gt=0)


class Surge(Frozen):
    """Multipliers of the normal rate, one per window (SPEC 8 scenario 3: 12x, 8x, 5x, 3x, 2x), from
    ``start_s`` or, with ``trigger``, from the moment the video trends (no surge if it never does)."""

    start_s: float | None = Field(default=None, ge=0)
    trigger: TrendingTrigger | None = None
    window_s: float = Field(gt=0)
    writes: tuple[float, ...] = ()
    views: tuple[float, ...] = ()
    regions: tuple[str, ...] = Field(default=(), description="empty = every region")

    @model_validator(mode="after")
    def _check(self) -> Self:
        if any(m < 0 for m in (*self.writes, *self.views)):
            raise ValueError("multipliers must be >= 0")
        if (self.start_s is None) == (self.trigger is None):
            raise ValueError("give exactly one of start_s (a scheduled surge) and trigger (a trending video)")
        return self


class SocialVideo(Frozen):
    """A tracked video whose mentions follow a self-exciting (Hawkes) cascade."""

    video_id: str
    region: str
    shock_s: float = Field(ge=0, description="when the exogenous burst of mentions happens")
    shock_mentions: float = Field(ge=0, description="mentions in the exogenous burst")
    branching: float = Field(ge=0, lt=1.5, description="mentions triggered per mention (>= ~1: cascade)")
    decay_s: float = Field(gt=0, description="time constant of the excitation kernel")
    saturation_s: float = Field(default=3600, gt=0, description="attention decays after this (SEISMIC-like)")
    views_per_mention: float = Field(ge=0)
    lead_s: float = Field(ge=0, description="median delay from a mention to the views it brings")
    base_views_per_hour: float = Field(default=100, ge=0)


class Social(Frozen):
    """The social listener's feed: cascades plus background noise."""

    videos: tuple[SocialVideo, ...] = ()
    noise_mentions_per_min: float = Field(default=0.5, ge=0)


class UploadSetup(Frozen):
    uploads_per_day: int | None = Field(default=None, ge=0, description="None = the model's uploads_per_day_at(dau)")


class FaultEvent(Frozen):
    """A fault the scenario injects at ``at_s`` (seconds after start)."""

    at_s: float = Field(ge=0)
    kind: FaultKind
    target: str
    severity: float = Field(default=1.0, ge=0, le=1)
    duration_s: float | None = Field(default=None, gt=0)


class Scenario(Frozen):
    """A complete scenario; ``source`` is the file it came from (for error messages)."""

    name: str
    description: str = ""
    start: datetime
    duration_s: float = Field(gt=0)
    tick_s: float = Field(default=5, gt=0)
    control_interval_s: float = Field(default=60, gt=0)
    dau: int | None = Field(default=None, gt=0, description="None = the platform model's DAU")
    tables: TableSetup = TableSetup()
    surge: Surge | None = None
    social: Social = Social()
    uploads: UploadSetup = UploadSetup()
    faults: tuple[FaultEvent, ...] = ()
    mitigations: Mitigations = Mitigations()
    physics: Physics = Physics()
    report: tuple[str, ...] = OUTCOME_KEYS
    source: str = Field(default="<memory>", exclude=True)

    @field_validator("tick_s")
    @classmethod
    def _check_tick(cls, tick_s: float) -> float:
        if 60 % tick_s:
            raise ValueError(f"must divide 60 (one-minute datapoints), got {tick_s}")
        return tick_s

    @field_validator("start")
    @classmethod
    def _check_start(cls, start: datetime) -> datetime:
        if start.tzinfo is None:
            raise ValueError("must carry a time zone (e.g. 2026-11-17T17:00:00Z)")
        return start

    @field_validator("report")
    @classmethod
    def _check_report(cls, report: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [k for k in report if k not in OUTCOME_KEYS]
        if unknown:
            raise ValueError(f"unknown outcome keys {unknown}; expected some of {list(OUTCOME_KEYS)}")
        return report

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.control_interval_s % self.tick_s:
            raise ValueError(f"control_interval_s: must be a multiple of tick_s ({self.tick_s})")
        if self.surge is not None and self.surge.start_s is not None and self.surge.start_s >= self.duration_s:
            raise ValueError(f"surge.start_s: must be before the end of the scenario ({self.duration_s} s)")
        trigger = self.surge.trigger if self.surge is not None else None
        if trigger is not None and trigger.video_id not in {v.video_id for v in self.social.videos}:
            raise ValueError(f"surge.trigger.video_id: {trigger.video_id!r} is not one of social.videos")
        late = [i for i, f in enumerate(self.faults) if f.at_s >= self.duration_s]
        if late:
            raise ValueError(f"faults[{late[0]}].at_s: must be before the end of the scenario ({self.duration_s} s)")
        return self

    @property
    def start_epoch(self) -> float:
        return self.start.astimezone(UTC).timestamp()

    def with_mitigations(self, **flags: bool) -> Scenario:
        """A copy with some mitigations switched (unknown names raise ValueError)."""
        merged = Mitigations.model_validate({**self.mitigations.model_dump(), **flags})
        return self.model_copy(update={"mitigations": merged})

    def with_dau(self, dau: int) -> Scenario:
        return self.model_copy(update={"dau": dau})


def list_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIOS_DIR.glob("*.yaml"))


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    candidate = SCENARIOS_DIR / f"{name_or_path}.yaml"
    if not candidate.exists():
        raise ScenarioError(str(name_or_path), "-", f"unknown scenario; expected one of {list_scenarios()}")
    return candidate


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read and validate a scenario by name (``sandbox/scenarios/NAME.yaml``) or path."""
    path = resolve_scenario_path(name_or_path)
    try:
        raw: Any = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ScenarioError(str(path), "-", "file not found") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(str(path), "-", f"not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(str(path), "-", "expected a YAML mapping at the top level")
    return validate_scenario(raw, str(path))


def validate_scenario(raw: dict[str, Any], source: str) -> Scenario:
    """Validate a scenario mapping; the first error names ``source`` and the dotted key."""
    try:
        return Scenario.model_validate(raw).model_copy(update={"source": source})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".") or "-"
        message = err["msg"].removeprefix("Value error, ")
        if key == "-" and ": " in message:
            key, message = message.split(": ", 1)
        if err["type"] == "missing":
            message = "required key is missing"
        elif err["type"] == "extra_forbidden":
            message = "unknown key"
        elif "input" in err:
            message = f"{message} (got {err['input']!r})"
        raise ScenarioError(source, key, message) from None

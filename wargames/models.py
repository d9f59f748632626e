"""The war game's data: definitions read from ``wargames/wargames.yaml`` and the results it produces.

Frozen pydantic models at both ends so that a definition is validated before anything starts (bad
input -> exit 2, nothing half-applied) and a result serialises to the JSON object of ``--json``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Phase(StrEnum):
    BASELINE = "baseline"
    INJECTION = "injection"
    RECOVERY = "recovery"


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INVALID = "invalid"


class Bound(StrEnum):
    MAX = "max"  # the measured value must stay at or below the limit
    MIN = "min"  # the measured value must stay at or above the limit


class Relative(StrEnum):
    ABSOLUTE = "absolute"  # limit as written
    BASELINE_PLUS = "baseline_plus"  # limit = baseline phase's value + limit
    BASELINE_MINUS = "baseline_minus"  # limit = baseline phase's value - limit


class Metric(StrEnum):
    """What a phase measures (see wargames/measuring.py for where each comes from)."""

    VIDEO_START_P95_MS = "video_start_p95_ms"  # Locust, video-start requests
    VIDEO_START_ERROR_RATIO = "video_start_error_ratio"  # Locust, 503s / first video-start attempts
    SESSION_FAILURE_RATIO = "session_failure_ratio"  # Locust, sessions whose start failed after retries
    WRITE_REJECTION_RATIO = "write_rejection_ratio"  # Locust, writes refused after client retries
    CACHE_HIT_RATIO_MIN = "cache_hit_ratio_min"  # sandbox signal, lowest region
    WRITE_BUFFER_DEPTH_MAX = "write_buffer_depth_max"  # sandbox signal, deepest region


class SloGate(Frozen):
    """One SLO checked per phase: a metric, a bound and a limit, absolute or relative to baseline."""

    name: str = Field(min_length=1)
    metric: Metric
    bound: Bound = Bound.MAX
    limit: float
    relative: Relative = Relative.ABSOLUTE
    phases: tuple[Phase, ...] = (Phase.BASELINE, Phase.INJECTION, Phase.RECOVERY)


class LoadSpec(Frozen):
    """The Locust load of a war game (a sample of the modelled traffic, not all of it)."""

    shape: Literal["commute-peak", "viral-surge", "steady"]
    learners: int = Field(gt=0, description="concurrent learner users at the shape's 1.0 level")
    creators: int = Field(ge=0)
    writers: int = Field(ge=0, description="interaction writers at the shape's 1.0 level")
    think_time_s: float = Field(default=0.2, gt=0, description="wall seconds between a user's requests")


class Calibration(Frozen):
    """A SPEC scenario's published figures the war game is checked against (SPEC 8 scenario 1)."""

    source: str = Field(min_length=1)
    region_share: float = Field(gt=0, le=1, description="share of all sessions in the failed region")
    failed_starts: int = Field(gt=0, description="unmitigated failed video starts")
    affected_users: int = Field(gt=0, description="unmitigated affected users (failed starts / views per session)")
    user_perceived_failures: int = Field(gt=0, description="mitigated: failed sessions after standby + retry")
    tolerance: float = Field(default=0.02, gt=0, lt=1, description="relative deviation of the sandbox allowed")


class WarGameSpec(Frozen):
    """One war game: which sandbox scenario, which experiment, how fast, which SLOs."""

    name: str
    title: str
    sandbox_scenario: str
    experiment: str = Field(description="path of the Chaos Toolkit experiment, relative to the repository")
    runbook: str
    speed: float = Field(gt=0, le=200, description="model seconds per wall second")
    baseline_s: float = Field(gt=0, description="model seconds of baseline before the experiment starts")
    recovery_s: float = Field(gt=0, description="model seconds observed after the rollbacks")
    bin_s: float = Field(gt=0, description="model seconds per timeline bin (recovery-time resolution)")
    sustain_s: float = Field(gt=0, description="SLOs must hold this long to count as recovered")
    recovery_target_s: float = Field(gt=0)
    direct_loss_basis: Literal["revenue_per_dau", "session_value"]
    damage_counters: tuple[Literal["user_perceived_failures", "lost_writes"], ...] = Field(
        min_length=1, description="the sandbox outcome counters that count as failed user actions"
    )
    mitigations: tuple[str, ...] = Field(description="sandbox mitigations this war game relies on")
    load: LoadSpec
    slos: tuple[SloGate, ...] = Field(min_length=1)
    calibration: Calibration | None = None


class SloResult(Frozen):
    name: str
    metric: str
    value: float | None
    limit: float
    bound: Bound
    ok: bool


class PhaseResult(Frozen):
    name: Phase
    verdict: Verdict
    start_s: float
    end_s: float
    slos: tuple[SloResult, ...]


class LocustSummary(Frozen):
    requests: int
    failures: int
    p95_ms: float | None
    sessions: int = 0
    failed_sessions: int = Field(default=0, description="sessions whose start failed after client retries")


class CalibrationReport(Frozen):
    """The run against its SPEC calibration: the sandbox's full-scale counters, and the Locust sample's
    user-perceived failure ratio over the fault (injection phase) next to the design's."""

    source: str
    design_failed_starts: int
    design_affected_users: int
    design_user_perceived_failures: int
    sandbox_failed_starts: int | None  # unmitigated: the counterfactual's (or this run's, unmitigated)
    sandbox_affected_users: int | None
    sandbox_user_perceived_failures: int | None  # mitigated runs only
    within_tolerance: bool
    design_session_failure_ratio: float  # this run's design: 3,712 (or 41,250 unmitigated) / sessions
    measured_session_failure_ratio: float | None  # Locust, injection phase
    measured_request_error_ratio: float | None  # Locust, injection phase, per HTTP request (for comparison)


class DollarsAtRisk(Frozen):
    """SPEC section 8: failed actions -> affected users -> direct loss + churned users x LTV."""

    failed_actions: int
    affected_users: int
    direct_usd: float
    churned_users: int
    churn_usd: float
    total_usd: float


class ControllersReport(Frozen):
    """What our controllers did during a mitigated run (wargames/controlling.py ``facts()``)."""

    controllers: tuple[str, ...] = ()
    applied_decisions: dict[str, int] = Field(default_factory=dict, description="controller -> applied, non-noop")
    reconciles: dict[str, int] = Field(default_factory=dict, description="controller -> reconcile passes")
    held: dict[str, int] = Field(default_factory=dict, description="controller -> passes held on a PortError")
    last_errors: dict[str, str] = Field(default_factory=dict, description="controller -> last hold's error")
    router_installed: bool = False
    router_decisions: int = Field(default=0, description="routing answers of the encode router")
    router_actions: dict[str, int] = Field(default_factory=dict)
    router_guard_trips: int = 0
    encodes_completed: int = 0
    warm_requests: int = 0
    warm_reasons: dict[str, int] = Field(default_factory=dict)
    viral_pushes: int = 0


class PlatformFigures(Frozen):
    """The sandbox's own full-scale counters at the end of the run (any run, mitigated or not)."""

    cross_jurisdiction_routes: int = Field(description="routes refused by the fleet's residency re-check")
    jurisdiction_guard_trips: int = Field(description="actuator refusals (a job, warm or route across)")
    upload_to_live_p95_s: float | None
    uploads: int
    failed_starts: int
    user_perceived_failures: int


class WarGameResult(Frozen):
    """Everything a war game produced; ``to_json()`` is the ``--json`` object of the issue."""

    scenario: str
    verdict: Verdict
    broken_slos: tuple[str, ...]
    invalid_reason: str | None
    mitigated: bool
    phases: tuple[PhaseResult, ...]
    recovery_time_s: float | None
    recovery_target_s: float
    lost_writes: int
    acknowledged_writes: int
    rejected_writes: int
    dollars: DollarsAtRisk
    unmitigated_dollars: DollarsAtRisk | None
    locust: LocustSummary
    rollback_verified: bool
    controllers: ControllersReport | None = None
    platform: PlatformFigures | None = None
    calibration: CalibrationReport | None = None
    wall_time_s: float
    journal_path: str
    report_path: str

    def to_json(self) -> dict[str, object]:
        return {
            "scenario": self.scenario,
            "verdict": self.verdict.value,
            "phases": [
                {"name": p.name.value, "verdict": p.verdict.value, "slos": [s.model_dump(mode="json") for s in p.slos]}
                for p in self.phases
            ],
            "recovery_time_s": self.recovery_time_s,
            "lost_writes": self.lost_writes,
            "dollars_at_risk": self.dollars.total_usd,
            "unmitigated_dollars_at_risk": self.unmitigated_dollars.total_usd if self.unmitigated_dollars else None,
            "locust": self.locust.model_dump(mode="json"),
            "controllers": self.controllers.model_dump(mode="json") if self.controllers else None,
            "platform": self.platform.model_dump(mode="json") if self.platform else None,
            "calibration": self.calibration.model_dump(mode="json") if self.calibration else None,
            "journal_path": self.journal_path,
            "report_path": self.report_path,
        }

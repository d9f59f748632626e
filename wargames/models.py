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
    VIDEO_START_ERROR_RATIO = "video_start_error_ratio"  # Locust, 503s / video starts
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


class DollarsAtRisk(Frozen):
    """SPEC section 8: failed actions -> affected users -> direct loss + churned users x LTV."""

    failed_actions: int
    affected_users: int
    direct_usd: float
    churned_users: int
    churn_usd: float
    total_usd: float


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
            "journal_path": self.journal_path,
            "report_path": self.report_path,
        }

"""The budget breaker's data: states, policy, memory (persisted), observation, decision, ports.

The breaker acts on projected daily spend (the FinOps estimator) with the budget SNS topic as a slower
second signal. Its memory (state, degradations in force, the knob values they replaced, override,
events) is persisted by a store so that a restart, ``ops breaker status`` and the finance report all
see the same thing, and so that what was changed can be put back exactly on close.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol, Self, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from controllers.runtime.base import Decision
from finops.spending import SpendEstimate
from finops.validating import load_yaml_model
from stacks.model import BudgetSpec, CostCenter

POLICY_FILE = Path(__file__).with_name("policy.yaml")
MAX_EVENTS = 200


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BreakerState(StrEnum):
    CLOSED = "closed"
    WARN = "warn"
    PAGE = "page"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Knob(StrEnum):
    """Non-critical spend levers. None of them touches priority-1 delivery or routes anything."""

    SPOT_BURST_SHARE = "spot_burst_share"  # share of spot burst above the on-demand base allowed
    ANALYTICS_SAMPLE_RATE = "analytics_sample_rate"  # P3 analytics events kept
    PREFETCH_DEPTH = "prefetch_depth"  # videos the player prefetches ahead of the one playing
    BACKLOG_ENCODES = "backlog_encodes"  # 1 = batch re-encodes of old backlog run, 0 = paused


class Reason(StrEnum):
    WITHIN_BAND = "within_band"
    ABOVE_NOTIFY = "above_notify"
    ABOVE_PAGE = "above_page"
    ABOVE_BREAKER = "above_breaker"
    BILLING_SIGNAL = "billing_signal"
    BELOW_THRESHOLD = "below_threshold"
    HYSTERESIS_HOLD = "hysteresis_hold"
    STILL_ABOVE_BREAKER = "still_above_breaker"
    ALL_DEGRADATIONS_APPLIED = "all_degradations_applied"
    OPEN_MIN_HOLD = "open_min_hold"
    HALF_OPEN_STEP = "half_open_step"
    HALF_OPEN_PROBE = "half_open_probe"
    HALF_OPEN_RELAPSE = "half_open_relapse"
    RECOVERED = "recovered"
    STALE_DATA = "stale_data"
    OVERRIDE = "override"
    OVERRIDE_EXPIRED = "override_expired"


class Action(StrEnum):
    NOOP = "noop"
    TRANSITION = "transition"  # state change, notifications, no knob change
    TRIP = "trip"  # open: apply degradations
    ESCALATE = "escalate"  # still open: apply the next degradations
    RESTORE = "restore"  # put knobs back (half-open steps, close, override)
    RECORD = "record"  # only the memory changes (an override expired)


class Channel(StrEnum):
    ENGINEERING = "engineering"
    ONCALL = "oncall"
    FINANCE = "finance"


class Degradation(Frozen):
    """One reversible lever, ranked by user impact (first = least)."""

    name: str = Field(pattern=r"^[a-z_]+$")
    knob: Knob
    normal: float = Field(ge=0)
    degraded: float = Field(ge=0)
    cost_center: CostCenter
    saving_share: float = Field(gt=0, le=1, description="estimated share of the cost centre's rate it removes")
    priority: Literal[2, 3] = Field(description="traffic priority it affects; priority 1 is never degraded")
    effect: str


class BreakerPolicy(Frozen):
    """How the breaker behaves around the thresholds (``controllers/breaker/policy.yaml``)."""

    hysteresis: float = Field(ge=0, lt=0.5)
    open_hold_s: float = Field(gt=0)
    max_open_hold_s: float = Field(gt=0, description="the hold doubles after each relapse, up to this")
    half_open_step_s: float = Field(gt=0)
    escalate_after_s: float = Field(ge=0)
    max_data_age_s: float = Field(gt=0)
    degradations: tuple[Degradation, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_unique(self) -> Self:
        for attr in ("name", "knob"):
            values = [getattr(d, attr) for d in self.degradations]
            if len(values) != len(set(values)):
                raise ValueError(f"degradations must have unique {attr}s, got {values}")
        return self


class BreakerConfig(Frozen):
    budget: BudgetSpec
    policy: BreakerPolicy

    def threshold(self, state: BreakerState) -> float:
        return {
            BreakerState.CLOSED: 0.0,
            BreakerState.WARN: self.budget.notify_usd,
            BreakerState.PAGE: self.budget.page_usd,
            BreakerState.OPEN: self.budget.breaker_usd,
            BreakerState.HALF_OPEN: self.budget.breaker_usd,
        }[state]


class Override(Frozen):
    state: BreakerState
    until: float | None = Field(description="epoch seconds; None = until released")
    reason: str = Field(min_length=1)
    by: str


class BreakerEvent(Frozen):
    at: float
    from_state: BreakerState
    to_state: BreakerState
    reason: Reason
    signal_usd: float
    applied: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()


class BreakerMemory(Frozen):
    """What the breaker remembers between reconciles (persisted by a BreakerStore)."""

    state: BreakerState = BreakerState.CLOSED
    since: float = 0.0
    last_step_at: float = 0.0
    applied: tuple[str, ...] = Field(default=(), description="degradations in force, in the order applied")
    tripped: tuple[str, ...] = Field(default=(), description="every degradation applied in this episode")
    saved: dict[str, float] = Field(default_factory=dict, description="knob values before the breaker changed them")
    relapses: int = Field(default=0, ge=0, description="half-open relapses in this episode (backoff)")
    override: Override | None = None
    events: tuple[BreakerEvent, ...] = ()


class BillingAlert(Frozen):
    """A budget notification from the SNS topic (AWS Budgets), the slow second signal."""

    budget_name: str
    threshold_usd: float
    amount_usd: float
    kind: Literal["actual", "forecasted"]
    received_at: float


class BreakerObservation(Frozen):
    at: float
    spend: SpendEstimate
    knobs: dict[str, float]
    memory: BreakerMemory
    billing: BillingAlert | None = None


class BreakerDecision(Decision):
    state: BreakerState
    previous_state: BreakerState
    signal_usd: float
    signal_source: Literal["estimator", "billing"]
    knob_targets: dict[str, float] = Field(default_factory=dict)
    notify: tuple[Channel, ...] = ()
    memory: BreakerMemory


def load_policy(path: Path = POLICY_FILE) -> BreakerPolicy:
    """The breaker policy file, validated (errors name the file and key)."""
    return load_yaml_model(path, BreakerPolicy)


class KnobActuator(Protocol):
    """Reads and sets the non-critical spend levers (sandbox, local file, AWS)."""

    def read_knobs(self) -> dict[str, float]: ...

    def set_knob(self, knob: str, value: float, *, dry_run: bool) -> None: ...


@runtime_checkable
class RestorableKnobs(Protocol):
    """Knobs that can put the platform back exactly as a snapshot found it (not only the knob values:
    e.g. the desired capacity a spot cap lowered), used when an apply fails part-way."""

    def snapshot(self) -> Any: ...

    def restore(self, snapshot: Any) -> str: ...


class BreakerStore(Protocol):
    def load(self) -> BreakerMemory: ...

    def save(self, memory: BreakerMemory, *, dry_run: bool) -> None: ...


class Notifier(Protocol):
    def notify(self, channel: Channel, message: str, *, dry_run: bool) -> None: ...


class BudgetAlertSource(Protocol):
    def latest(self, now: float) -> BillingAlert | None: ...

"""The budget breaker as a controller on the shared runtime: observe -> decide (pure) -> apply.

``observe`` asks the FinOps spend estimator for today's spend and projection (from telemetry through
the MetricsSource), reads the knobs, the persisted memory and the latest budget alert; ``decide`` is
``controllers.breaker.decide.decide_breaker``; ``apply`` sets knobs, notifies and persists memory,
honouring dry-run in each port.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from controllers.breaker.decide import NAME, decide_breaker
from controllers.breaker.models import (
    BreakerConfig,
    BreakerDecision,
    BreakerObservation,
    BreakerPolicy,
    BreakerStore,
    BudgetAlertSource,
    KnobActuator,
    Notifier,
    RestorableKnobs,
    load_policy,
)
from finops.catalogue import Catalogue, default_catalogue
from finops.cost_model import drivers_from_platforms
from finops.spending import SpendEstimate, SpendEstimator, estimator_config
from finops.usage import default_usage
from ports.interfaces import MetricsSource, PortError
from stacks.model import PlatformModel, TrafficSpec


@dataclass(frozen=True)
class BreakerPorts:
    """Where the breaker reads and acts: telemetry, knobs, its memory, people, the budget topic."""

    metrics: MetricsSource
    knobs: KnobActuator
    store: BreakerStore
    notifier: Notifier
    budget_alerts: BudgetAlertSource | None = None


class BudgetBreaker:
    """Controller protocol implementation (``controllers.runtime.base.Controller``)."""

    name = NAME

    def __init__(self, config: BreakerConfig, estimator: SpendEstimator) -> None:
        self.config = config
        self.estimator = estimator
        self.last_estimate: SpendEstimate | None = None
        self.last_state: str | None = None

    def latest(self) -> tuple[SpendEstimate | None, str | None]:
        """What the exporter publishes (finops.exporting.SpendCollector)."""
        return self.last_estimate, self.last_state

    def observe(self, ports: BreakerPorts, now: float) -> BreakerObservation:
        spend = self.estimator.observe(ports.metrics, now)
        self.last_estimate = spend
        alert = ports.budget_alerts.latest(now) if ports.budget_alerts else None
        return BreakerObservation(
            at=now, spend=spend, knobs=ports.knobs.read_knobs(), memory=ports.store.load(), billing=alert
        )

    def decide(self, observation: BreakerObservation, now: float) -> BreakerDecision:
        decision = decide_breaker(observation, self.config, now)
        self.last_state = decision.state.value
        return decision

    def apply(self, decision: BreakerDecision, ports: BreakerPorts, *, dry_run: bool) -> None:
        """Knobs (all or none), then memory (knobs put back if it cannot be saved), then people.

        A knob or store fault leaves the knobs as they were and raises PortError, so the memory never
        disagrees with the platform. A notification fault comes last: the change stands and is saved,
        the other channels are still told, and a PortError names the channels that were not.
        """
        undo = set_knobs_together(ports.knobs, decision.knob_targets, dry_run=dry_run)
        try:
            ports.store.save(decision.memory, dry_run=dry_run)
        except PortError as exc:
            raise PortError(f"breaker memory not saved ({exc}); knobs put back: {undo()}") from None
        failed: list[str] = []
        for channel in decision.notify:
            try:
                ports.notifier.notify(channel, describe(decision), dry_run=dry_run)
            except PortError as exc:
                failed.append(f"{channel}: {exc}")
        if failed:
            raise PortError(f"{decision.state} applied and saved, but not notified: {'; '.join(failed)}")


def set_knobs_together(knobs: KnobActuator, targets: dict[str, float], *, dry_run: bool) -> Callable[[], str]:
    """Set every target knob or none; returns how to put them back (a no-op in dry-run)."""
    if not targets or dry_run:
        for knob, value in targets.items():
            knobs.set_knob(knob, value, dry_run=True)
        return lambda: "nothing changed"
    snapshot = knobs.snapshot() if isinstance(knobs, RestorableKnobs) else knobs.read_knobs()
    done: list[str] = []

    def undo() -> str:
        if isinstance(knobs, RestorableKnobs):
            return knobs.restore(snapshot)
        return restore_knobs(knobs, {k: float(snapshot.get(k, targets[k])) for k in done})

    for knob, value in targets.items():
        try:
            knobs.set_knob(knob, value, dry_run=False)
        except PortError as exc:
            raise PortError(f"setting {knob}={value:g} failed ({exc}); put back: {undo()}") from None
        done.append(knob)
    return undo


def restore_knobs(knobs: KnobActuator, values: dict[str, float]) -> str:
    """Best effort: set each knob back; says which could not be (they stay as the platform has them)."""
    failed = []
    for knob, value in values.items():
        try:
            knobs.set_knob(knob, value, dry_run=False)
        except PortError as exc:
            failed.append(f"{knob} ({exc})")
    return f"all {len(values)} knob(s)" if not failed else f"{len(values) - len(failed)} of {len(values)}; not {failed}"


def describe(decision: BreakerDecision) -> str:
    """One line a person can act on."""
    changes = ", ".join(f"{k}={v:g}" for k, v in decision.knob_targets.items()) or "no knob change"
    return (
        f"budget breaker {decision.previous_state} -> {decision.state} ({decision.reason}): "
        f"projected day ${decision.signal_usd:,.0f} from {decision.signal_source}; {changes}"
    )


def egress_before_day_gb(traffic: TrafficSpec, day_of_month: int, catalogue: Catalogue | None = None) -> float:
    """CDN egress of the month's earlier days at the model's normal traffic (GB): where the month's
    tiered price stands when a run starts on ``day_of_month``."""
    units = (catalogue or default_catalogue()).units
    return (day_of_month - 1) * units.gb_from_mb(traffic.dau * traffic.views_per_dau * traffic.avg_video_mb)


def build_breaker(
    platforms: Sequence[PlatformModel],
    policy: BreakerPolicy | None = None,
    catalogue: Catalogue | None = None,
    month_to_date_gb: float = 0.0,
) -> BudgetBreaker:
    """A breaker for these stacks: thresholds from the global stack's BudgetSpec, the estimator's pricing."""
    budgets = [p.settings.budgets for p in platforms if p.settings.budgets is not None]
    if not budgets:
        raise ValueError("no stack declares budgets (expected the global stack's reelops:platform.budgets)")
    cat = catalogue or default_catalogue()
    usage = default_usage()
    cfg = estimator_config(platforms, drivers_from_platforms(platforms), usage, cat)
    config = BreakerConfig(budget=budgets[0], policy=policy or load_policy())
    return BudgetBreaker(config, SpendEstimator(cfg, cat, month_to_date_gb))

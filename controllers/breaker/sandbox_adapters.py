"""The breaker on the embedded sandbox: its knobs, acting through what the sandbox models, and a
strategy that runs the breaker on the shared Runner every control interval.

The sandbox has no spend levers of its own, so each knob acts on the mechanism it stands for:

- ``spot_burst_share``: each pool's desired capacity is capped at ``base + share x (max - base)``
  through the PoolActuator port (fewer spot instances are billed; uploads wait longer);
- ``analytics_sample_rate``: the P3 event writes (the sandbox's ``ml`` write kind, SPEC 8 s.3's 10%
  ML events) are kept at that rate;
- ``prefetch_depth``: prefetches are video fetches the viewer has not asked for. The sandbox's
  baseline views are watched views, so prefetch traffic only appears as a scenario's extra fetches
  (``runaway-spend``: a client release that prefetches in a loop); the extra part of the scenario's
  view multiplier scales with ``depth / normal depth``;
- ``backlog_encodes``: the sandbox has no re-encode backlog: accepted, recorded, no effect.

None of them touches playback (priority 1) and none routes anything: each acts in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict

from controllers.breaker.adapters import MemoryBreakerStore, MemoryNotifier
from controllers.breaker.breaking import BreakerPorts, BudgetBreaker
from controllers.breaker.models import BreakerPolicy, BreakerStore, Knob, Notifier
from controllers.runtime.auditing import AuditLog
from controllers.runtime.running import Runner
from ports.interfaces import PortError
from ports.metrics import SignalName

if TYPE_CHECKING:
    from sandbox.engine import Sandbox

ANALYTICS_KIND = "ml"


class SandboxKnobs:
    """KnobActuator over a running Sandbox; ``enforce()`` re-applies the spot cap after other controllers."""

    def __init__(self, sb: Sandbox, policy: BreakerPolicy) -> None:
        self.sb = sb
        self.normal = {d.knob.value: d.normal for d in policy.degradations}
        self.values = dict(self.normal)
        self.base_mix = sb.traffic.mix.copy()
        self.base_surge = sb.traffic.surge
        self.kinds = list(sb.phys.write_mix)

    def read_knobs(self) -> dict[str, float]:
        return dict(self.values)

    def set_knob(self, knob: str, value: float, *, dry_run: bool) -> None:
        if knob not in self.normal:
            raise PortError(f"unknown knob {knob!r} (known: {sorted(self.normal)})")
        if dry_run:
            return
        self.values[knob] = value
        if knob == Knob.ANALYTICS_SAMPLE_RATE:
            self.sample_analytics(value)
        elif knob == Knob.PREFETCH_DEPTH:
            self.scale_prefetch(value)
        self.enforce()

    def sample_analytics(self, rate: float) -> None:
        mix = self.base_mix.copy()
        if ANALYTICS_KIND in self.kinds:
            mix[self.kinds.index(ANALYTICS_KIND)] *= rate
        self.sb.traffic.mix = mix

    def scale_prefetch(self, depth: float) -> None:
        surge = self.base_surge
        if surge is None:
            return
        ratio = depth / max(self.normal[Knob.PREFETCH_DEPTH.value], 1e-9)
        views = tuple(1.0 + (m - 1.0) * ratio if m > 1.0 else m for m in surge.views)
        self.sb.traffic.surge = surge.model_copy(update={"views": views})

    def enforce(self) -> None:
        """Cap every pool's desired capacity to the allowed share of its spot burst room."""
        share = self.values[Knob.SPOT_BURST_SHARE.value]
        if share >= 1.0:
            return
        pools = self.sb.ports.pools
        for p in pools.describe_pools():
            base = self.sb.pools.by_name[p.pool].spec.on_demand_base
            cap = max(p.min_size, base + int(share * max(0, p.max_size - base)))
            if p.desired > cap:
                pools.set_desired_capacity(p.pool, cap, dry_run=False)


class InnerStrategy(Protocol):
    name: str

    def control(self, sandbox: Sandbox, now: float) -> None: ...


class TracePoint(BaseModel):
    """One control interval of a breaker run, for benchmarks."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    at: float
    estimated_projection_usd: float
    sandbox_projection_usd: float
    sandbox_spend_usd: float
    state: str
    action: str


class BreakerStrategy:
    """A sandbox strategy: the inner strategy (capacity controllers) then the budget breaker."""

    def __init__(
        self,
        sb: Sandbox,
        breaker: BudgetBreaker,
        inner: InnerStrategy | None = None,
        *,
        store: BreakerStore | None = None,
        notifier: Notifier | None = None,
        audit: AuditLog | None = None,
        dry_run: bool = False,
    ) -> None:
        self.name = f"{inner.name}+breaker" if inner else "breaker"
        self.sb = sb
        self.inner = inner
        self.breaker = breaker
        self.knobs = SandboxKnobs(sb, breaker.config.policy)
        self.store = store or MemoryBreakerStore()
        self.notifier = notifier or MemoryNotifier()
        self.ports = BreakerPorts(metrics=sb.ports.metrics, knobs=self.knobs, store=self.store, notifier=self.notifier)
        self.runner = Runner(
            [breaker],
            self.ports,
            clock=sb.clock,
            interval_s=sb.scenario.control_interval_s,
            dry_run=dry_run,
            audit=audit,
        )
        self.trace: list[TracePoint] = []

    def control(self, sandbox: Sandbox, now: float) -> None:
        if self.inner is not None:
            self.inner.control(sandbox, now)
        self.knobs.enforce()
        record = self.runner.reconcile_once()[0]
        estimate, state = self.breaker.latest()
        truth = sandbox.ports.metrics.read(SignalName.PROJECTED_DAILY_SPEND_USD)
        self.trace.append(
            TracePoint(
                at=now,
                estimated_projection_usd=estimate.projected_daily_usd if estimate else 0.0,
                sandbox_projection_usd=truth[0].value if truth else 0.0,
                sandbox_spend_usd=sandbox.spend.total(),
                state=state or "unknown",
                action=(record.decision or {}).get("action", record.outcome.value),
            )
        )

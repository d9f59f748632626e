"""Pure decisions of the budget breaker: closed / warn / page / open / half-open on projected spend.

No I/O and no clock: everything arrives in the observation (spend estimate, knob values, memory,
latest budget alert) and ``now``. The decision carries the knob values to set, who to notify, the
reason, and the memory to persist, so that ``apply`` only executes it. Rules:

- levels rise at once (warn >= notify, page >= page, open >= breaker) and fall only when the signal is
  ``hysteresis`` below the level's threshold;
- opening applies ranked degradations until the estimated day total falls under the threshold, and
  escalates to the next ones while the signal stays above it;
- after ``open_hold_s`` below the threshold the breaker goes half-open and restores one degradation
  per ``half_open_step_s``; a relapse re-opens it; when all are restored it closes and every knob is
  back at the value it had before the breaker touched it;
- stale telemetry holds the state; a human override wins until it expires or is released;
- the budget SNS alert (billing) is a floor under the estimator's projection on the same UTC day.
"""

from __future__ import annotations

from typing import Literal

from controllers.breaker.models import (
    MAX_EVENTS,
    Action,
    BreakerConfig,
    BreakerDecision,
    BreakerEvent,
    BreakerMemory,
    BreakerObservation,
    BreakerState,
    Channel,
    Degradation,
    Override,
    Reason,
)
from finops.spending import DAY_S, HOUR_S, day_start

NAME = "budget-breaker"
S = BreakerState
LEVELS: tuple[BreakerState, ...] = (S.CLOSED, S.WARN, S.PAGE, S.OPEN)
RANK = {S.CLOSED: 0, S.WARN: 1, S.PAGE: 2, S.OPEN: 3, S.HALF_OPEN: 3}
RISE_REASON = {S.WARN: Reason.ABOVE_NOTIFY, S.PAGE: Reason.ABOVE_PAGE, S.OPEN: Reason.ABOVE_BREAKER}
CHANNELS = {
    S.WARN: (Channel.ENGINEERING,),
    S.PAGE: (Channel.ONCALL, Channel.FINANCE),
    S.OPEN: (Channel.ONCALL, Channel.FINANCE, Channel.ENGINEERING),
}
Source = Literal["estimator", "billing"]


class Step:
    """The pieces of one decision, assembled by ``build``."""

    def __init__(self, obs: BreakerObservation, memory: BreakerMemory, now: float, signal: float, source: Source):
        self.obs, self.memory, self.now, self.signal, self.source = obs, memory, now, signal, source

    def build(
        self,
        action: Action,
        reason: Reason,
        state: BreakerState | None = None,
        apply: tuple[Degradation, ...] = (),
        restore: tuple[Degradation, ...] = (),
    ) -> BreakerDecision:
        new_state = state or self.memory.state
        memory = self._remember(new_state, reason, apply, restore)
        targets = {d.knob.value: d.degraded for d in apply}
        targets |= {d.knob.value: self.memory.saved.get(d.knob.value, d.normal) for d in restore}
        return BreakerDecision(
            controller=NAME,
            action=action.value,
            reason=reason.value,
            at=self.now,
            state=new_state,
            previous_state=self.obs.memory.state,
            signal_usd=self.signal,
            signal_source=self.source,
            knob_targets=targets,
            notify=channels_for(self.obs.memory.state, new_state),
            memory=memory,
            details={
                "projected_daily_usd": self.obs.spend.projected_daily_usd,
                "spent_today_usd": self.obs.spend.spent_today_usd,
                "applied": [d.name for d in apply],
                "restored": [d.name for d in restore],
            },
        )

    def _remember(
        self, state: BreakerState, reason: Reason, apply: tuple[Degradation, ...], restore: tuple[Degradation, ...]
    ) -> BreakerMemory:
        m = self.memory
        saved = dict(m.saved)
        for d in apply:
            saved.setdefault(d.knob.value, self.obs.knobs.get(d.knob.value, d.normal))
        for d in restore:
            saved.pop(d.knob.value, None)
        gone = {d.name for d in restore}
        applied = tuple(n for n in m.applied if n not in gone) + tuple(d.name for d in apply)
        settled = state in (S.CLOSED, S.WARN, S.PAGE)
        tripped = () if settled else tuple(dict.fromkeys((*m.tripped, *applied)))
        relapses = 0 if settled else m.relapses + (reason == Reason.HALF_OPEN_RELAPSE)
        changed = state != self.obs.memory.state or apply or restore
        events = m.events
        if changed:
            event = BreakerEvent(
                at=self.now,
                from_state=self.obs.memory.state,
                to_state=state,
                reason=reason,
                signal_usd=self.signal,
                applied=tuple(d.name for d in apply),
                restored=tuple(d.name for d in restore),
            )
            events = (*events, event)[-MAX_EVENTS:]
        return m.model_copy(
            update={
                "state": state,
                "since": self.now if state != m.state else m.since,
                "last_step_at": self.now if (apply or restore) else m.last_step_at,
                "applied": applied,
                "tripped": tripped,
                "saved": saved,
                "events": events,
                "relapses": relapses,
            }
        )


def channels_for(before: BreakerState, after: BreakerState) -> tuple[Channel, ...]:
    """Who hears about a state change: the new level's audience going up, engineering going down."""
    if RANK[after] > RANK[before]:
        return CHANNELS.get(after, ())
    if after != before and after != S.HALF_OPEN:
        return (Channel.ENGINEERING,)
    return ()


def budget_signal(obs: BreakerObservation, now: float) -> tuple[float, Source]:
    """The estimator's projection, or today's billing alert amount when it is higher."""
    projected = obs.spend.projected_daily_usd
    alert = obs.billing
    if alert is not None and day_start(alert.received_at) == day_start(now) and alert.amount_usd > projected:
        return alert.amount_usd, "billing"
    return projected, "estimator"


def raw_level(signal: float, cfg: BreakerConfig) -> BreakerState:
    for level in reversed(LEVELS[1:]):
        if signal >= cfg.threshold(level):
            return level
    return S.CLOSED


def settle_level(signal: float, current: BreakerState, cfg: BreakerConfig) -> BreakerState:
    """Rise at once; fall one level at a time, each only when ``hysteresis`` below its threshold."""
    up = raw_level(signal, cfg)
    level: BreakerState = S.OPEN if current == S.HALF_OPEN else current
    if RANK[up] >= RANK[level]:
        return up
    while RANK[level] > RANK[up] and signal < cfg.threshold(level) * (1 - cfg.policy.hysteresis):
        level = LEVELS[RANK[level] - 1]
    return level


def pending(memory: BreakerMemory, cfg: BreakerConfig) -> tuple[Degradation, ...]:
    return tuple(d for d in cfg.policy.degradations if d.name not in memory.applied)


def by_names(names: tuple[str, ...], cfg: BreakerConfig) -> tuple[Degradation, ...]:
    index = {d.name: d for d in cfg.policy.degradations}
    return tuple(index[n] for n in names if n in index)


def choose_degradations(step: Step, cfg: BreakerConfig) -> tuple[Degradation, ...]:
    """Ranked degradations, least impact first, until the estimated day total is under the threshold."""
    target = cfg.budget.breaker_usd * (1 - cfg.policy.hysteresis)
    hours_left = (DAY_S - step.now % DAY_S) / HOUR_S
    rates = step.obs.spend.rate_usd_per_hour_by_cost_center
    estimate, chosen = step.signal, list[Degradation]()
    for d in pending(step.memory, cfg):
        if chosen and estimate < target:
            break
        chosen.append(d)
        estimate -= d.saving_share * rates.get(d.cost_center.value, 0.0) * hours_left
    return tuple(chosen)


def decide_level(step: Step, cfg: BreakerConfig) -> BreakerDecision:
    """Closed, warn or page: move between levels; open when the breaker threshold is crossed."""
    current = step.memory.state
    target = settle_level(step.signal, current, cfg)
    if target == S.OPEN:
        reason = Reason.BILLING_SIGNAL if step.source == "billing" else Reason.ABOVE_BREAKER
        return step.build(Action.TRIP, reason, S.OPEN, apply=choose_degradations(step, cfg))
    if target != current:
        reason = RISE_REASON[target] if RANK[target] > RANK[current] else Reason.BELOW_THRESHOLD
        return step.build(Action.TRANSITION, reason, target)
    held = RANK[raw_level(step.signal, cfg)] < RANK[current]
    return step.build(Action.NOOP, Reason.HYSTERESIS_HOLD if held else Reason.WITHIN_BAND)


def decide_open(step: Step, cfg: BreakerConfig) -> BreakerDecision:
    m, p = step.memory, cfg.policy
    if step.signal >= cfg.budget.breaker_usd:
        if not pending(m, cfg):
            return step.build(Action.NOOP, Reason.ALL_DEGRADATIONS_APPLIED)
        if step.now - m.last_step_at < p.escalate_after_s:
            return step.build(Action.NOOP, Reason.STILL_ABOVE_BREAKER)
        return step.build(Action.ESCALATE, Reason.STILL_ABOVE_BREAKER, apply=choose_degradations(step, cfg))
    if step.signal >= cfg.budget.breaker_usd * (1 - p.hysteresis):
        return step.build(Action.NOOP, Reason.HYSTERESIS_HOLD)
    if step.now - m.since < open_hold(m, cfg):
        return step.build(Action.NOOP, Reason.OPEN_MIN_HOLD)
    return step.build(Action.RESTORE, Reason.HALF_OPEN_STEP, S.HALF_OPEN, restore=by_names(m.applied[-1:], cfg))


def open_hold(memory: BreakerMemory, cfg: BreakerConfig) -> float:
    """The minimum time open: doubled after each relapse in this episode, capped."""
    p = cfg.policy
    return float(min(p.open_hold_s * 2 ** min(memory.relapses, 16), max(p.open_hold_s, p.max_open_hold_s)))


def decide_half_open(step: Step, cfg: BreakerConfig) -> BreakerDecision:
    m = step.memory
    if step.signal >= cfg.budget.breaker_usd:
        again = tuple(d for d in by_names(m.tripped, cfg) if d.name not in m.applied)
        return step.build(Action.TRIP, Reason.HALF_OPEN_RELAPSE, S.OPEN, apply=again)
    if step.now - m.last_step_at < cfg.policy.half_open_step_s:
        return step.build(Action.NOOP, Reason.HALF_OPEN_PROBE)
    if m.applied:
        return step.build(Action.RESTORE, Reason.HALF_OPEN_STEP, restore=by_names(m.applied[-1:], cfg))
    level = min(raw_level(step.signal, cfg), S.PAGE, key=lambda s: RANK[s])
    return step.build(Action.RESTORE, Reason.RECOVERED, level, restore=leftovers(m, cfg))


def leftovers(memory: BreakerMemory, cfg: BreakerConfig) -> tuple[Degradation, ...]:
    """Every degradation whose knob still holds a saved value (restored on close and on override)."""
    return tuple(d for d in cfg.policy.degradations if d.knob.value in memory.saved)


def decide_override(step: Step, cfg: BreakerConfig, override: Override) -> BreakerDecision:
    """A human said which state to hold: open applies every degradation, any other restores all."""
    m = step.memory
    if override.state in (S.OPEN, S.HALF_OPEN):
        todo = pending(m, cfg)
        if todo or m.state != S.OPEN:
            return step.build(Action.TRIP, Reason.OVERRIDE, S.OPEN, apply=todo)
        return step.build(Action.NOOP, Reason.OVERRIDE)
    if m.saved or m.applied or m.state != override.state:
        restore = tuple(dict.fromkeys((*leftovers(m, cfg), *by_names(m.applied, cfg))))
        return step.build(
            Action.RESTORE if restore else Action.TRANSITION, Reason.OVERRIDE, override.state, restore=restore
        )
    return step.build(Action.NOOP, Reason.OVERRIDE)


def decide_breaker(obs: BreakerObservation, cfg: BreakerConfig, now: float) -> BreakerDecision:
    """The breaker's next move for this observation."""
    signal, source = budget_signal(obs, now)
    override = obs.memory.override
    if override is not None and (override.until is None or now < override.until):
        return decide_override(Step(obs, obs.memory, now, signal, source), cfg, override)
    memory = obs.memory.model_copy(update={"override": None})
    step = Step(obs, memory, now, signal, source)
    if source == "estimator" and obs.spend.data_age_s > cfg.policy.max_data_age_s:
        decision = step.build(Action.NOOP, Reason.STALE_DATA)
    elif memory.state == S.OPEN:
        decision = decide_open(step, cfg)
    elif memory.state == S.HALF_OPEN:
        decision = decide_half_open(step, cfg)
    else:
        decision = decide_level(step, cfg)
    if override is not None and decision.is_noop:
        return decision.model_copy(update={"action": Action.RECORD.value, "reason": Reason.OVERRIDE_EXPIRED.value})
    return decision

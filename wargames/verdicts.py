"""Verdicts: SLO gates applied to measured phases, and the war game's overall verdict. Pure.

A relative gate takes its limit from the baseline phase (``baseline_plus``: baseline + limit), so a
war game judges what the fault changed, not the sandbox's ordinary noise. A metric that could not be
measured fails its gate (no data is not evidence of health).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from wargames.models import Bound, Metric, Phase, PhaseResult, Relative, SloGate, SloResult, Verdict

Measures = Mapping[Metric, float | None]


def resolve_limit(gate: SloGate, baseline: Measures | None) -> float:
    """The gate's limit for this run: as written, or offset from the baseline phase's value."""
    if gate.relative is Relative.ABSOLUTE:
        return gate.limit
    base = (baseline or {}).get(gate.metric)
    if base is None:
        return gate.limit  # no baseline measured: fall back to the offset alone (stricter)
    return base + gate.limit if gate.relative is Relative.BASELINE_PLUS else base - gate.limit


def check_gate(gate: SloGate, measures: Measures, baseline: Measures | None) -> SloResult:
    value = measures.get(gate.metric)
    limit = resolve_limit(gate, baseline)
    ok = value is not None and (value <= limit if gate.bound is Bound.MAX else value >= limit)
    return SloResult(name=gate.name, metric=gate.metric.value, value=value, limit=limit, bound=gate.bound, ok=ok)


def judge_phase(
    phase: Phase, window: tuple[float, float], gates: Sequence[SloGate], measures: Measures, baseline: Measures | None
) -> PhaseResult:
    """Apply every gate that covers this phase; the phase passes when all of them hold."""
    results = tuple(check_gate(g, measures, baseline) for g in gates if phase in g.phases)
    verdict = Verdict.PASS if all(r.ok for r in results) else Verdict.FAIL
    return PhaseResult(name=phase, verdict=verdict, start_s=window[0], end_s=window[1], slos=results)


def judge_bin(gates: Sequence[SloGate], measures: Measures, baseline: Measures | None) -> bool:
    """A timeline bin is healthy when every injection-phase gate holds on the data it has."""
    for gate in gates:
        if Phase.INJECTION not in gate.phases or measures.get(gate.metric) is None:
            continue
        if not check_gate(gate, measures, baseline).ok:
            return False
    return True


def list_broken_slos(
    phases: Sequence[PhaseResult],
    lost_writes: int,
    recovery_time_s: float | None,
    recovery_target_s: float,
) -> tuple[str, ...]:
    """Names of every SLO broken anywhere in the run, in a stable order."""
    broken: list[str] = []
    for phase in phases:
        broken += [f"{r.name} ({phase.name.value})" for r in phase.slos if not r.ok]
    if lost_writes > 0:
        broken.append("lost_writes")
    if recovery_time_s is None or recovery_time_s > recovery_target_s:
        broken.append("recovery_time")
    return tuple(broken)


def decide_verdict(broken: Sequence[str], invalid_reason: str | None) -> Verdict:
    """Invalid beats everything (the measurement itself cannot be trusted), then fail, then pass."""
    if invalid_reason:
        return Verdict.INVALID
    return Verdict.FAIL if broken else Verdict.PASS

"""Judging a finished run: phases, recovery time, lost writes, dollars at risk, validity.

Pure over the RunRecord (no I/O): the same record always gives the same result, which is what the
report renders and what ``--json`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stacks.model import TrafficSpec
from wargames.calibrating import compare_to_calibration, describe_miss
from wargames.dollars import estimate_dollars_at_risk
from wargames.measuring import (
    Request,
    Session,
    WriteFate,
    measure_window,
    percentile,
    split_bins,
    to_model_time,
)
from wargames.models import (
    CalibrationReport,
    ControllersReport,
    LocustSummary,
    Metric,
    Phase,
    PhaseResult,
    PlatformFigures,
    WarGameResult,
)
from wargames.recovery import measure_recovery_time
from wargames.verdicts import decide_verdict, judge_bin, judge_phase, list_broken_slos

if TYPE_CHECKING:
    from wargames.records import RunRecord

MAX_POLL_ERROR_RATIO = 0.2


@dataclass(frozen=True)
class Placed:
    """The run's evidence on model time."""

    requests: list[Request]
    writes: list[WriteFate]
    sessions: list[Session]


def place_on_model_time(record: RunRecord) -> Placed:
    load = record.load
    if load is None or not record.pairs:
        return Placed([], [], [])
    sample_t = to_model_time([s[0] for s in load.samples], record.pairs)
    write_t = to_model_time([w[0] for w in load.writes], record.pairs)
    session_t = to_model_time([s[0] for s in load.sessions], record.pairs)
    return Placed(
        requests=[Request(t, s[1], s[2], s[3]) for t, s in zip(sample_t, load.samples, strict=True)],
        writes=[WriteFate(t, w[1], w[2], w[3]) for t, w in zip(write_t, load.writes, strict=True)],
        sessions=[Session(t, *s[1:]) for t, s in zip(session_t, load.sessions, strict=True)],
    )


def measure(record: RunRecord, placed: Placed, start: float, end: float) -> dict[Metric, float | None]:
    return measure_window(placed.requests, placed.writes, record.polls, start, end, placed.sessions)


def phase_windows(record: RunRecord) -> dict[Phase, tuple[float, float]]:
    injected = record.marks.get("fault_injected", record.marks.get("method_started", record.ended_model_s))
    restored = record.marks.get("fault_cleared", record.marks.get("rollbacks_completed", record.ended_model_s))
    return {
        Phase.BASELINE: (record.started_model_s, injected),
        Phase.INJECTION: (injected, restored),
        Phase.RECOVERY: (restored, record.ended_model_s),
    }


def judge_phases(record: RunRecord, placed: Placed) -> tuple[PhaseResult, ...]:
    windows, gates = phase_windows(record), record.spec.slos
    measures = {p: measure(record, placed, *w) for p, w in windows.items()}
    baseline = measures[Phase.BASELINE]
    return tuple(judge_phase(p, windows[p], gates, measures[p], baseline) for p in Phase)


def health_bins(record: RunRecord, placed: Placed) -> list[tuple[float, bool]]:
    """Each bin after the injection: healthy or not, by the injection-phase gates."""
    spec, windows = record.spec, phase_windows(record)
    baseline = measure(record, placed, *windows[Phase.BASELINE])
    start = windows[Phase.INJECTION][0]
    return [
        (a, judge_bin(spec.slos, measure(record, placed, a, b), baseline))
        for a, b in split_bins(start, record.ended_model_s, spec.bin_s)
    ]


def find_invalid_reason(record: RunRecord, placed: Placed) -> str | None:
    """Why the measurement itself cannot be trusted, if it cannot."""
    if record.load is not None and record.load.cpu_warning:
        return f"Locust's CPU saturated ({record.load.max_cpu_percent:.0f}%): latencies are not trustworthy"
    if not any(r.name == "video-start" for r in placed.requests):
        return "Locust recorded no video starts"
    polls = len(record.polls) + record.poll_errors
    if polls == 0 or record.poll_errors / polls > MAX_POLL_ERROR_RATIO:
        return f"{record.poll_errors} of {polls} polls of the sandbox failed"
    errors = [p for p in before_probes(record) if p.get("status") == "failed"]
    if errors:
        return f"a steady-state probe raised before the method ({errors[0].get('exception')!r:.200})"
    if "method_started" not in record.marks and before_met(record) is not False:
        return f"the experiment's method never ran (journal status {record.journal.get('status')!r})"
    facts = record.controller_facts
    if record.mitigated and not (facts.get("router_installed") and facts.get("router_decisions")):
        return "the encode router decided no upload: the war game did not run with the controllers under test"
    stuck = [c for c, n in facts.get("reconciles", {}).items() if n > 0 and facts.get("held", {}).get(c, 0) >= n]
    if stuck:
        errors = facts.get("last_errors", {})
        return "controllers held on every pass, they never acted: " + "; ".join(
            f"{c} ({errors.get(c, '')})" for c in stuck
        )
    return None


def summarise_controllers(record: RunRecord) -> ControllersReport | None:
    return ControllersReport.model_validate(record.controller_facts) if record.controller_facts else None


def summarise_platform(outcome: Mapping[str, Any]) -> PlatformFigures | None:
    """The sandbox's full-scale residency and upload figures (None when its outcome was not read)."""
    if not outcome:
        return None
    p95 = outcome.get("upload_to_live_p95_s")
    return PlatformFigures(
        cross_jurisdiction_routes=int(outcome.get("cross_jurisdiction_routes") or 0),
        jurisdiction_guard_trips=int(outcome.get("jurisdiction_guard_trips") or 0),
        upload_to_live_p95_s=None if p95 is None else float(p95),
        uploads=int(outcome.get("uploads") or 0),
        failed_starts=int(outcome.get("failed_starts") or 0),
        user_perceived_failures=int(outcome.get("user_perceived_failures") or 0),
    )


def residency_broken(platform: PlatformFigures | None, controllers: ControllersReport | None) -> bool:
    """Nothing may cross a jurisdiction: any refused route or guard trip breaks the war game."""
    trips = (platform.cross_jurisdiction_routes + platform.jurisdiction_guard_trips) if platform else 0
    return trips + (controllers.router_guard_trips if controllers else 0) > 0


def before_probes(record: RunRecord) -> list[dict[str, Any]]:
    before = (record.journal.get("steady_states") or {}).get("before") or {}
    return list(before.get("probes") or [])


def before_met(record: RunRecord) -> bool | None:
    before = (record.journal.get("steady_states") or {}).get("before") or {}
    met = before.get("steady_state_met")
    return met if isinstance(met, bool) else None


def count_lost_writes(record: RunRecord) -> tuple[int, int, int]:
    """(lost, acknowledged, rejected): lost = acknowledged but neither stored nor buffered, plus
    writes the client gave up on after its retries (the user's action is gone either way)."""
    writes = record.load.writes if record.load else []
    acknowledged = sum(1 for w in writes if w[2])
    rejected = len(writes) - acknowledged
    missing = len(record.reconcile.get("missing", []))
    return missing + rejected, acknowledged, rejected


def summarise_locust(placed: Placed) -> LocustSummary:
    failures = sum(not r.ok for r in placed.requests)
    p95 = percentile([r.ms for r in placed.requests], 95)
    return LocustSummary(
        requests=len(placed.requests),
        failures=failures,
        p95_ms=None if p95 is None else round(p95, 1),
        sessions=len(placed.sessions),
        failed_sessions=sum(not s.start_ok for s in placed.sessions),
    )


def calibrate(record: RunRecord, placed: Placed, traffic: TrafficSpec) -> CalibrationReport | None:
    """The run against its war game's SPEC calibration, when it has one."""
    if record.spec.calibration is None:
        return None
    return compare_to_calibration(
        record.spec.calibration,
        mitigated=record.mitigated,
        outcome=record.outcome,
        counterfactual_failures=record.counterfactual_failures,
        views_per_session=traffic.views_per_session,
        injection=measure(record, placed, *phase_windows(record)[Phase.INJECTION]),
    )


def failed_actions(outcome: Mapping[str, Any], counters: Sequence[str]) -> int:
    """User-visible damage at model scale: the war game's damage counters, summed."""
    return sum(int(float(outcome.get(name) or 0)) for name in counters)


def judge_run(record: RunRecord, traffic: TrafficSpec) -> WarGameResult:
    spec, placed = record.spec, place_on_model_time(record)
    phases = judge_phases(record, placed)
    injected = phase_windows(record)[Phase.INJECTION][0]
    recovery = measure_recovery_time(health_bins(record, placed), injected, spec.bin_s, spec.sustain_s)
    lost, acknowledged, rejected = count_lost_writes(record)
    broken = list(list_broken_slos(phases, lost, recovery, spec.recovery_target_s))
    if before_met(record) is False:
        broken.append("steady_state_hypothesis (before the fault)")
    if record.journal.get("deviated"):
        broken.append("steady_state_hypothesis")
    if record.recheck.get("steady_state_met") is not True:
        broken.append("rollback_verification")
    controllers, platform = summarise_controllers(record), summarise_platform(record.outcome)
    if residency_broken(platform, controllers):
        broken.append("residency (cross-jurisdiction routes)")
    invalid = find_invalid_reason(record, placed)
    calibration = calibrate(record, placed, traffic)
    if invalid is None and calibration is not None and not calibration.within_tolerance:
        invalid = describe_miss(calibration)
    dollars = estimate_dollars_at_risk(
        failed_actions(record.outcome, spec.damage_counters), traffic, spec.direct_loss_basis
    )
    counterfactual = (
        estimate_dollars_at_risk(record.counterfactual_failures, traffic, spec.direct_loss_basis)
        if record.counterfactual_failures is not None
        else dollars
    )
    return WarGameResult(
        scenario=spec.name,
        verdict=decide_verdict(broken, invalid),
        broken_slos=tuple(broken),
        invalid_reason=invalid,
        mitigated=record.mitigated,
        phases=phases,
        recovery_time_s=recovery,
        recovery_target_s=spec.recovery_target_s,
        lost_writes=lost,
        acknowledged_writes=acknowledged,
        rejected_writes=rejected,
        dollars=dollars,
        unmitigated_dollars=counterfactual,
        locust=summarise_locust(placed),
        rollback_verified=record.recheck.get("steady_state_met") is True,
        controllers=controllers,
        platform=platform,
        calibration=calibration,
        wall_time_s=round(record.wall_time_s, 1),
        journal_path=str(record.out_dir / "journal.json"),
        report_path=str(record.out_dir / "report.html"),
    )

"""Budget breaker benchmark on the embedded sandbox: trip latency, bounded overspend, false trips.

    uv run python benchmarks/breaker.py [--days 30] [--tick 30] [--workers 2] [--out .reelops/bench]

1. ``finops/scenarios/runaway-spend.yaml`` (a client prefetch bug from 09:00, 3.5x video fetches)
   under the reactive capacity controllers, with and without the breaker: when it opened (in control
   intervals after the runaway's onset and after the estimator's projection crossed the threshold),
   the day's spend and overspend beyond the threshold in both runs, and what playback (P1) saw.
2. ``normal-day`` over ``--days`` consecutive dates (every weekday, Saturday upload peaks included),
   one seed each: days on which the breaker opened (false trips), paged or warned.
3. The estimator against the sandbox's own spend meter (its "billing"), per cost centre.

``--out`` writes the estimator's ledger, the sandbox's spend as a FOCUS file and the breaker's state,
so that ``ops finops report --billing OUT/billing.parquet --ledger OUT/ledger.jsonl --state-file
OUT/breaker.json`` renders the simulated month.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import BaseModel, ConfigDict

from controllers.breaker.adapters import FileBreakerStore
from controllers.breaker.breaking import build_breaker, egress_before_day_gb
from controllers.breaker.models import BreakerEvent, BreakerMemory
from controllers.breaker.sandbox_adapters import BreakerStrategy, TracePoint
from finops.billing import CostRecord, Ledger
from finops.focus import write_focus_parquet
from finops.reconciling import reconcile
from sandbox.running import Reactive, build_sandbox, drive
from sandbox.scenarios import Scenario, load_scenario
from stacks.loading import load_prod_platforms

RUNAWAY = Path(__file__).resolve().parent.parent / "finops" / "scenarios" / "runaway-spend.yaml"


class DayRun(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    scenario: str
    day: date
    with_breaker: bool
    spend_by_center: dict[str, float]
    estimated_by_center: dict[str, float]
    failed_starts: float
    video_start_p95_ms: float
    cross_jurisdiction_routes: float
    trace: tuple[TracePoint, ...]
    events: tuple[BreakerEvent, ...]
    applied_ever: tuple[str, ...]

    @property
    def spend(self) -> float:
        return sum(self.spend_by_center.values())

    def states(self) -> set[str]:
        return {p.state for p in self.trace}


def run_day(scenario: Scenario, seed: int, with_breaker: bool) -> DayRun:
    platforms = load_prod_platforms()
    sb = build_sandbox(scenario, seed, platforms)
    start = datetime.fromtimestamp(scenario.start_epoch, UTC)
    breaker = build_breaker(list(platforms.values()), month_to_date_gb=egress_before_day_gb(sb.spec.traffic, start.day))
    strategy = BreakerStrategy(sb, breaker, Reactive())
    if with_breaker:
        drive(sb, strategy)
    else:
        drive(sb, Reactive())
    outcome = sb.outcome()
    estimate = breaker.latest()[0]
    memory = strategy.store.load()
    return DayRun(
        scenario=scenario.name,
        day=start.date(),
        with_breaker=with_breaker,
        spend_by_center=dict(sb.spend.by_centre),
        estimated_by_center=estimate.spent_today_by_cost_center if estimate else {},
        failed_starts=outcome.failed_starts,
        video_start_p95_ms=outcome.video_start_p95_ms,
        cross_jurisdiction_routes=outcome.cross_jurisdiction_routes,
        trace=tuple(strategy.trace),
        events=memory.events,
        applied_ever=tuple(dict.fromkeys(a for e in memory.events for a in e.applied)),
    )


def normal_day(base: Scenario, day: int, tick: float) -> Scenario:
    start = base.start.replace(day=1) + timedelta(days=day)
    return base.model_copy(update={"start": start, "tick_s": tick, "name": f"normal-day-{start:%m%d}"})


def hhmm(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M")


def report_runaway(with_b: DayRun, without: DayRun, threshold: float, interval: float, onset: float) -> None:
    trace = with_b.trace
    opened = next((p for p in trace if p.state == "open"), None)
    crossed = next((p for p in trace if p.estimated_projection_usd >= threshold), None)
    naive = next((p for p in trace if p.sandbox_projection_usd >= threshold), None)
    print("== runaway-spend (prefetch bug from 09:00, 3.5x fetches), reactive controllers +/- breaker")
    if opened is None or crossed is None:
        print("   breaker never opened: TARGET MISSED")
        return
    print(
        f"   runaway onset {hhmm(onset)}; estimator projection >= ${threshold:,.0f} at {hhmm(crossed.at)} "
        f"(${crossed.estimated_projection_usd:,.0f}); breaker open at {hhmm(opened.at)}"
    )
    print(
        f"   trip latency: {(opened.at - crossed.at) / interval:.0f} control interval(s) after the projection "
        f"crossed, {(opened.at - onset) / interval:.0f} after the onset (target <= 2)"
    )
    if naive:
        print(f"   (the sandbox's own 10-min linear projection crossed only at {hhmm(naive.at)})")
    else:
        print("   (the sandbox's own 10-min linear projection never crossed with the breaker acting)")
    for label, run in (("without breaker", without), ("with breaker", with_b)):
        over = max(0.0, run.spend - threshold)
        print(
            f"   {label:16s} day spend ${run.spend:,.0f}; overspend beyond ${threshold:,.0f}: ${over:,.0f}; "
            f"failed starts {run.failed_starts:,.0f}; start p95 {run.video_start_p95_ms:.0f} ms; "
            f"cross-jurisdiction routes {run.cross_jurisdiction_routes:.0f}"
        )
    relapses = sum(1 for e in with_b.events if e.reason == "half_open_relapse")
    print(
        f"   degradations applied: {', '.join(with_b.applied_ever)}; breaker events {len(with_b.events)}, "
        f"half-open relapses {relapses}; final state {trace[-1].state}"
    )


def report_normal(days: list[DayRun]) -> None:
    opened = [d for d in days if "open" in d.states()]
    paged = [d for d in days if "page" in d.states()]
    warned = [d for d in days if "warn" in d.states()]
    peak = max(max(p.estimated_projection_usd for p in d.trace[30:]) for d in days)
    spend = [d.spend for d in days]
    print(f"== {len(days)} normal days ({days[0].day} .. {days[-1].day}), reactive controllers + breaker")
    print(f"   false trips (opened): {len(opened)}; paged: {len(paged)}; warned: {len(warned)} (target: 0 false trips)")
    print(f"   daily spend ${min(spend):,.0f} .. ${max(spend):,.0f}; highest projection after 00:30 ${peak:,.0f}")


def report_reconciliation(days: list[DayRun]) -> None:
    est = [
        CostRecord(day=d.day, cost_center=c, usd=v, source="estimated")
        for d in days
        for c, v in d.estimated_by_center.items()
    ]
    billed = [
        CostRecord(day=d.day, cost_center=c, usd=v, source="billed") for d in days for c, v in d.spend_by_center.items()
    ]
    rec = reconcile(est, billed)
    print(f"== estimator vs the sandbox's spend meter over {len(rec.days)} days")
    for x in (*rec.by_cost_center, rec.total):
        ratio = "n/a (not metered by the sandbox)" if x.error_ratio is None else f"{x.error_ratio:+.2%}"
        print(f"   {x.cost_center:14s} estimated ${x.estimated_usd:>11,.0f}  billed ${x.billed_usd:>11,.0f}  {ratio}")
    if rec.worst_day_error_ratio is not None:
        print(f"   worst single day (total): {rec.worst_day_error_ratio:.2%}")


def write_outputs(out: Path, days: list[DayRun]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(out / "ledger.jsonl")
    ledger.path.unlink(missing_ok=True)
    ledger.append(
        [
            CostRecord(day=d.day, cost_center=c, usd=v, source="estimated")
            for d in days
            for c, v in d.estimated_by_center.items()
        ]
    )
    billed = [
        CostRecord(day=d.day, cost_center=c, usd=v, source="billed", service="sandbox")
        for d in days[:-2]
        for c, v in d.spend_by_center.items()
    ]  # billing lags: the last 2 days not in yet
    write_focus_parquet(billed, out / "billing.parquet")
    events = tuple(e for d in days for e in d.events)
    FileBreakerStore(out / "breaker.json").save(BreakerMemory(events=events[-200:]), dry_run=False)
    print(f"== wrote {out}/ledger.jsonl, billing.parquet (sandbox spend, last 2 days not billed yet), breaker.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--tick", type=float, default=30.0, help="tick of the normal days (runaway: its own)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    runaway = load_scenario(RUNAWAY)
    normal = load_scenario("normal-day")
    budgets = load_prod_platforms()["prod-global"].settings.budgets
    assert budgets is not None
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        pair = [pool.submit(run_day, runaway, 0, flag) for flag in (True, False)]
        days = [pool.submit(run_day, normal_day(normal, i, args.tick), i, True) for i in range(args.days)]
        with_b, without = (f.result() for f in pair)
        normal_runs = [f.result() for f in days]
    onset = runaway.start_epoch + (runaway.surge.start_s if runaway.surge else 0.0)
    report_runaway(with_b, without, budgets.breaker_usd, runaway.control_interval_s, onset)
    report_normal(normal_runs)
    # the simulated month: the runaway replaces the normal run of its own date
    month = sorted([*(d for d in normal_runs if d.day != with_b.day), with_b], key=lambda d: d.day)
    report_reconciliation(month)
    if args.out:
        write_outputs(args.out, month)


if __name__ == "__main__":
    main()

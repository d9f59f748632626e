"""The scoreboard: every sandbox scenario under every strategy, with the figures the issue asks for.

Strategies: ``none`` and ``reactive`` (the sandbox's), ``history-predictive``, ``social-predictive``
and ``oracle`` (``controllers/strategies.py``). In ``viral-surge`` the write buffer is on for every
strategy but ``none``, which stays the unmitigated platform. Runs are independent, so they spread
over processes. ``check_targets`` turns the rows into the issue's pass/fail targets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

from pydantic import BaseModel, ConfigDict

from controllers.strategies import STRATEGY_NAMES, make_strategy
from sandbox.running import build_sandbox, drive
from sandbox.scenarios import Scenario, load_scenario

SCENARIOS = (
    "normal-day",
    "viral-surge",
    "regional-failure",
    "origin-failure",
    "az-failure-during-surge",
    "saturday-upload-peak",
)
BUFFERED_SCENARIOS = ("viral-surge",)
KEYS = (
    "throttled_writes",
    "delayed_writes",
    "lost_writes",
    "video_start_p95_ms",
    "upload_to_live_p95_s",
    "upload_to_live_p99_s",
    "cross_jurisdiction_routes",
    "capacity_cost_usd",
)


class Row(BaseModel):
    """One scenario under one strategy (the JSON keys of ``ops bench scoreboard --json``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    scenario: str
    strategy: str
    throttled_writes: int
    delayed_writes: int
    lost_writes: int
    video_start_p95_ms: float
    upload_to_live_p95_s: float
    upload_to_live_p99_s: float
    cross_jurisdiction_routes: int
    capacity_cost_usd: float


class Target(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    scenario: str
    name: str
    value: float | None
    limit: float
    ok: bool


def prepare(scenario: Scenario, strategy: str) -> Scenario:
    if scenario.name in BUFFERED_SCENARIOS and strategy != "none":
        return scenario.with_mitigations(write_buffer=True)
    return scenario


def run_one(job: tuple[Scenario, str, int]) -> Row:
    """Run one scenario under one strategy to its end."""
    scenario, strategy, seed = job
    sandbox = build_sandbox(prepare(scenario, strategy), seed)
    drive(sandbox, make_strategy(strategy))
    data = sandbox.outcome().as_dict()
    return Row(scenario=scenario.name, strategy=strategy, **{k: data[k] for k in KEYS})


def run_scoreboard(
    scenarios: Sequence[Scenario] | None = None,
    strategies: Sequence[str] = STRATEGY_NAMES,
    seed: int = 0,
    jobs: int = 1,
) -> list[Row]:
    """Every (scenario, strategy) pair, in scenario then strategy order."""
    chosen = list(scenarios) if scenarios is not None else [load_scenario(n) for n in SCENARIOS]
    work = [(sc, st, seed) for sc in chosen for st in strategies]
    if jobs <= 1:
        return [run_one(w) for w in work]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run_one, work))


def find(rows: Iterable[Row], scenario: str, strategy: str) -> Row | None:
    return next((r for r in rows if r.scenario == scenario and r.strategy == strategy), None)


def check_targets(rows: list[Row]) -> list[Target]:
    """The issue's targets for the rows present (a missing row is a failed target)."""
    out: list[Target] = []
    social, reactive, oracle = (find(rows, "viral-surge", s) for s in ("social-predictive", "reactive", "oracle"))
    if social and reactive and oracle:
        ours = social.throttled_writes + social.delayed_writes
        theirs = reactive.throttled_writes + reactive.delayed_writes
        share = ours / theirs if theirs else (0.0 if ours == 0 else float("inf"))
        cost = social.capacity_cost_usd / oracle.capacity_cost_usd if oracle.capacity_cost_usd else float("inf")
        out += [
            Target(
                scenario="viral-surge",
                name="throttled+delayed vs reactive",
                value=share,
                limit=0.001,
                ok=share <= 0.001,
            ),
            Target(
                scenario="viral-surge",
                name="lost writes (social-predictive)",
                value=social.lost_writes,
                limit=0,
                ok=social.lost_writes == 0,
            ),
            Target(
                scenario="viral-surge",
                name="lost writes (reactive)",
                value=reactive.lost_writes,
                limit=0,
                ok=reactive.lost_writes == 0,
            ),
            Target(scenario="viral-surge", name="capacity cost vs oracle", value=cost, limit=1.25, ok=cost <= 1.25),
        ]
    sat = find(rows, "saturday-upload-peak", "social-predictive")
    if sat:
        out += [
            at_most(sat.scenario, "upload-to-live p95 (s)", sat.upload_to_live_p95_s, 30),
            at_most(sat.scenario, "upload-to-live p99 (s)", sat.upload_to_live_p99_s, 45),
            at_most(sat.scenario, "cross-jurisdiction routes", sat.cross_jurisdiction_routes, 0),
        ]
    return out


def at_most(scenario: str, name: str, value: float, limit: float) -> Target:
    """A target met when ``value`` does not exceed ``limit``."""
    return Target(scenario=scenario, name=name, value=value, limit=limit, ok=value <= limit)

"""The platform under test: the sandbox in scaled real time on a free loopback port, with or without
the controllers, and the unmitigated counterfactual in fast time.

The scenario's own fault schedule is removed (the Chaos Toolkit experiment injects the fault), its
mitigations are set for the run (the war game's list when mitigated, all off when not), and the model
is fast-forwarded, controllers acting, to ``baseline_s`` before the scenario's fault (or surge), so
that a war game spends its wall time where it matters.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.engine import Sandbox
from sandbox.running import NoControl, Strategy, build_sandbox, drive
from sandbox.scenarios import Mitigations, Scenario, load_scenario
from stacks.loading import load_prod_platforms
from wargames.catalogue import REPO_ROOT
from wargames.controlling import ControllersStrategy
from wargames.judging import failed_actions
from wargames.models import WarGameSpec

LEAD_WALL_S = 8.0  # wall seconds for Locust to start and settle before the baseline (x speed = model s)


@dataclass
class RunningPlatform:
    url: str
    trouble_at: float  # model clock (epoch s, like /healthz) of the scenario's fault or surge
    peak_at: float  # model clock at which the load shape's surge or peak should begin
    stop: Callable[[], None]
    decisions: Callable[[], list[dict[str, Any]]]
    facts: Callable[[], dict[str, Any]]  # what the controllers did (empty when unmitigated: none ran)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mitigation_flags(spec: WarGameSpec, mitigated: bool) -> dict[str, bool]:
    """The war game's mitigations on (and every other off), or all of them off."""
    return {name: mitigated and name in spec.mitigations for name in Mitigations.model_fields}


def fault_time(scenario: Scenario, surge_start_s: float | None) -> float:
    """When the scenario's trouble starts: its first fault, else its surge, else its start."""
    if scenario.faults:
        return min(f.at_s for f in scenario.faults)
    return surge_start_s if surge_start_s is not None else 0.0


def hold_seconds(spec: WarGameSpec) -> float:
    """How long the experiment holds its fault (the model seconds of its ``wait_model_time`` steps)."""
    experiment = json.loads((REPO_ROOT / spec.experiment).read_text())
    return float(
        sum(
            a["provider"].get("arguments", {}).get("seconds", 0)
            for a in experiment.get("method", [])
            if a.get("provider", {}).get("func") == "wait_model_time"
        )
    )


def war_scenario(spec: WarGameSpec, mitigated: bool) -> Scenario:
    """The served scenario: traffic and surge as designed, no scheduled faults, the run's mitigations."""
    scenario = load_scenario(spec.sandbox_scenario)
    return scenario.model_copy(update={"faults": ()}).with_mitigations(**mitigation_flags(spec, mitigated))


def counterfactual_scenario(spec: WarGameSpec) -> Scenario:
    """The design's unmitigated platform with the scenario's faults held as long as the experiment holds."""
    scenario = load_scenario(spec.sandbox_scenario)
    hold = hold_seconds(spec)
    faults = tuple(f.model_copy(update={"duration_s": hold}) for f in scenario.faults)
    return scenario.model_copy(update={"faults": faults}).with_mitigations(**mitigation_flags(spec, False))


def estimate_counterfactual(spec: WarGameSpec, seed: int) -> int:
    """Failed user actions (the war game's damage counters) with no controller and no mitigation."""
    sandbox = build_sandbox(counterfactual_scenario(spec), seed)
    drive(sandbox, NoControl())
    return failed_actions(sandbox.outcome().as_dict(), spec.damage_counters)


def prepare_sandbox(spec: WarGameSpec, mitigated: bool, seed: int) -> tuple[Sandbox, Strategy, float, float]:
    """A sandbox fast-forwarded to just before the baseline, its strategy, and (model clock) when the
    trouble starts and when the load's surge or peak should begin."""
    scenario = war_scenario(spec, mitigated)
    sandbox = build_sandbox(scenario, seed)
    platforms = [p for p in load_prod_platforms().values() if p.settings.kind == "jurisdiction"]
    strategy: Strategy = ControllersStrategy(sandbox, platforms) if mitigated else NoControl()
    trouble = fault_time(load_scenario(spec.sandbox_scenario), sandbox.surge_start_s)
    start = max(0.0, trouble - spec.baseline_s - LEAD_WALL_S * spec.speed)
    drive(sandbox, strategy, until_tick=int(start / sandbox.dt))
    to_clock = sandbox.clock.now() - sandbox.now
    peak = sandbox.surge_start_s if sandbox.surge_start_s is not None else trouble
    return sandbox, strategy, trouble + to_clock, peak + to_clock


def start_platform(spec: WarGameSpec, *, mitigated: bool, seed: int) -> RunningPlatform:
    """Serve the prepared sandbox in scaled real time on a free loopback port."""
    from sandbox.serving import serve_in_background  # the sandbox's own HTTP server (contracts section 4)

    sandbox, strategy, trouble_at, peak_at = prepare_sandbox(spec, mitigated, seed)
    server = serve_in_background(sandbox, host="127.0.0.1", port=free_port(), speed=spec.speed, strategy=strategy)
    controllers = strategy if isinstance(strategy, ControllersStrategy) else None
    return RunningPlatform(
        url=server.url,
        trouble_at=trouble_at,
        peak_at=peak_at,
        stop=server.stop,
        decisions=controllers.decisions if controllers else list,
        facts=controllers.facts if controllers else dict,
    )

"""route() as the sandbox's encode routing: uploads follow its decisions and never cross."""

from __future__ import annotations

from controllers.routing.models import RouterConfig
from controllers.routing.sandboxing import install_router
from sandbox.running import NoControl, build_sandbox, drive


def test_sandbox_uploads_follow_route_decisions() -> None:
    sandbox = build_sandbox("saturday-upload-peak")
    routing = install_router(sandbox)
    drive(sandbox, NoControl(), until_tick=360)  # one model hour at 10 s ticks
    actions = {action for (_, action) in sandbox.pools.decisions}
    assert actions <= {"home", "overflow", "cpu_fallback", "rate_limit"} and "home" in actions
    assert next(routing.ids) > 0, "the installed router was never asked"
    assert routing.guard_trips == 0
    assert sandbox.outcome().cross_jurisdiction_routes == 0


def test_hostile_lanes_in_the_sandbox_fall_back_inside_the_jurisdiction() -> None:
    sandbox = build_sandbox("saturday-upload-peak")
    good = RouterConfig.from_platforms(sandbox.stacks)
    lanes = {**good.lanes, "EU": good.lanes["EU"].model_copy(update={"home": good.lanes["US"].home})}
    install_router(sandbox, RouterConfig.model_construct(lanes=lanes, residency=good.residency))
    drive(sandbox, NoControl(), until_tick=30)
    eu = {action for (jurisdiction, action) in sandbox.pools.decisions if jurisdiction == "EU"}
    assert eu <= {"overflow", "cpu_fallback"}  # never the US pool it was pointed at
    assert ("US", "home") in sandbox.pools.decisions
    assert sandbox.outcome().cross_jurisdiction_routes == 0

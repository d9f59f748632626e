"""The `ops` command: one typer sub-app per area, joined here and nowhere else.

Platform engineers (plan, controllers, route), SREs (sandbox, wargame, runbook, status) and finance
(finops, breaker) each get their own area; every area is a thin layer over its package.
"""

from __future__ import annotations

import typer

from cli import (
    bench,
    breaker,
    controllers,
    demo,
    finops,
    forecast,
    plan,
    route,
    runbook,
    sandbox,
    status,
    wargame,
)

app = typer.Typer(
    name="ops",
    help="reelops: plan, operate, war-game and cost a multi-region short-video platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("plan")(plan.plan_command)
app.command("status")(status.status_command)
app.command("demo")(demo.demo_command)
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(controllers.app, name="controllers")
app.add_typer(route.app, name="route")
app.add_typer(forecast.app, name="forecast")
app.add_typer(bench.app, name="bench")
app.add_typer(wargame.app, name="wargame")
app.add_typer(finops.app, name="finops")
app.add_typer(breaker.app, name="breaker")
app.add_typer(runbook.app, name="runbook")


def main() -> None:
    app()

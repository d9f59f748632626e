"""`ops demo`: the README's main job on the embedded sandbox, from a fresh clone, in one command.

It plans every prod stack offline (Pulumi mock runtime), then runs the headline war games (viral
surge, regional failure) on the sandbox with the controllers on, and prints one verdict table. Each
step is the same code the individual commands run (`ops plan`, `ops wargame run`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cli import plan
from cli.common import EXIT_FAILED, EXIT_OK, err, out
from cli.wargame import print_verdicts, report_failures, run_with_progress
from stacks.loading import PROD_STACKS
from wargames.catalogue import find_wargame

DEMO_WARGAMES = ("viral-surge", "regional-failure")
DEMO_SPEED = 10.0  # the war games' own pace (they also pass at 20x: docs/wargames.md)


def plan_stacks() -> int:
    worst = EXIT_OK
    for stack in PROD_STACKS:
        out.rule(f"ops plan --stack {stack}")
        try:
            plan.plan_command(stack=stack)
        except typer.Exit as exit_:
            worst = max(worst, exit_.exit_code)
    return worst


def demo_command(
    report: Annotated[Path, typer.Option(help="folder for the war-game reports")] = Path("reports/demo"),
    speed: Annotated[float, typer.Option(help="model seconds per wall second for the war games")] = DEMO_SPEED,
) -> None:
    """Plan every prod stack offline, then run the viral-surge and regional-failure war games."""
    started = time.monotonic()
    worst = plan_stacks()
    results = []
    for name in DEMO_WARGAMES:
        out.rule(f"ops wargame run {name} --speed {speed:g}")
        spec = find_wargame(name).model_copy(update={"speed": speed})
        results.append(run_with_progress(spec, report / name, True, 7))
    out.rule("verdicts")
    print_verdicts(results)
    err.print(f"reports: {report}/<war game>/report.html; demo took {time.monotonic() - started:.0f} s")
    worst = max(worst, report_failures(results))
    raise typer.Exit(EXIT_FAILED if worst == EXIT_FAILED else worst)

"""`ops demo`: the README's main job on the embedded sandbox, from a fresh clone, in one command.

It plans every stack offline (Pulumi mock runtime) and then runs the headline war games on the
sandbox, printing one verdict table. Each step is the same code the individual commands run.
"""

from __future__ import annotations

import typer

from cli import plan
from cli.common import EXIT_OK, out
from stacks.loading import PROD_STACKS


def demo_command() -> None:
    """Plan every prod stack offline, then run the headline war games on the sandbox."""
    worst = EXIT_OK
    for stack in PROD_STACKS:
        out.rule(f"ops plan --stack {stack}")
        try:
            plan.plan_command(stack=stack)
        except typer.Exit as exit_:
            worst = max(worst, exit_.exit_code)
    raise typer.Exit(worst)

"""`ops wargame`: run the war games (Chaos Toolkit + Locust + controllers on the sandbox) and judge them.

Exit codes: 0 every war game passed; 1 an SLO broke (the broken SLOs are named on stderr) or a run
was invalid (e.g. Locust's CPU saturated); 2 invalid input (unknown war game, bad option).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.common import EXIT_FAILED, EXIT_OK, err, fail_invalid, out, print_json
from wargames.catalogue import WarGameError, find_wargame, load_catalogue, load_experiment
from wargames.models import Verdict, WarGameResult, WarGameSpec

app = typer.Typer(
    help="War games: chaos experiments under load, with verdicts and dollars at risk.", no_args_is_help=True
)


@app.command("list")
def list_command(json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """List the war games: scenario, experiment, runbook and SLOs."""
    games = load_catalogue()
    if json_out:
        print_json({"wargames": [g.model_dump(mode="json") for g in games.values()]})
        return
    table = Table(title="war games")
    for column in ("name", "title", "experiment", "runbook", "SLOs"):
        table.add_column(column)
    for g in games.values():
        table.add_row(g.name, g.title, g.experiment, g.runbook, ", ".join(sorted({s.name for s in g.slos})))
    out.print(table)


def pick_wargames(scenario: str | None, run_all: bool) -> list[WarGameSpec]:
    if run_all == (scenario is not None):
        fail_invalid("give exactly one of SCENARIO or --all (see `ops wargame list`)")
    try:
        specs = list(load_catalogue().values()) if run_all else [find_wargame(str(scenario))]
        for spec in specs:
            load_experiment(spec)
    except WarGameError as exc:
        fail_invalid(str(exc))
    return specs


def run_with_progress(spec: WarGameSpec, report_dir: Path, mitigated: bool, seed: int) -> WarGameResult:
    from wargames.running import run_wargame

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[detail]}"))
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as progress:
        task = progress.add_task(spec.name, total=1.0, detail="starting the sandbox")

        def show(phase: str, done: float, planned: float) -> None:
            detail = f"{phase} {done:.0f}/{planned:.0f} model s" if planned else f"{phase}: experiment running"
            progress.update(task, completed=(done / planned) if planned else 0.0, detail=detail)

        return run_wargame(spec, report_dir, mitigated=mitigated, seed=seed, progress=show)


def print_verdicts(results: Sequence[WarGameResult]) -> None:
    """One row per war game (fits 80 columns), then the broken SLOs of each failed one."""
    table = Table(
        title="war-game verdicts",
        caption="recovery/target: model s; lost: writes; at risk, unmitigated: USD (SPEC 8)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
    )
    table.add_column("war game", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for column in ("recovery", "lost", "at risk", "unmitigated"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        colour = {"pass": "green", "fail": "red", "invalid": "yellow"}[r.verdict.value]
        table.add_row(
            r.scenario,
            f"[{colour}]{r.verdict.value}[/]",
            f"{'never' if r.recovery_time_s is None else f'{r.recovery_time_s:.0f}'}/{r.recovery_target_s:.0f} s",
            f"{r.lost_writes:,}",
            f"${r.dollars.total_usd:,.0f}",
            f"${r.unmitigated_dollars.total_usd:,.0f}" if r.unmitigated_dollars else "-",
        )
    out.print(table)
    for r in results:
        if r.broken_slos or r.invalid_reason:
            out.print(f"{r.scenario}: {r.invalid_reason or ', '.join(r.broken_slos)}", highlight=False)
    for r in results:
        out.print(f"{r.scenario}: {describe_figures(r)}", highlight=False, soft_wrap=True)
    for r in results:
        out.print(f"{r.scenario}: {r.wall_time_s:.0f} s wall, report {r.report_path}", highlight=False, soft_wrap=True)


def describe_figures(r: WarGameResult) -> str:
    """Availability as users see it (SPEC 8), residency and what the router and warmer did, in one line."""
    parts = [f"sessions failed {r.locust.failed_sessions:,}/{r.locust.sessions:,}"]
    if r.calibration is not None and r.calibration.measured_session_failure_ratio is not None:
        c = r.calibration
        parts[0] += (f" (fault: {c.measured_session_failure_ratio:.2%}, design {c.design_session_failure_ratio:.2%}"
                     f"{'' if c.within_tolerance else ', sandbox OFF calibration'})")  # fmt: skip
    if r.platform is not None:
        parts.append(f"cross-jurisdiction routes {r.platform.cross_jurisdiction_routes:,}")
    if r.controllers is not None:
        parts.append(f"router decisions {r.controllers.router_decisions:,}")
        parts.append(f"warm requests {r.controllers.warm_requests:,}")
    return "; ".join(parts)


def report_failures(results: Sequence[WarGameResult]) -> int:
    code = EXIT_OK
    for r in results:
        if r.verdict is Verdict.FAIL:
            err.print(f"[red]{r.scenario}: SLOs broken:[/] {', '.join(r.broken_slos)}", highlight=False)
            code = EXIT_FAILED
        elif r.verdict is Verdict.INVALID:
            err.print(f"[yellow]{r.scenario}: invalid run:[/] {r.invalid_reason}", highlight=False)
            code = EXIT_FAILED
    return code


def run_wargames(
    specs: Sequence[WarGameSpec], report: Path, mitigated: bool, seed: int, json_out: bool
) -> list[WarGameResult]:
    results = []
    for spec in specs:
        target = report / spec.name if len(specs) > 1 else report
        results.append(run_with_progress(spec, target, mitigated, seed))
    if json_out:
        print_json(results[0].to_json() if len(results) == 1 else {"results": [r.to_json() for r in results]})
    else:
        print_verdicts(results)
    return results


@app.command("run")
def run_command(
    scenario: Annotated[str | None, typer.Argument(help="war game name (see `ops wargame list`)")] = None,
    backend: Annotated[str, typer.Option(help="where to run: sandbox (the embedded platform)")] = "sandbox",
    report: Annotated[Path | None, typer.Option(help="folder for journal, Locust CSV, summary.md, report.html")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object on stdout")] = False,
    unmitigated: Annotated[bool, typer.Option(help="controllers and the scenario's mitigations off")] = False,
    run_all: Annotated[bool, typer.Option("--all", help="run every war game")] = False,
    speed: Annotated[float | None, typer.Option(help="override model seconds per wall second")] = None,
    seed: Annotated[int, typer.Option(help="sandbox seed")] = 7,
) -> None:
    """Run a war game: sandbox + controllers + Locust + Chaos Toolkit experiment -> verdict and report."""
    if backend != "sandbox":
        fail_invalid(
            f"--backend: only 'sandbox' is supported by war games (got {backend!r}); the experiments "
            "themselves run against AWS with `chaos run` and configuration target=aws"
        )
    if speed is not None and not 0 < speed <= 200:
        fail_invalid(f"--speed: expected a number in (0, 200], got {speed}")
    specs = pick_wargames(scenario, run_all)
    if speed is not None:
        specs = [s.model_copy(update={"speed": speed}) for s in specs]
    folder = report or Path("reports") / "wargames" / time.strftime("%Y%m%dT%H%M%S")
    results = run_wargames(specs, folder, not unmitigated, seed, json_out)
    raise typer.Exit(report_failures(results))

"""`ops forecast`: what the predictive scaler forecast, how well it did, and how far ahead it acted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail_invalid, out, print_json

app = typer.Typer(help="The predictive scaler's forecasts and its self-scoring.", no_args_is_help=True)
DEFAULT_AUDIT = Path(".reelops/controllers-audit.jsonl")


def stamp(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@app.command("show")
def show_command(
    audit: Annotated[Path, typer.Option(help="audit log written by `ops controllers run`")] = DEFAULT_AUDIT,
    json_out: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Latest forecast per video (mean and upper quantile, fitted branching ratio, decay, lag), the
    scores of past forecasts against what happened, and the lead time achieved per resource."""
    from rich.table import Table

    from controllers.predictive.reporting import build_report
    from controllers.runtime.auditing import read_audit

    if not audit.exists():
        fail_invalid(f"--audit: {audit} not found (run `ops controllers run` first)")
    try:
        report = build_report(read_audit(audit))
    except ValueError as exc:
        fail_invalid(str(exc))
    if json_out:
        print_json(report.model_dump(mode="json"))
        return
    out.print(
        f"predictive scaler: {report.decisions} decisions, {report.held} held on faults; last at {stamp(report.at)}"
    )
    table = Table(title="latest forecast (views/min)")
    for col in ("video", "region", "horizon s", "mean", "upper", "branching n", "decay s", "lag s"):
        table.add_column(col, justify="left" if col in ("video", "region") else "right")
    for f in report.forecasts:
        table.add_row(
            f.video_id,
            f.region,
            f"{f.horizon_s:.0f}",
            f"{f.views_mean:.1f}",
            f"{f.views_upper:.1f}",
            f"{f.branching_ratio:.2f}",
            f"{f.decay_s:.0f}",
            f"{f.lag_s:.0f}",
        )
    out.print(table, width=140)
    scores = Table(title="self-scoring at the horizon (predicted vs actual)")
    for col in ("video", "region", "scored", "mean |log err|", "coverage", "last predicted", "last actual"):
        scores.add_column(col, justify="left" if col in ("video", "region") else "right")
    for s in report.scores:
        scores.add_row(
            s.video_id,
            s.region,
            str(s.scored),
            f"{s.mean_abs_log_error:.2f}",
            f"{s.coverage:.0%}",
            f"{s.last_predicted:.1f}",
            f"{s.last_actual:.1f}",
        )
    out.print(scores, width=140)
    for key, lead in sorted(report.lead_times_s.items()):
        out.print(f"lead time achieved  {key:<45} {lead / 60:6.1f} min")
    for reason, count in sorted(report.changes_by_reason.items()):
        out.print(f"changes  {reason:<25} {count}")

"""The war game's report: ``summary.md`` for a terminal or a ticket, ``report.html`` for a person.

Both render the same WarGameResult; the HTML adds the timeline chart (wargames/charting.py) and the
experiment's activities from the Chaos Toolkit journal.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from wargames.charting import render_timeline_svg
from wargames.judging import place_on_model_time
from wargames.models import Metric, WarGameResult

if TYPE_CHECKING:
    from wargames.records import RunRecord

TEMPLATES = Path(__file__).with_name("templates")


def format_value(value: float | None) -> str:
    if value is None:
        return "no data"
    if abs(value) < 1 and value != 0:
        return f"{value:.4f}"
    return f"{value:,.1f}"


def list_activities(journal: dict[str, Any]) -> list[dict[str, str]]:
    """The journal's runs (method and rollbacks) as rows: name, type, status, short output."""
    rows = []
    for run in [*journal.get("run", []), *journal.get("rollbacks", [])]:
        activity = run.get("activity", {})
        output = run.get("output") if run.get("status") == "succeeded" else run.get("exception")
        rows.append(
            {
                "name": str(activity.get("name", "?")),
                "type": str(activity.get("type", "?")),
                "status": str(run.get("status", "?")),
                "output": str(output)[:120] if output is not None else "",
            }
        )
    return rows


def slo_ms_of(record: RunRecord) -> float | None:
    limits = [g.limit for g in record.spec.slos if g.metric is Metric.VIDEO_START_P95_MS]
    return min(limits) if limits else None


def render_markdown(record: RunRecord, result: WarGameResult) -> str:
    origin = record.started_model_s
    lines = [
        f"# War game `{result.scenario}`: **{result.verdict.value.upper()}**",
        "",
        f"{record.spec.title}. {'Controllers and mitigations on' if result.mitigated else 'Unmitigated'}; "
        f"{record.spec.speed:g}x model speed; wall time {result.wall_time_s:.0f} s.",
        "",
    ]
    if result.invalid_reason:
        lines += [f"**Invalid:** {result.invalid_reason}", ""]
    if result.broken_slos:
        lines += [f"**SLOs broken:** {', '.join(result.broken_slos)}", ""]
    recovery = "never" if result.recovery_time_s is None else f"{result.recovery_time_s:.0f} s"
    unmitigated = result.unmitigated_dollars.total_usd if result.unmitigated_dollars else 0.0
    lines += [
        "| figure | value |",
        "|---|---|",
        f"| recovery time | {recovery} (target <= {result.recovery_target_s:.0f} s) |",
        f"| lost writes | {result.lost_writes:,} ({result.acknowledged_writes:,} acknowledged, "
        f"{result.rejected_writes:,} refused after retries) |",
        f"| dollars at risk | ${result.dollars.total_usd:,.2f} (unmitigated: ${unmitigated:,.2f}) |",
        f"| Locust | {result.locust.requests:,} requests, {result.locust.failures:,} failures, "
        f"p95 {result.locust.p95_ms} ms |",
        f"| rollbacks verified | {'yes' if result.rollback_verified else 'NO'} |",
        "",
        "| phase | window (model s) | SLO | measured | limit | ok |",
        "|---|---|---|---|---|---|",
    ]
    for p in result.phases:
        for s in p.slos:
            sign = "<=" if s.bound.value == "max" else ">="
            lines.append(
                f"| {p.name.value} | {p.start_s - origin:.0f}-{p.end_s - origin:.0f} | {s.name} | "
                f"{format_value(s.value)} | {sign} {format_value(s.limit)} | {'pass' if s.ok else 'FAIL'} |"
            )
    lines += ["", "Wall time by step: " + "; ".join(f"{k} {v:.1f} s" for k, v in record.timings.items())]
    lines += ["", f"Runbook: `{record.spec.runbook}`. Report: `report.html`. Journal: `journal.json`.", ""]
    return "\n".join(lines)


def render_html(record: RunRecord, result: WarGameResult, svg: str, decisions: Sequence[dict[str, Any]]) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("report.html.j2").render(
        r=result,
        title=record.spec.title,
        speed=f"{record.spec.speed:g}",
        svg=svg,
        origin=record.started_model_s,
        fmt=format_value,
        activities=list_activities(record.journal),
        decisions=decisions,
        runbook=record.spec.runbook,
    )


def write_reports(record: RunRecord, result: WarGameResult) -> Path:
    """Write summary.md and report.html into the run's folder; returns the HTML path."""
    svg = render_timeline_svg(record, place_on_model_time(record), slo_ms_of(record))
    (record.out_dir / "summary.md").write_text(render_markdown(record, result))
    html = record.out_dir / "report.html"
    during = [d for d in record.decisions if record.started_model_s <= float(d["at"]) <= record.ended_model_s]
    html.write_text(render_html(record, result, svg, during))
    return html

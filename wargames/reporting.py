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


def describe_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in counts.items()) or "none"


def list_platform_figures(result: WarGameResult) -> list[tuple[str, str]]:
    """(figure, value) rows on residency, uploads and what each controller did."""
    rows: list[tuple[str, str]] = []
    p, c = result.platform, result.controllers
    if p is not None:
        p95 = "no data" if p.upload_to_live_p95_s is None else f"{p.upload_to_live_p95_s:.1f} s"
        rows += [
            ("cross-jurisdiction routes", f"{p.cross_jurisdiction_routes:,} (sandbox residency re-check; "
                                          f"guard trips {p.jurisdiction_guard_trips:,})"),
            ("upload-to-live p95", f"{p95} over {p.uploads:,} uploads (full scale)"),
        ]  # fmt: skip
    if c is None:
        rows.append(("controllers", "none (unmitigated)" if not result.mitigated else "not reported"))
        return rows
    rows += [
        ("encode router", f"{c.router_decisions:,} routing decisions ({describe_counts(c.router_actions)}); "
                          f"guard trips {c.router_guard_trips:,}; installed to the end: "
                          f"{'yes' if c.router_installed else 'NO'}"),
        ("cache warmer", f"{c.warm_requests:,} warm requests for {c.encodes_completed:,} encode completions "
                         f"({describe_counts(c.warm_reasons)}); viral global pushes {c.viral_pushes:,}"),
        ("controllers", f"{', '.join(c.controllers)}; applied decisions: {describe_counts(c.applied_decisions)}; "
                        f"held on a port error: {describe_counts(c.held)} of {describe_counts(c.reconciles)} passes"),
    ]  # fmt: skip
    return rows


def ratio(value: float | None) -> str:
    return "no data" if value is None else f"{value:.2%}"


def list_availability_figures(result: WarGameResult) -> list[tuple[str, str]]:
    """(figure, value) rows: user-perceived failures as SPEC 8 counts them, against its calibration."""
    loc = result.locust
    rows = [("Locust sessions", f"{loc.sessions:,} started, {loc.failed_sessions:,} failed at their start "
                                "after client retries (user-perceived)")]  # fmt: skip
    c = result.calibration
    if c is None:
        return rows
    rows.append((
        "user-perceived failures over the fault",
        f"{ratio(c.measured_session_failure_ratio)} of sessions (design, {c.source}: "
        f"{ratio(c.design_session_failure_ratio)}); per HTTP request: {ratio(c.measured_request_error_ratio)}",
    ))  # fmt: skip
    perceived = "" if c.sandbox_user_perceived_failures is None else (
        f"; user-perceived {c.sandbox_user_perceived_failures:,} (design {c.design_user_perceived_failures:,})"
    )  # fmt: skip
    rows.append((
        f"calibration ({c.source})",
        f"{'within' if c.within_tolerance else 'OUTSIDE'} tolerance: unmitigated failed starts "
        f"{c.sandbox_failed_starts or 0:,} (design {c.design_failed_starts:,}), affected users "
        f"{c.sandbox_affected_users or 0:,} (design {c.design_affected_users:,}){perceived}",
    ))  # fmt: skip
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
        *(f"| {name} | {value} |" for name, value in list_availability_figures(result)),
        *(f"| {name} | {value} |" for name, value in list_platform_figures(result)),
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
        figures=[*list_availability_figures(result), *list_platform_figures(result)],
    )


def write_reports(record: RunRecord, result: WarGameResult) -> Path:
    """Write summary.md and report.html into the run's folder; returns the HTML path."""
    svg = render_timeline_svg(record, place_on_model_time(record), slo_ms_of(record))
    (record.out_dir / "summary.md").write_text(render_markdown(record, result))
    html = record.out_dir / "report.html"
    during = [d for d in record.decisions if record.started_model_s <= float(d["at"]) <= record.ended_model_s]
    html.write_text(render_html(record, result, svg, during))
    return html

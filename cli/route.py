"""`ops route`: explain where an encode job would go right now, and why (SPEC section 2).

Pool states come from the embedded sandbox by default (a scenario advanced to ``--at-s``), or from a
running ``ops sandbox serve`` (``--sandbox-url``). The decision is the one ``route()`` takes in the
upload path; it never names a pool or region outside the job's jurisdiction.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from cli.common import err, fail_invalid, out, print_json
from controllers.routing.decide import route
from controllers.routing.explaining import explain
from controllers.routing.models import EncodeJob, RouterConfig
from ports.types import PoolState
from stacks.loading import ConfigError, load_prod_platforms

app = typer.Typer(help="GDPR-aware encode routing: explain decisions.", no_args_is_help=True)


def states_from_sandbox(scenario: str, at_s: float) -> tuple[dict[str, PoolState], str]:
    """Run the embedded sandbox (no controller) to ``at_s`` and read its pools port."""
    from sandbox.running import NoControl, build_sandbox, drive

    sandbox = build_sandbox(scenario)
    if at_s > sandbox.scenario.duration_s:
        fail_invalid(f"--at-s: expected <= the scenario's duration {sandbox.scenario.duration_s:g} s, got {at_s:g}")
    drive(sandbox, NoControl(), until_tick=round(at_s / sandbox.dt))
    states = {s.pool: s for s in sandbox.ports.pools.describe_pools()}
    return states, f"sandbox scenario {scenario} at +{sandbox.now:g} s"


def states_from_url(url: str) -> tuple[dict[str, PoolState], str]:
    """Pool states from a served sandbox's ``GET /admin/state``."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/admin/state", timeout=5) as answer:
            body: Any = json.load(answer)
        pools = [PoolState.model_validate(p) for p in body["pools"]]
    except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
        fail_invalid(f"--sandbox-url: could not read pool states from {url}/admin/state ({exc})")
    return {p.pool: p for p in pools}, f"sandbox at {url}"


def print_explanation(report: dict[str, Any], size_mb: float) -> None:
    d = report["decision"]
    target = f"{d['pool']} ({d['region']})" if d["pool"] else (d["region"] or "nowhere")
    eta = d["expected_upload_to_live_s"]
    out.print(f"[bold]{d['jurisdiction']}[/] job of {size_mb:g} MB -> [bold]{d['action']}[/] {target}")
    out.print(f"reason: {d['reason']}: {report['rule']}")
    out.print(f"expected upload-to-live: {'unknown' if eta is None else f'{eta:.1f} s'}", highlight=False)
    if d["queue_position"] is not None:
        out.print(f"queue position: {d['queue_position']}")
    if d["retry_after_s"] is not None:
        out.print(f"retry after: {d['retry_after_s']:.0f} s")
    table = Table("role", "pool", "region", "depth/limit", "running+starting", "quota", "ETA s", "usable")
    for p in report["pools"]:
        usable = "yes" if p["usable"] else f"no: {p['why_not']}"
        depth = f"{p.get('depth', '-')}/{p.get('depth_limit', '-')}"
        instances = f"{p['running']}+{p['starting']}" if p["usable"] else "-"
        eta_s = "-" if p.get("eta_s") is None else f"{p['eta_s']:.1f}"
        table.add_row(p["role"], str(p["pool"]), p.get("region", "-"), depth, instances,
                      str(p.get("quota_instances", "-")), eta_s, usable)  # fmt: skip
    out.print(table)
    out.print(f"confined to {d['jurisdiction']}: {', '.join(report['allowed_regions'])}; source: {report['source']}")


@app.command("explain")
def explain_command(
    jurisdiction: Annotated[str, typer.Option(help="the creator's jurisdiction (EU, US, APAC)")],
    size_mb: Annotated[float, typer.Option(help="upload size in MB")] = 50.0,
    scenario: Annotated[str, typer.Option(help="embedded sandbox scenario to read pools from")] = "normal-day",
    at_s: Annotated[float, typer.Option(help="seconds into the scenario", min=0)] = 0.0,
    sandbox_url: Annotated[str | None, typer.Option(help="read pools from a served sandbox instead")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the explanation as one JSON object")] = False,
) -> None:
    """Show where an encode job of JURISDICTION would be routed now, and why."""
    try:
        config = RouterConfig.from_platforms(load_prod_platforms().values())
    except ConfigError as exc:
        fail_invalid(str(exc))
    if jurisdiction not in config.lanes:
        fail_invalid(f"--jurisdiction: expected one of {sorted(config.lanes)}, got {jurisdiction!r}")
    if not 0 < size_mb < config.max_upload_mb:
        fail_invalid(f"--size-mb: expected > 0 and < {config.max_upload_mb:g} (upload validation), got {size_mb:g}")
    try:
        states, source = states_from_url(sandbox_url) if sandbox_url else states_from_sandbox(scenario, at_s)
    except ConfigError as exc:
        fail_invalid(str(exc))
    job = EncodeJob(job_id="explain", jurisdiction=jurisdiction, size_mb=size_mb)
    report = {**explain(route(job, states, config), states, config), "source": source, "size_mb": size_mb}
    if json_out:
        print_json(report)
    else:
        print_explanation(report, size_mb)
    err.print(f"[dim]pool states from {source}[/]")

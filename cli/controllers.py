"""`ops controllers`: run the controllers on the sandbox (default) or on AWS, with dry-run and an audit log."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import err, fail_invalid, out, print_json

if TYPE_CHECKING:
    from controllers.backends import Shared
    from controllers.runtime.auditing import AuditLog

app = typer.Typer(help="Run the controllers (predictive scaler, pool scaler, budget breaker).", no_args_is_help=True)
DEFAULT_AUDIT = Path(".reelops/controllers-audit.jsonl")


class Backend(StrEnum):
    SANDBOX = "sandbox"
    AWS = "aws"


def parse_hosts(pairs: list[str]) -> dict[str, str]:
    """``region=https://host`` pairs -> mapping; exit 2 naming the bad one."""
    hosts: dict[str, str] = {}
    for pair in pairs:
        region, sep, host = pair.partition("=")
        if not sep or not region or not host:
            fail_invalid(f"--kube-api: expected REGION=URL, got {pair!r}")
        hosts[region] = host
    return hosts


@app.command("run")
def run_command(
    backend: Annotated[Backend, typer.Option(help="sandbox (embedded, default) or aws")] = Backend.SANDBOX,
    only: Annotated[list[str] | None, typer.Option("--only", help="predictive|pool-scaler|breaker (repeat)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="decide and audit, change nothing")] = False,
    shadow: Annotated[bool, typer.Option("--shadow", help="predictive scaler: forecast and score only")] = False,
    scenario: Annotated[str, typer.Option(help="sandbox scenario (name or YAML path)")] = "viral-surge",
    seed: Annotated[int, typer.Option(help="sandbox seed")] = 0,
    iterations: Annotated[
        int | None,
        typer.Option(min=1, help="reconciles to run (default: sandbox: to the scenario's end; aws: forever)"),
    ] = None,
    interval_s: Annotated[
        float | None,
        typer.Option(min=1, help="reconcile interval (default: the scenario's control interval; aws 60 s)"),
    ] = None,
    audit: Annotated[Path, typer.Option(help="JSON-lines audit log (appended)")] = DEFAULT_AUDIT,
    prometheus_url: Annotated[
        str, typer.Option(help="aws: Prometheus serving the metric contract")
    ] = "http://127.0.0.1:9090",
    aws_endpoint_url: Annotated[str | None, typer.Option(help="aws: endpoint override (e.g. a moto server)")] = None,
    kube_api: Annotated[
        list[str] | None, typer.Option(help="aws: REGION=URL of a cluster's API server (repeat)")
    ] = None,
    lease: Annotated[
        str | None, typer.Option(help="aws: take this coordination.k8s.io Lease (name) before acting")
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="serve reelops_controller_* on 127.0.0.1:PORT/metrics")
    ] = None,
    breaker_settings: Annotated[
        Path | None,
        typer.Option(help="aws: YAML overriding the breaker's state table, SSM prefix, topics, alert queue, groups"),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Reconcile every interval: observe -> decide -> apply (or not, with --dry-run); every decision
    with its reason goes to the audit log; a backend fault holds the last good decision and says so."""
    from controllers.backends import CONTROLLER_NAMES
    from controllers.runtime.auditing import AuditLog

    names = tuple(only or CONTROLLER_NAMES)
    unknown = [n for n in names if n not in CONTROLLER_NAMES]
    if unknown:
        fail_invalid(f"--only: unknown controller(s) {unknown}; expected some of {list(CONTROLLER_NAMES)}")
    log = AuditLog(audit)
    if backend is Backend.SANDBOX:
        ticks, extra = run_on_sandbox(names, dry_run, scenario, seed, iterations, interval_s, log, metrics_port, shadow)
    else:
        ticks, extra = run_on_aws(
            names,
            dry_run,
            iterations,
            interval_s or 60.0,
            log,
            metrics_port,
            prometheus_url,
            aws_endpoint_url,
            parse_hosts(kube_api or []),
            lease,
            shadow,
            breaker_settings,
        )
    counts = Counter((r.controller, r.outcome.value) for r in log.records)
    outcomes = {f"{c}:{o}": n for (c, o), n in sorted(counts.items())}
    if json_out:
        summary = {"backend": backend.value, "dry_run": dry_run, "reconciles": ticks, "audit": str(audit)}
        print_json({**summary, "outcomes": outcomes, **extra})
        return
    out.print(f"{ticks} reconciles on {backend.value}{' (dry-run)' if dry_run else ''}; audit: {audit}")
    for key, count in outcomes.items():
        out.print(f"  {key:<40} {count}")
    for key, value in extra.items():
        out.print(f"  {key}: {value}")


def serve_metrics(shared: Shared, port: int | None) -> None:
    if port is not None:
        shared.metrics.serve(port)
        err.print(f"metrics on http://127.0.0.1:{port}/metrics")


def run_on_sandbox(
    names: tuple[str, ...],
    dry_run: bool,
    scenario: str,
    seed: int,
    iterations: int | None,
    interval_s: float | None,
    log: AuditLog,
    metrics_port: int | None,
    shadow: bool,
) -> tuple[int, dict[str, object]]:
    from controllers.backends import SandboxLoopClock, Shared, sandbox_runners
    from controllers.runtime.running import run_together
    from sandbox.running import build_sandbox
    from sandbox.scenarios import load_scenario
    from stacks.loading import ConfigError

    try:
        sb = build_sandbox(load_scenario(scenario), seed)
    except ConfigError as exc:
        fail_invalid(str(exc))
    every = interval_s or sb.scenario.control_interval_s
    shared = Shared(dry_run=dry_run, interval_s=every, audit=log, shadow=shadow)
    serve_metrics(shared, metrics_port)
    clock = SandboxLoopClock(sb)
    runners = sandbox_runners(sb, names, shared)
    ticks = run_together(runners, clock, every, iterations=iterations, should_stop=lambda: clock.finished)
    outcome = sb.outcome().as_dict()
    keep = ("throttled_writes", "delayed_writes", "lost_writes", "upload_to_live_p95_s", "capacity_cost_usd")
    return ticks, {"scenario": sb.scenario.name, "outcome": {k: outcome[k] for k in keep}}


def run_on_aws(
    names: tuple[str, ...],
    dry_run: bool,
    iterations: int | None,
    interval_s: float,
    log: AuditLog,
    metrics_port: int | None,
    prometheus_url: str,
    aws_endpoint_url: str | None,
    kube_hosts: dict[str, str],
    lease_name: str | None,
    shadow: bool,
    breaker_settings: Path | None = None,
) -> tuple[int, dict[str, object]]:
    import socket

    from controllers.backends import AwsEndpoints, Shared, aws_runners
    from controllers.runtime.running import run_together
    from finops.validating import FinopsInputError
    from ports.clocks import WallClock
    from stacks.loading import ConfigError, load_prod_platforms

    try:
        platforms = list(load_prod_platforms().values())
    except ConfigError as exc:
        fail_invalid(str(exc))
    gate = None
    if lease_name:
        if not kube_hosts:
            fail_invalid("--lease needs --kube-api REGION=URL (the cluster that holds the Lease)")
        from controllers.adapters.kube import KubeLease, api_client

        gate = KubeLease(api_client(next(iter(kube_hosts.values()))), name=lease_name, identity=socket.gethostname())
    shared = Shared(dry_run=dry_run, interval_s=interval_s, audit=log, lease=gate, shadow=shadow)
    serve_metrics(shared, metrics_port)
    clock = WallClock()
    endpoints = AwsEndpoints(
        prometheus_url=prometheus_url,
        aws_endpoint_url=aws_endpoint_url,
        kube_hosts=kube_hosts,
        breaker_settings=breaker_settings,
    )
    try:
        runners = aws_runners(platforms, names, shared, endpoints, clock)
    except FinopsInputError as exc:
        fail_invalid(str(exc))
    return run_together(runners, clock, interval_s, iterations=iterations), {}

"""Chaos Toolkit actions on the platform: inject and clear faults, set mitigations, wait model time.

The fault is the same ``FaultSpec`` (ports/types.py) whatever the target. ``configuration.target``
selects the backend: ``sandbox`` (default; its admin API) or ``aws`` (chaos/aws_adapters.py: Route
53 health-check failover, CloudFront origin failure, DynamoDB write throttle, SQS consumer stop).
"""

from __future__ import annotations

import time
from typing import Any

from chaoslib.exceptions import ActivityFailed
from pydantic import ValidationError

from chaos.client import Configuration, call, unwrap_list
from ports.types import FaultSpec

__all__ = ["clear_faults", "inject_fault", "set_mitigations", "wait_model_time"]

MITIGATIONS = ("write_buffer", "standby", "shield", "origin_failover", "serve_stale")


def target_of(configuration: Configuration) -> str:
    target = str((configuration or {}).get("target", "sandbox"))
    if target not in ("sandbox", "aws"):
        raise ActivityFailed(f"configuration.target: expected 'sandbox' or 'aws', got {target!r}")
    return target


def build_fault(kind: str, target: str, severity: float, duration_s: float | None) -> FaultSpec:
    try:
        return FaultSpec.model_validate(
            {"kind": kind, "target": target, "severity": severity, "duration_s": duration_s, "source": "chaos"}
        )
    except ValidationError as exc:
        raise ActivityFailed(f"invalid fault: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None


def inject_fault(
    kind: str,
    target: str,
    severity: float = 1.0,
    duration_s: float | None = None,
    configuration: Configuration = None,
    secrets: Configuration = None,
) -> str:
    """Inject one fault (region_down, az_down, origin_down, table_throttle, ...); returns its id."""
    fault = build_fault(kind, target, severity, duration_s)
    if target_of(configuration) == "aws":
        from chaos import aws_adapters

        return aws_adapters.inject_fault(fault, configuration)
    answer = call("POST", "/admin/faults", configuration, fault.model_dump(mode="json", exclude_none=True))
    return str(answer["id"])


def clear_faults(configuration: Configuration = None, secrets: Configuration = None) -> int:
    """Rollback: clear every fault this toolkit injected (source ``chaos``); returns how many."""
    if target_of(configuration) == "aws":
        from chaos import aws_adapters

        return aws_adapters.clear_faults(configuration)
    faults = unwrap_list(call("GET", "/admin/faults", configuration), "faults")
    ours = [f for f in faults if f.get("source", "chaos") == "chaos" and f.get("id")]
    for fault in ours:
        call("DELETE", f"/admin/faults/{fault['id']}", configuration)
    return len(ours)


def set_mitigations(configuration: Configuration = None, secrets: Configuration = None, **switches: bool) -> Any:
    """Switch the sandbox's mitigations (write_buffer, standby, shield, origin_failover, serve_stale)."""
    unknown = sorted(set(switches) - set(MITIGATIONS))
    if unknown:
        raise ActivityFailed(f"unknown mitigations {unknown}; expected some of {list(MITIGATIONS)}")
    return call("POST", "/admin/mitigations", configuration, switches)


def read_model_time(configuration: Configuration) -> float:
    return float(call("GET", "/healthz", configuration)["model_time"])


def wait_model_time(
    seconds: float, timeout_s: float = 900.0, configuration: Configuration = None, secrets: Configuration = None
) -> float:
    """Hold the fault for ``seconds`` of model time (speed-independent); returns the model time reached."""
    if target_of(configuration) == "aws":
        time.sleep(seconds)
        return seconds
    start = read_model_time(configuration)
    deadline = time.monotonic() + timeout_s
    while (now := read_model_time(configuration)) - start < seconds:
        if time.monotonic() > deadline:
            raise ActivityFailed(f"model time advanced {now - start:.0f} s of {seconds} s in {timeout_s} s wall")
        time.sleep(0.1)
    return now

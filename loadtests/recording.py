"""SLO checks and evidence through Locust's event catalogue.

- ``request``: every request's time, name, latency and success go to ``samples.csv`` (the war game
  judges each phase from them, by time window);
- sessions: every viewing session's start (wall time), region and outcome after the client's
  retries go to ``sessions.csv`` (availability as SPEC 8 counts it: user-perceived failures);
- writes: every write's final fate (acknowledged or rejected) with its client-generated id goes to
  ``writes.csv`` for lost-write reconciliation;
- ``cpu_warning``: Locust's own CPU saturated; the measurements are suspect (``cpu.json``);
- ``quitting``: the SLO gate of a plain ``locust --headless`` run (video start p95 and the share of
  sessions whose start failed after retries):
  a breach sets the process exit code to 1 and says which SLO broke.
Files are written only when ``REELOPS_LOAD_DIR`` is set.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from locust import events
from locust.env import Environment

from loadtests.sessions import SessionResult
from loadtests.settings import read_settings

SETTINGS = read_settings()
SAMPLES: list[tuple[float, str, float, int]] = []
WRITES: list[tuple[float, str, str, int]] = []
SESSIONS: list[tuple[float, str, int, int, int, int]] = []  # t, region, start_ok, views, failed, attempts
CPU: dict[str, Any] = {"warning": False, "max_cpu_percent": 0.0}
log = logging.getLogger("reelops.loadtests")


def listen(hook: Any, handler: Callable[..., None]) -> None:
    """Subscribe to a Locust event (EventHook is untyped)."""
    hook.add_listener(handler)


def record_write(write_id: str, fate: str, status: int) -> None:
    WRITES.append((time.time(), write_id, fate, status))


def record_session(started: float, region: str, result: SessionResult) -> None:
    SESSIONS.append((started, region, int(result.start_ok), result.views, result.failed_views, result.attempts))


def on_request(name: str, response_time: float, exception: BaseException | None, **_: Any) -> None:
    if not SAMPLES and SETTINGS.out_dir is not None:
        SETTINGS.out_dir.mkdir(parents=True, exist_ok=True)
        (SETTINGS.out_dir / "started").touch()  # the war game starts its baseline clock on this
    SAMPLES.append((time.time(), name, float(response_time), 0 if exception else 1))


def on_cpu_warning(environment: Environment, cpu_usage: float, **_: Any) -> None:
    CPU["warning"] = True
    CPU["max_cpu_percent"] = max(float(CPU["max_cpu_percent"]), float(cpu_usage))


def flush(**_: Any) -> None:
    """Write the evidence files (idempotent: rewrites them with everything recorded so far)."""
    out = SETTINGS.out_dir
    if out is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    with (out / "samples.csv").open("w", newline="") as f:
        csv.writer(f).writerows([("t", "name", "ms", "ok"), *SAMPLES])
    with (out / "writes.csv").open("w", newline="") as f:
        csv.writer(f).writerows([("t", "id", "fate", "status"), *WRITES])
    with (out / "sessions.csv").open("w", newline="") as f:
        csv.writer(f).writerows([("t", "region", "start_ok", "views", "failed_views", "attempts"), *SESSIONS])
    (out / "cpu.json").write_text(json.dumps(CPU))


def check_slos(environment: Environment) -> list[str]:
    """The SLOs a plain load test enforces, broken ones named with their values."""
    entry = environment.stats.get("video-start", "POST")
    broken: list[str] = []
    if entry.num_requests:
        p95 = entry.get_response_time_percentile(0.95)
        if p95 > SETTINGS.p95_slo_ms:
            broken.append(f"video_start_p95 {p95:.0f} ms > {SETTINGS.p95_slo_ms:.0f} ms")
    if SESSIONS:
        ratio = sum(1 - s[2] for s in SESSIONS) / len(SESSIONS)
        if ratio > SETTINGS.error_ratio_slo:
            broken.append(f"session_failure_ratio {ratio:.4f} > {SETTINGS.error_ratio_slo}")
    rejected = sum(1 for w in WRITES if w[2] == "rejected")
    if rejected:
        broken.append(f"rejected_writes {rejected} > 0")
    return broken


def gate_on_slos(environment: Environment, **_: Any) -> None:
    broken = check_slos(environment)
    if broken:
        log.error("SLO broken: %s", "; ".join(broken))
        environment.process_exit_code = 1


listen(events.request, on_request)
listen(events.cpu_warning, on_cpu_warning)
listen(events.test_stop, flush)
listen(events.quitting, gate_on_slos)

"""Where ``ops status`` reads from: the platform model, the sandbox's HTTP API and the audit log.

Each reading may fail independently (the sandbox is not running, no audit log yet, a stack file is
invalid); a failure becomes a note on the snapshot and that section shows "not available". Only
loopback or operator-given URLs are read; nothing here writes.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controllers.breaker.adapters import FileBreakerStore
from controllers.breaker.models import BreakerMemory
from controllers.runtime.auditing import Outcome, read_audit
from ports.interfaces import PortError
from runbooks.catalogue import load_slos
from runbooks.snapshots import (
    Samples,
    Snapshot,
    StackRow,
    parse_metrics,
    summarise_breaker,
    summarise_controllers,
    summarise_queues,
    summarise_slos,
    summarise_stack,
)
from stacks.loading import ConfigError, list_stacks, load_platform
from stacks.model import PlatformModel

DEFAULT_SANDBOX_URL = "http://127.0.0.1:8900"
SLO_SIGNALS = ("video_start_failure_ratio", "video_start_p95_ms", "upload_to_live_p95_s")


class SourceUnavailable(Exception):
    """A source could not be read; the message says which and why."""


class SandboxSource:
    """GETs on the sandbox's HTTP API (docs/contracts.md section 4)."""

    def __init__(self, base_url: str = DEFAULT_SANDBOX_URL, timeout_s: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def get_text(self, path: str) -> str:
        url = self.base_url + path
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as resp:
                return bytes(resp.read()).decode()
        except urllib.error.HTTPError as exc:
            raise SourceUnavailable(f"GET {url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise SourceUnavailable(f"GET {url}: unreachable ({getattr(exc, 'reason', exc)})") from None

    def get_json(self, path: str) -> Any:
        text = self.get_text(path)
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise SourceUnavailable(f"GET {self.base_url}{path}: answer is not JSON") from None


def load_stacks() -> tuple[tuple[StackRow, ...], dict[str, PlatformModel]]:
    """Every stack file, validated; an invalid one is a row with its error, not a crash."""
    rows, models = [], {}
    for name in list_stacks():
        try:
            models[name] = load_platform(name)
            rows.append(summarise_stack(name, models[name], None))
        except ConfigError as exc:
            rows.append(summarise_stack(name, None, str(exc)))
    return tuple(rows), models


def read_last_decisions(path: Path | None) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Per controller, the newest audit record that did something (applied, dry-run, held, failed),
    else the newest no-op; or a note saying why there are none."""
    if path is None:
        return {}, "controllers' last decisions: no audit log given (--audit PATH)"
    if not path.exists():
        return {}, f"controllers' last decisions: audit log {path} not found (pass --audit PATH)"
    last: dict[str, dict[str, Any]] = {}
    try:
        for record in read_audit(path):
            kept = last.get(record.controller)
            if record.outcome != Outcome.NOOP or kept is None or kept["outcome"] == Outcome.NOOP:
                last[record.controller] = record.model_dump(mode="json")
    except ValueError as exc:
        return last, f"controllers' last decisions: {exc}"
    return last, None


def attempt[T](read: Callable[[], T], notes: list[str], what: str) -> T | None:
    try:
        return read()
    except SourceUnavailable as exc:
        notes.append(f"{what}: not available ({exc})")
        return None


def read_breaker_memory(path: Path | None, notes: list[str]) -> BreakerMemory | None:
    """The breaker's persisted memory (state, degradations in force, override), when its file exists."""
    if path is None or not path.exists():
        return None
    try:
        return FileBreakerStore(path).load()
    except PortError as exc:
        notes.append(f"breaker state file: not available ({exc})")
        return None


@dataclass(frozen=True)
class Readings:
    """Raw readings of the live sources; ``None`` where a source could not be read."""

    model_time: float | None
    samples: Samples | None
    signals: dict[str, list[dict[str, Any]]] | None
    faults: list[dict[str, Any]] | None


def read_sandbox(source: SandboxSource, controllers: SandboxSource | None, notes: list[str]) -> Readings:
    """The sandbox's health, metrics, SLO signals and faults, plus the controllers' own metrics."""
    health = attempt(lambda: source.get_json("/healthz"), notes, "sandbox")
    samples: Samples | None = None
    if health is not None:
        samples = attempt(lambda: parse_metrics(source.get_text("/metrics")), notes, "sandbox metrics")
    if controllers is not None:
        extra = attempt(lambda: parse_metrics(controllers.get_text("/metrics")), notes, "controllers' metrics")
        samples = {**(samples or {}), **extra} if extra is not None else samples
    model_time = float(health["model_time"]) if isinstance(health, dict) and "model_time" in health else None
    faults = unwrap(attempt(lambda: source.get_json("/admin/faults"), notes, "faults"), "faults") if health else None
    return Readings(model_time, samples, read_signals(source, notes) if health is not None else None, faults)


def gather_snapshot(
    source: SandboxSource,
    audit: Path | None,
    breaker_file: Path | None = None,
    controllers: SandboxSource | None = None,
    wall_now: Callable[[], float] = time.time,
) -> Snapshot:
    """Read every source once and build the on-call's snapshot."""
    notes: list[str] = []
    memory = read_breaker_memory(breaker_file, notes)
    stacks, models = load_stacks()
    prod = [m for m in models.values() if m.settings.environment == "prod"]
    r = read_sandbox(source, controllers, notes)
    last, audit_note = read_last_decisions(audit)
    notes += [audit_note] if audit_note else []
    stale_after = min((p.startup_seconds for m in prod for p in m.settings.pools), default=180.0)
    now = r.model_time if r.model_time is not None else wall_now()
    seen = r.samples is not None
    global_model = next((m for m in prod if m.settings.kind == "global"), None)
    return Snapshot(
        source=source.base_url,
        model_time=r.model_time,
        stacks=stacks,
        controllers=summarise_controllers(r.samples or {}, now, last, stale_after) if seen or last else None,
        breaker=summarise_breaker(r.samples or {}, global_model, memory) if seen or memory else None,
        queues=summarise_queues(r.samples, prod) if r.samples is not None else None,
        slos=summarise_slos(r.signals, load_slos()) if r.signals is not None else None,
        faults=tuple(r.faults) if r.faults is not None else None,
        notes=tuple(notes),
    )


def unwrap(answer: Any, key: str) -> list[dict[str, Any]] | None:
    """The sandbox answers lists wrapped in an object (``{"faults": [...]}``); accept both shapes."""
    items = answer.get(key) if isinstance(answer, dict) else answer
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else None


def read_signals(source: SandboxSource, notes: list[str]) -> dict[str, list[dict[str, Any]]] | None:
    """The SLO signals the sandbox computes (windowed, as Prometheus would), by signal name."""
    signals: dict[str, list[dict[str, Any]]] = {}
    for name in SLO_SIGNALS:
        try:
            points = source.get_json(f"/admin/signals/{name}")
        except SourceUnavailable as exc:
            notes.append(f"signal {name}: not available ({exc})")
            continue
        listed = unwrap(points, "samples")
        if listed is not None:
            signals[name] = [p for p in listed if is_number(p.get("value"))]
    return signals or None


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and value == value

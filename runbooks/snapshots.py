"""What the on-call sees in ``ops status``, built from raw readings by pure functions.

The readings (Prometheus text from ``/metrics``, JSON from the sandbox's admin API, audit records,
the platform model) are gathered elsewhere (``runbooks/sources.py``); here they become one frozen
:class:`Snapshot`. A section whose source could not be read is ``None`` with a note saying why, so
the screen degrades to "not available" instead of failing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, ConfigDict

from controllers.breaker.models import BreakerMemory
from runbooks.catalogue import SloFile
from stacks.model import PlatformModel

BREAKER_STATES = ("closed", "warn", "page", "open", "half_open")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StackRow(Frozen):
    name: str
    kind: str = ""
    environment: str = ""
    jurisdiction: str | None = None
    regions: tuple[str, ...] = ()
    pools: int = 0
    tables: int = 0
    error: str | None = None


class ControllerRow(Frozen):
    name: str
    last_success_age_s: float | None
    errors: dict[str, float]
    decisions: float
    last_action: str | None = None
    last_reason: str | None = None
    last_outcome: str | None = None
    healthy: bool | None = None  # None: no reconcile metric to judge by (e.g. only the audit log)


class BreakerView(Frozen):
    state: str | None
    state_source: str | None = None
    applied: tuple[str, ...] = ()
    override: str | None = None
    spend_today_usd: float | None
    projected_usd: float | None
    data_age_s: float | None
    notify_usd: float | None
    page_usd: float | None
    breaker_usd: float | None


class QueueRow(Frozen):
    kind: str
    name: str
    region: str
    depth: float
    limit: float | None

    @property
    def over(self) -> bool:
        return self.limit is not None and self.depth > self.limit


class SloRow(Frozen):
    name: str
    scope: str
    objective: float
    current: float | None
    unit: str
    ok: bool | None
    burn_rate: float | None = None


class Snapshot(Frozen):
    source: str
    model_time: float | None
    stacks: tuple[StackRow, ...]
    controllers: tuple[ControllerRow, ...] | None
    breaker: BreakerView | None
    queues: tuple[QueueRow, ...] | None
    slos: tuple[SloRow, ...] | None
    faults: tuple[dict[str, Any], ...] | None
    notes: tuple[str, ...] = ()

    @property
    def unavailable(self) -> list[str]:
        """Sections whose source could not be read."""
        sections = {"SLOs": self.slos, "queues": self.queues, "controllers": self.controllers,
                    "breaker": self.breaker, "faults": self.faults}
        return [name for name, value in sections.items() if value is None]

    @property
    def problems(self) -> list[str]:
        """Findings the on-call must act on (the command exits 1 when there are any)."""
        found = [f"SLO {s.name} ({s.scope}) breached" for s in self.slos or () if s.ok is False]
        found += [f"controller {c.name} unhealthy" for c in self.controllers or () if c.healthy is False]
        found += [f"queue {q.name} above {q.limit:g}" for q in self.queues or () if q.over and q.limit]
        if self.breaker and self.breaker.state == "open":
            found.append("budget breaker open")
        return found


Samples = dict[str, list[tuple[dict[str, str], float]]]


def parse_metrics(text: str) -> Samples:
    """Prometheus text exposition -> samples by sample name (``x_total``, ``x_bucket``, gauges)."""
    samples: Samples = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name].append((dict(sample.labels), float(sample.value)))
    return dict(samples)


def summarise_stack(name: str, model: PlatformModel | None, error: str | None) -> StackRow:
    if model is None:
        return StackRow(name=name, error=error)
    s = model.settings
    return StackRow(
        name=name,
        kind=s.kind,
        environment=s.environment,
        jurisdiction=s.jurisdiction,
        regions=model.allowed_regions if s.kind == "jurisdiction" else (),
        pools=len(s.pools),
        tables=len(s.tables),
    )


def sum_by(samples: Samples, name: str, label: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for labels, value in samples.get(name, []):
        totals[labels.get(label, "")] += value
    return dict(totals)


def summarise_controllers(
    samples: Samples, now: float | None, last: Mapping[str, Mapping[str, Any]], stale_after_s: float
) -> tuple[ControllerRow, ...]:
    """One row per controller seen in the metrics or the audit log."""
    success = {
        lab.get("controller", ""): v for lab, v in samples.get("reelops_controller_last_success_timestamp_seconds", [])
    }
    decisions = sum_by(samples, "reelops_controller_decisions_total", "controller")
    errors: dict[str, dict[str, float]] = defaultdict(dict)
    for labels, value in samples.get("reelops_controller_errors_total", []):
        errors[labels.get("controller", "")][labels.get("stage", "")] = value
    rows = []
    for name in sorted(set(success) | set(decisions) | set(errors) | set(last)):
        age = None if now is None or name not in success else max(0.0, now - success[name])
        record = last.get(name, {})
        decision = record.get("decision") or {}
        rows.append(
            ControllerRow(
                name=name,
                last_success_age_s=age,
                errors=errors.get(name, {}),
                decisions=decisions.get(name, 0.0),
                last_action=decision.get("action"),
                last_reason=decision.get("reason"),
                last_outcome=record.get("outcome"),
                healthy=None if age is None else age <= stale_after_s,
            )
        )
    return tuple(rows)


def summarise_breaker(
    samples: Samples, global_model: PlatformModel | None, memory: BreakerMemory | None = None
) -> BreakerView:
    """The breaker's state from its live metric, else from its state file; degradations and override
    from the state file (``ops breaker`` shares it with the controller)."""
    states = [lab.get("state") for lab, v in samples.get("reelops_breaker_state", []) if v == 1]
    state, state_source = (states[0], "metrics") if states else (None, None)
    if state is None and memory is not None:
        state, state_source = str(memory.state), "state file"
    override = memory.override if memory else None
    spend = samples.get("reelops_spend_usd_total")
    projected = samples.get("reelops_projected_daily_spend_usd")
    age = samples.get("reelops_spend_data_age_seconds")
    budgets = global_model.settings.budgets if global_model else None
    return BreakerView(
        state=state,
        state_source=state_source,
        applied=memory.applied if memory else (),
        override=f"{override.state} by {override.by}: {override.reason}" if override else None,
        spend_today_usd=sum(v for _, v in spend) if spend else None,
        projected_usd=projected[0][1] if projected else None,
        data_age_s=age[0][1] if age else None,
        notify_usd=budgets.notify_usd if budgets else None,
        page_usd=budgets.page_usd if budgets else None,
        breaker_usd=budgets.breaker_usd if budgets else None,
    )


def summarise_queues(samples: Samples, models: Iterable[PlatformModel]) -> tuple[QueueRow, ...]:
    """Encode queues (limit: the pool's routing limit) and write buffers (limit: the doubling depth)."""
    models = list(models)
    pool_limits = {p.name: float(p.route_depth_limit) for m in models for p in m.settings.pools}
    buffer_limits = [q.double_capacity_depth for m in models for q in m.settings.queues if q.purpose == "write-buffer"]
    buffer_limit = float(min(buffer_limits)) if buffer_limits else None
    rows = [
        QueueRow(kind="encode", name=lab.get("pool", "?"), region=lab.get("region", ""), depth=v,
                 limit=pool_limits.get(lab.get("pool", "")))
        for lab, v in samples.get("reelops_encode_queue_depth", [])
    ]
    rows += [
        QueueRow(kind="write-buffer", name=f"write-buffer {lab.get('region', '?')}", region=lab.get("region", ""),
                 depth=v, limit=buffer_limit)
        for lab, v in samples.get("reelops_write_buffer_depth", [])
    ]
    return tuple(sorted(rows, key=lambda r: (r.kind, r.name)))


def summarise_slos(signals: Mapping[str, Sequence[Mapping[str, Any]]], slos: SloFile) -> tuple[SloRow, ...]:
    """SLO rows per region/jurisdiction from the contract's signals; burn rate for availability."""
    rows: list[SloRow] = []
    availability = slos.slos["availability"].objective
    for point in signals.get("video_start_failure_ratio", []):
        ratio = float(point["value"])
        rows.append(SloRow(name="availability", scope=scope_of(point), objective=availability, unit="ratio",
                           current=1 - ratio, ok=1 - ratio >= availability, burn_rate=ratio / (1 - availability)))
    for signal, slo, label in (("video_start_p95_ms", "video_start_p95_ms", "ms"),
                               ("upload_to_live_p95_s", "upload_to_live_p95_s", "s")):
        objective = slos.slos[slo].objective
        for point in signals.get(signal, []):
            value = float(point["value"])
            rows.append(SloRow(name=slo, scope=scope_of(point), objective=objective, unit=label,
                               current=value, ok=value < objective if value == value else None))
    return tuple(rows)


def scope_of(point: Mapping[str, Any]) -> str:
    labels = point.get("labels") or {}
    return str(labels.get("region") or labels.get("jurisdiction") or "all")

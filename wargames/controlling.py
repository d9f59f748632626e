"""The controllers inside a war game: our full set on the sandbox's in-process ports.

A sandbox strategy (``control(sandbox, now)``, called every control interval of model time) that
reconciles, through the shared runtime's Runner (audited, PortError held), the predictive scaler,
the GPU pool scaler, the geo-aware cache warmer (encode completions and viral views) and the budget
breaker, once per call, exactly as ``ops controllers run`` would against a real backend. The
GDPR-aware encode router is installed in the sandbox's routing hook (``PoolFleet.set_router``): it
decides every upload, the model's own and those sent to the edge API, the moment it arrives.
``facts()`` gives what the report states about them (routes, refusals, warm requests, breaker).
"""

from __future__ import annotations

from typing import Any

from controllers.backends import Shared, sandbox_runners
from controllers.cache_warming.sandboxing import SandboxWarming, build_sandbox_warming
from controllers.pool_scaling.scaling import PoolScaler
from controllers.predictive.configuring import build_config
from controllers.predictive.models import PredictiveConfig
from controllers.predictive.scaling import PredictiveScaler, ScalerPorts
from controllers.routing.sandboxing import SandboxRouting, install_router
from controllers.runtime.auditing import AuditLog, AuditRecord
from controllers.runtime.running import Runner
from ports.clocks import FakeClock
from sandbox.engine import Sandbox
from stacks.model import PlatformModel


class SandboxClockView:
    """The runner's clock: the sandbox's model clock; the runner never sleeps in a war game."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock.now()

    def sleep(self, seconds: float) -> None:
        raise RuntimeError("a war game drives the runner one reconcile at a time; it never sleeps")


def modelled_config(sandbox: Sandbox, platforms: list[PlatformModel]) -> PredictiveConfig:
    """The scaler's configuration over the tables the sandbox models (its write-path tables), as
    ``ops controllers run`` builds it on the sandbox.

    The platform model lists every DynamoDB table; the sandbox models the three write-path ones.
    Asking the sandbox for another table is a PortError that would hold the whole controller.
    """
    return build_config(platforms, tables=sandbox.table_names)


class ControllersStrategy:
    """Predictive scaling, pool scaling, cache warming, the breaker and the encode router on the sandbox."""

    name = "controllers"

    def __init__(self, sandbox: Sandbox, platforms: list[PlatformModel]) -> None:
        self.audit = AuditLog()
        clock = SandboxClockView(sandbox.clock)
        ports = sandbox.ports
        az_regions = {az: name for p in platforms for name, r in p.regions.items() for az in r.azs}
        scaler_ports = ScalerPorts(
            metrics=ports.metrics,
            tables=ports.tables,
            deployments=ports.deployments,
            faults=ports.faults,
            az_regions=az_regions,
        )
        interval = sandbox.scenario.control_interval_s
        predictive = PredictiveScaler(modelled_config(sandbox, platforms))
        pools = PoolScaler.from_platforms(platforms)
        self.router: SandboxRouting = install_router(sandbox)
        self.warming: SandboxWarming = build_sandbox_warming(sandbox)
        self.runners: list[Runner[Any]] = [
            Runner([predictive], scaler_ports, clock=clock, interval_s=interval, dry_run=False, audit=self.audit),
            Runner([pools], ports, clock=clock, interval_s=interval, dry_run=False, audit=self.audit),
            Runner([self.warming], ports, clock=clock, interval_s=interval, dry_run=False, audit=self.audit),
            *sandbox_runners(sandbox, ["breaker"], Shared(dry_run=False, interval_s=interval, audit=self.audit)),
        ]
        self.sandbox = sandbox

    def control(self, sandbox: Sandbox, now: float) -> None:
        for runner in self.runners:
            runner.reconcile_once()

    def facts(self) -> dict[str, Any]:
        """What the controllers did, for the report: call it once the sandbox has stopped stepping."""
        applied: dict[str, int] = {}
        reconciles: dict[str, int] = {}
        held: dict[str, int] = {}
        errors: dict[str, str] = {}
        for record in self.audit.records:
            reconciles[record.controller] = reconciles.get(record.controller, 0) + 1
            if as_row(record) is not None:
                applied[record.controller] = applied.get(record.controller, 0) + 1
            if record.outcome.value == "held":
                held[record.controller] = held.get(record.controller, 0) + 1
                errors[record.controller] = str(record.error or "")
        return {
            "controllers": sorted({r.controller for r in self.audit.records} | {"encode-router"}),
            "applied_decisions": dict(sorted(applied.items())),
            "reconciles": dict(sorted(reconciles.items())),
            "held": dict(sorted(held.items())),
            "last_errors": dict(sorted(errors.items())),
            "router_installed": self.sandbox.pools.router is self.router,
            "router_decisions": self.router.decisions,
            "router_actions": self.router.actions(),
            "router_guard_trips": self.router.guard_trips,
            "encodes_completed": self.warming.feed.total,
            "warm_requests": sum(self.warming.requests.values()),
            "warm_reasons": dict(sorted(self.warming.requests.items())),
            "viral_pushes": len(self.warming.pushed),
        }

    def decisions(self) -> list[dict[str, Any]]:
        """Applied, non-no-op decisions as rows: at (model clock, epoch s like /healthz), controller, action, reason."""
        return [row for r in self.audit.records if (row := as_row(r)) is not None]


def as_row(record: AuditRecord) -> dict[str, Any] | None:
    decision = record.decision or {}
    if record.outcome.value != "applied" or decision.get("action") in (None, "noop"):
        return None
    return {"at": record.at, "controller": record.controller, "action": decision["action"],
            "reason": decision.get("reason", "")}  # fmt: skip

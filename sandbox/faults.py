"""Faults in the model: what each FaultKind does to the sandbox, injected and cleared at model time.

Scenario faults are scheduled (``at_s``, ``duration_s``); chaos experiments and the admin API inject
the same ``FaultSpec`` at the current model time. Targets are checked against the platform model so
that a typo is an error, not a fault that silently does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ports.interfaces import PortError
from ports.types import FaultKind, FaultSpec
from sandbox.scenarios import ScenarioError

if TYPE_CHECKING:
    from sandbox.engine import Sandbox

ANY = "*"


class FaultBook:
    """Active faults by id, the scenario's schedule, and the effects of each kind."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.active: dict[str, tuple[FaultSpec, float]] = {}
        self.schedule = sorted(enumerate(sb.scenario.faults), key=lambda e: (e[1].at_s, e[0]))
        self.next_index = 0
        self.counter = 0
        for i, event in self.schedule:
            try:
                self.targets(event.kind, event.target)
            except ValueError as exc:
                raise ScenarioError(sb.scenario.source, f"faults[{i}].target", str(exc)) from None

    def apply_schedule(self, t: float) -> None:
        """Inject the scenario's faults that are due and clear the ones that have run their course."""
        while self.next_index < len(self.schedule) and self.schedule[self.next_index][1].at_s <= t:
            i, e = self.schedule[self.next_index]
            self.next_index += 1
            spec = FaultSpec(kind=e.kind, target=e.target, severity=e.severity, duration_s=e.duration_s)
            self.inject(spec.model_copy(update={"id": f"scenario-{i}", "source": "scenario"}))
        for fid, (spec, since) in list(self.active.items()):
            if spec.duration_s is not None and since + spec.duration_s <= t:
                self.clear(fid)

    def inject(self, fault: FaultSpec) -> str:
        """Start a fault now; ValueError when its target does not exist."""
        targets = self.targets(fault.kind, fault.target)
        self.counter += 1
        fid = fault.id or f"fault-{self.counter}"
        if fid in self.active:
            raise ValueError(f"a fault with id {fid!r} is already active")
        self.active[fid] = (fault.model_copy(update={"id": fid}), self.sb.now)
        self.apply(fault, targets, on=True)
        return fid

    def clear(self, fault_id: str) -> None:
        if fault_id not in self.active:
            raise PortError(f"no active fault {fault_id!r}")
        fault, _ = self.active.pop(fault_id)
        self.apply(fault, self.targets(fault.kind, fault.target), on=False)

    def clear_all(self) -> None:
        for fid in list(self.active):
            self.clear(fid)

    def specs(self) -> list[FaultSpec]:
        return [spec for spec, _ in self.active.values()]

    def is_active(self, kind: FaultKind, target: str | None = None) -> FaultSpec | None:
        for spec, _ in self.active.values():
            if spec.kind == kind and (target is None or spec.target in (target, ANY)):
                return spec
        return None

    def throttles(self, actuator: str) -> bool:
        """API_THROTTLE on ``actuator`` (or "*"): fails a call with probability ``severity``."""
        spec = self.is_active(FaultKind.API_THROTTLE, actuator)
        return spec is not None and bool(self.sb.fault_rng.random() < spec.severity)

    # --- targets and effects -----------------------------------------------------------------------
    def targets(self, kind: FaultKind, target: str) -> list[int]:
        sb = self.sb
        if kind in (FaultKind.METRICS_DOWN, FaultKind.API_THROTTLE):
            return []
        if kind in (FaultKind.REGION_DOWN, FaultKind.QUEUE_CONSUMER_STOP):
            if kind == FaultKind.QUEUE_CONSUMER_STOP and target == ANY:
                return list(range(len(sb.region_names)))
            return [expect(target, sb.region_names, "a region")]
        if kind == FaultKind.AZ_DOWN:
            azs = {az: i for i, r in enumerate(sb.region_names) for az in sb.spec.regions[r].azs}
            expect(target, list(azs), "an availability zone")
            return [azs[target]]
        if kind == FaultKind.ORIGIN_DOWN:
            if target in sb.region_names:
                return [int(sb.region_jur[sb.region_names.index(target)])]
            return [expect(target, sb.jurisdiction_names, "a region or jurisdiction")]
        if kind == FaultKind.TABLE_THROTTLE:
            name, _, region = target.partition("@")
            k = expect(name, sb.table_names, "a write-path table (optionally table@region)")
            rows = [expect(region, sb.region_names, "a region")] if region else range(len(sb.region_names))
            return [r * len(sb.table_names) + k for r in rows]
        names = [p.spec.name for p in sb.pools.pools]
        if target == ANY:
            return list(range(len(names)))
        return [expect(target, names, "a pool")]

    def apply(self, fault: FaultSpec, targets: list[int], on: bool) -> None:
        sb, t, kind = self.sb, self.sb.now, fault.kind
        for i in targets:
            if kind == FaultKind.REGION_DOWN:
                sb.fleet.down_since[i] = t if on else np.nan
                sb.fleet.any_down = bool((~np.isnan(sb.fleet.down_since)).any())
                for p in sb.pools.pools:
                    if sb.pool_region[p.spec.name] == i:
                        p.down = on
            elif kind == FaultKind.AZ_DOWN:
                if on:
                    sb.fleet.az_down[fault.id or fault.target] = (i, t)
                else:
                    sb.fleet.az_down.pop(fault.id or fault.target, None)
            elif kind == FaultKind.ORIGIN_DOWN:
                sb.cdn.origin_down_since[i] = t if on else np.nan
            elif kind == FaultKind.TABLE_THROTTLE:
                r, k = divmod(i, len(sb.table_names))
                sb.tables.fault_factor[r, k] = 1.0 - fault.severity if on else 1.0
            elif kind == FaultKind.QUEUE_CONSUMER_STOP:
                sb.tables.consumer_stopped[i] = on
            elif kind == FaultKind.SPOT_INTERRUPTION and on:
                pool = sb.pools.pools[i]
                sb.pools.interrupt(pool, round(pool.spot * fault.severity), t)


def expect(value: str, known: list[str], what: str) -> int:
    if value not in known:
        raise ValueError(f"expected {what} of {known}, got {value!r}")
    return known.index(value)

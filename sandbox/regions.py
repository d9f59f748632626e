"""Serving regions (SPEC 6, 8 scenarios 1 and 4): capacity, region and AZ failure, failover, retries.

Each region runs a playback fleet sized for its commute peak at the serving target utilisation
(replicas x ``rps_per_instance`` / ``api_calls_per_view`` starts per second). When a region fails:
- unmitigated, its users' starts fail until re-provisioning elsewhere completes (``reprovision_s``);
- with hot standby, DNS health checks fail over after interval x threshold (< 30 s) to the
  same-jurisdiction overflow region, which holds ``standby_fraction`` of the failed fleet in standby
  on top of its own headroom.
An AZ failure drops the AZ's share of requests until load-balancer health checks remove it
(``az_detection_s``), then leaves the region at the surviving AZs' capacity until the lost replicas are
rescheduled (``replica_start_s``). Starts beyond capacity fail. With client retry, a start that failed
because its endpoint was down succeeds on retry with the SPEC's combined probability (70% within the
three retries), one that failed on overload succeeds when a retry finds capacity.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sandbox.physics import Physics

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


class StartResult:
    """What happened to one tick's video starts, per user region."""

    attempted: FloatArray
    api_ok: FloatArray
    failed: FloatArray
    perceived: FloatArray
    api_ms: FloatArray
    serving: IntArray

    def __init__(self, n: int) -> None:
        self.n = n


class RegionFleet:
    """Playback fleets of every region (index order of ``names``) and their failure states."""

    def __init__(
        self,
        names: list[str],
        overflow: IntArray,
        replicas: FloatArray,
        starts_per_replica: float,
        azs: int,
        phys: Physics,
    ) -> None:
        n = len(names)
        self.names = names
        self.overflow = overflow
        self.phys = phys
        self.replicas = replicas.copy()
        self.pending = np.zeros(n)
        self.pending_ready = np.full(n, np.inf)
        self.starts_per_replica = starts_per_replica
        self.azs = azs
        self.down_since = np.full(n, np.nan)
        self.any_down = False
        self.identity = np.arange(n)
        self.az_down: dict[str, tuple[int, float]] = {}
        self.standby_on = False
        self.retry_on = False
        self.standby = np.zeros(n)
        self.utilisation = np.zeros(n)
        self.dns_failover_s = phys.dns_health_check_interval_s * phys.dns_failure_threshold
        n_retries = max(1, len(phys.retry_delays_s))
        self.endpoint_retry_fail = 1.0 - phys.retry_success_within
        self.n_retries = n_retries

    def set_standby(self, on: bool) -> None:
        """Hot standby: each region's overflow holds ``standby_fraction`` of its fleet (SPEC 8)."""
        self.standby_on = on
        self.standby = np.zeros(len(self.names))
        if on:
            extra = np.ceil(self.replicas * self.phys.standby_fraction)
            np.add.at(self.standby, self.overflow, extra)

    def set_replicas(self, i: int, replicas: float, t: float) -> None:
        """Scale a fleet; new replicas serve after ``replica_start_s``, removals are immediate."""
        if replicas <= self.replicas[i]:
            self.replicas[i] = replicas
            self.pending_ready[i] = np.inf
            return
        self.pending[i] = replicas
        self.pending_ready[i] = t + self.phys.replica_start_s

    def desired_replicas(self, i: int) -> float:
        return float(self.pending[i] if np.isfinite(self.pending_ready[i]) else self.replicas[i])

    def apply_pending(self, t: float) -> None:
        done = self.pending_ready <= t
        self.replicas = np.where(done, self.pending, self.replicas)
        self.pending_ready = np.where(done, np.inf, self.pending_ready)

    def az_factor(self, t: float) -> tuple[FloatArray, FloatArray]:
        """(share of requests that hit a dead AZ unnoticed, capacity factor) per region."""
        blind = np.zeros(len(self.names))
        capacity = np.ones(len(self.names))
        if not self.az_down:
            return blind, capacity
        for region, since in self.az_down.values():
            age = t - since
            if age < self.phys.az_detection_s:
                blind[region] += 1.0 / self.azs
            if age < self.phys.replica_start_s:
                capacity[region] -= 1.0 / self.azs
        return np.clip(blind, 0, 1), np.clip(capacity, 0, 1)

    def route(self, t: float) -> tuple[IntArray, FloatArray]:
        """(serving region, extra replicas it gets) for each user region at ``t``; -1 = fails."""
        n = len(self.names)
        serving = np.arange(n)
        extra = np.zeros(n)
        if not self.any_down:
            return serving, extra
        for i in np.nonzero(~np.isnan(self.down_since))[0]:
            age = t - self.down_since[i]
            target = int(self.overflow[i])
            target_up = np.isnan(self.down_since[target])
            if self.standby_on and age >= self.dns_failover_s and target_up:
                serving[i] = target
            elif not self.standby_on and age >= self.phys.reprovision_s and target_up:
                serving[i] = target
                extra[target] += self.replicas[i]
            else:
                serving[i] = -1
        return serving, extra

    def serve(self, t: float, demand: FloatArray) -> StartResult:
        """Route and serve one tick's starts (per second) for every user region."""
        res = StartResult(len(self.names))
        res.attempted = demand
        if not self.any_down and not self.az_down:
            return self.serve_healthy(demand, res)
        serving, extra = self.route(t)
        blind, az_cap = self.az_factor(t)
        capacity = (self.replicas * az_cap + extra + self.standby) * self.starts_per_replica
        ok_route = serving >= 0
        if self.any_down:
            load = np.zeros(len(self.names))
            np.add.at(load, serving[ok_route], demand[ok_route])
        else:
            load = demand
        self.utilisation = load / np.maximum(capacity, 1e-9)
        overload = np.clip(1.0 - capacity / np.maximum(load, 1e-9), 0.0, 1.0)
        srv = np.where(ok_route, serving, 0)
        blind_fail = np.where(ok_route, blind[srv], 0.0)
        over_fail = np.where(ok_route, overload[srv] * (1 - blind_fail), 0.0)
        endpoint_fail = np.where(ok_route, blind_fail, 1.0)
        res.failed = demand * (endpoint_fail + over_fail)
        res.api_ok = demand - res.failed
        res.perceived = self.perceived(demand, endpoint_fail, over_fail, np.where(ok_route, overload[srv], 0.0))
        rho = np.minimum(self.utilisation[srv], 0.98)
        res.api_ms = np.minimum(self.phys.api_latency_ms / np.sqrt(1.0 - rho), self.phys.api_latency_cap_ms)
        res.serving = serving
        return res

    def serve_healthy(self, demand: FloatArray, res: StartResult) -> StartResult:
        """Every region up: each serves its own users (the common case, without the routing algebra)."""
        capacity = (self.replicas + self.standby) * self.starts_per_replica
        self.utilisation = demand / np.maximum(capacity, 1e-9)
        overload = np.clip(1.0 - capacity / np.maximum(demand, 1e-9), 0.0, 1.0)
        res.failed = demand * overload
        res.api_ok = demand - res.failed
        res.perceived = res.failed * overload**self.n_retries if self.retry_on else res.failed
        rho = np.minimum(self.utilisation, 0.98)
        res.api_ms = np.minimum(self.phys.api_latency_ms / np.sqrt(1.0 - rho), self.phys.api_latency_cap_ms)
        res.serving = self.identity
        return res

    def perceived(
        self, demand: FloatArray, endpoint_fail: FloatArray, over_fail: FloatArray, overload: FloatArray
    ) -> FloatArray:
        """Failures the user sees after client retries (if the client retries)."""
        if not self.retry_on:
            return demand * (endpoint_fail + over_fail)
        return demand * (endpoint_fail * self.endpoint_retry_fail + over_fail * overload**self.n_retries)

"""GPU encode pools (SPEC 2, 3): queues, instances that take minutes to start, quotas, spot.

A pool is an Auto Scaling group behind its own queue. Running instances each encode
``videos_per_hour_per_instance``; a job's upload-to-live time is its FIFO wait plus the pipeline, where
the first ``running`` jobs at the head start at once (idle instances) and the rest wait for the pool's
throughput (a fluid multi-server queue).
The group launches towards ``desired`` but never beyond the region's vCPU quota, and a launched
instance takes ``startup_seconds`` before it takes jobs. Instances beyond the on-demand base are spot
and can be interrupted (a hazard rate, or a fault); their in-flight jobs go back to the queue and the
group relaunches. Routing follows SPEC 2: home pool while its depth is under the route limit, else
the same-jurisdiction overflow pool, else (both saturated) CPU fallback in the home region.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sandbox.histograms import LogHistogram, RecentHistogram
from stacks.model import GpuPoolSpec

DEDUPE_CHECK_S = 2.0


@dataclass
class Pool:
    """One pool's state; ``queue`` holds [arrival time, jobs] in FIFO order."""

    spec: GpuPoolSpec
    jurisdiction: str
    jindex: int
    quota: int
    desired: int
    on_demand: int = 0
    spot: int = 0
    starting: deque[tuple[float, int]] = field(default_factory=deque)
    queue: deque[list[float]] = field(default_factory=deque)
    depth: float = 0.0
    in_flight: float = 0.0
    last_work: float = 0.0
    instance_seconds_on_demand: float = 0.0
    instance_seconds_spot: float = 0.0
    interrupted: int = 0
    down: bool = False
    starting_n: int = 0

    @property
    def running(self) -> int:
        return self.on_demand + self.spot

    @property
    def starting_count(self) -> int:
        return self.starting_n


Router = Callable[[str], tuple[str, "Pool | None"]]


class PoolFleet:
    """Every pool, the routing rule, and the upload-to-live histogram (rows = jurisdictions)."""

    def __init__(self, pools: list[Pool], jurisdictions: list[str], sigma: float, rng: np.random.Generator) -> None:
        self.pools = pools
        self.by_name = {p.spec.name: p for p in pools}
        self.jurisdictions = jurisdictions
        self.rng = rng
        self.live = LogHistogram(len(jurisdictions), 0.5, 1e6, sigma)
        self.went_live = np.zeros(len(jurisdictions))
        self.decisions: dict[tuple[str, str], float] = {}
        self.cpu_fallback_seconds = 0.0
        self.spot_hazard_per_s = 0.0
        self.recent: RecentHistogram | None = None
        self.rows: list[int] = []
        self.waits: list[float] = []
        self.counts: list[float] = []
        self.now = 0.0
        self.router: Router | None = None
        self.cross_jurisdiction_routes = 0
        for p in pools:
            p.on_demand = min(p.desired, p.spec.on_demand_base, p.quota)
            p.spot = min(p.desired, p.quota) - p.on_demand

    # --- capacity ----------------------------------------------------------------------------------
    def step_groups(self, t: float, dt: float) -> None:
        """Bring instances up, launch towards desired within quota, interrupt spot."""
        for p in self.pools:
            while p.starting and p.starting[0][0] <= t:
                _, n = p.starting.popleft()
                p.starting_n -= n
                base_gap = max(p.spec.on_demand_base - p.on_demand, 0)
                p.on_demand += min(n, base_gap)
                p.spot += n - min(n, base_gap)
            if self.spot_hazard_per_s > 0 and p.spot > 0:
                self.interrupt(p, int(self.rng.binomial(p.spot, 1 - np.exp(-self.spot_hazard_per_s * dt))), t)
            self.launch_or_terminate(p, t)
            p.instance_seconds_on_demand += p.on_demand * dt
            p.instance_seconds_spot += (p.spot + p.starting_count) * dt

    def launch_or_terminate(self, p: Pool, t: float) -> None:
        current = p.running + p.starting_count
        if current < p.desired:
            n = min(p.desired, p.quota) - current
            if n > 0:
                p.starting.append((t + p.spec.startup_seconds, n))
                p.starting_n += n
        elif current > p.desired:
            excess = current - p.desired
            while excess > 0 and p.starting:
                ready, n = p.starting.pop()
                cut = min(n, excess)
                excess -= cut
                p.starting_n -= cut
                if n > cut:
                    p.starting.append((ready, n - cut))
            cut = min(p.spot, excess)
            p.spot -= cut
            p.on_demand -= min(p.on_demand, excess - cut)

    def interrupt(self, p: Pool, n: int, t: float) -> None:
        """Spot interruption: instances go, their in-flight jobs return to the front of the queue."""
        n = min(n, p.spot)
        if n <= 0:
            return
        back = p.in_flight * n / max(p.running, 1)
        p.spot -= n
        p.interrupted += n
        if back > 0:
            p.queue.appendleft([t, back])
            p.depth += back

    # --- jobs --------------------------------------------------------------------------------------
    def set_router(self, router: Router | None) -> None:
        """Route uploads with an external function (a routing controller); None restores SPEC 2's rule."""
        self.router = router

    def route(self, jurisdiction: str) -> tuple[str, Pool | None]:
        """Where one job of ``jurisdiction`` goes: the installed router's answer, residency re-checked."""
        if self.router is None:
            return self.route_by_spec(jurisdiction)
        action, pool = self.router(jurisdiction)
        if pool is not None and pool.jurisdiction != jurisdiction:
            self.cross_jurisdiction_routes += 1  # refused: the job stays home, on the CPU fallback
            return "cpu_fallback", None
        return action, pool

    def route_by_spec(self, jurisdiction: str) -> tuple[str, Pool | None]:
        """SPEC 2 routing order for one job of ``jurisdiction``: (action, pool or None)."""
        home, overflow = self.pools_of(jurisdiction)
        candidates = [(a, p) for a, p in (("home", home), ("overflow", overflow)) if p is not None and not p.down]
        for action, pool in candidates:
            if pool.depth < pool.spec.route_depth_limit:
                return action, pool
        if not candidates or all(
            p.depth > p.spec.saturation_depth and p.running + p.starting_count >= p.quota for _, p in candidates
        ):
            return "cpu_fallback", None
        return min(candidates, key=lambda c: c[1].depth)

    def pools_of(self, jurisdiction: str) -> tuple[Pool, Pool | None]:
        mine = [p for p in self.pools if p.jurisdiction == jurisdiction]
        return mine[0], (mine[1] if len(mine) > 1 else None)

    def enqueue(self, pool: Pool, jobs: float, t: float) -> None:
        pool.queue.append([t, jobs])
        pool.depth += jobs

    def accept(self, jurisdiction: str, jobs: float, t: float, dedupe_share: float) -> None:
        """New uploads: duplicates go live at once, the rest are routed per SPEC 2."""
        self.now = t
        if jobs <= 0:
            return
        j = self.jurisdictions.index(jurisdiction)
        dupes = jobs * dedupe_share
        self.record_live(j, DEDUPE_CHECK_S, dupes)
        action, pool = self.route(jurisdiction)
        key = (jurisdiction, action)
        self.decisions[key] = self.decisions.get(key, 0.0) + jobs - dupes
        if pool is None:
            home, _ = self.pools_of(jurisdiction)
            self.cpu_fallback_seconds += (jobs - dupes) * home.spec.cpu_fallback_seconds
            self.record_live(j, home.spec.cpu_fallback_seconds, jobs - dupes)
        else:
            self.enqueue(pool, jobs - dupes, t)

    def record_live(self, j: int, seconds: float, jobs: float) -> None:
        """A job of jurisdiction ``j`` went live after ``seconds`` (recorded with the tick's batch)."""
        self.rows.append(j)
        self.waits.append(seconds)
        self.counts.append(jobs)

    def step_queues(self, t: float, dt: float) -> None:
        """Encode for one tick: each pool drains its FIFO at its running instances' rate."""
        self.now = t
        rows, waits, counts = self.rows, self.waits, self.counts
        for p in self.pools:
            rate = 0.0 if p.down else p.running * p.spec.videos_per_hour_per_instance / 3600.0
            capacity = rate * dt
            done = 0.0
            while p.queue and done < capacity - 1e-9:
                item = p.queue[0]
                take = min(item[1], capacity - done)
                done += take
                started = t + max(done - p.running, 0.0) / rate
                rows.append(p.jindex)
                waits.append(max(started - item[0], 0.0) + p.spec.pipeline_seconds)
                counts.append(take)
                item[1] -= take
                if item[1] <= 1e-9:
                    p.queue.popleft()
            p.depth = max(p.depth - done, 0.0)
            p.in_flight = min(float(p.running), rate * p.spec.pipeline_seconds) if done > 0 else 0.0
            if done > 0 or p.depth > 0:
                p.last_work = t
        if counts:
            self.record_rows(np.asarray(rows, dtype=np.intp), np.asarray(waits), np.asarray(counts))
        self.rows, self.waits, self.counts = [], [], []

    def record_rows(self, rows: NDArray[np.intp], seconds: NDArray[np.float64], jobs: NDArray[np.float64]) -> None:
        self.live.add(rows, seconds, jobs)
        if self.recent is not None:
            self.recent.add(self.now, rows, seconds, jobs)
        np.add.at(self.went_live, rows, jobs)

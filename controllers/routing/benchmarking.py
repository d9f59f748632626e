"""Measure routing decisions per second on one core, over a mix that visits every branch.

Jobs, pool states and the config are built before the clock starts: the figure is the cost of
``route()`` itself (what an upload handler pays per job), not of parsing requests.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable

from controllers.routing.decide import route
from controllers.routing.models import EncodeJob, RouterConfig
from ports.types import PoolState
from stacks.model import PlatformModel

DEPTHS = (0, 120, 499, 500, 800, 1_200, 2_000)


def build_workload(
    platforms: Iterable[PlatformModel],
) -> tuple[RouterConfig, list[EncodeJob], list[dict[str, PoolState]]]:
    """The prod config, one job per jurisdiction, and pool states at every depth combination."""
    platforms = list(platforms)
    config = RouterConfig.from_platforms(platforms)
    jobs = [EncodeJob(job_id=f"bench-{j}", jurisdiction=j) for j in sorted(config.lanes)]
    specs = [(p, pool) for p in platforms for pool in p.settings.pools]
    snapshots = []
    for home_depth, over_depth in itertools.product(DEPTHS, DEPTHS):
        snapshot = {}
        for platform, spec in specs:
            is_home = spec.region == platform.home_region
            snapshot[spec.name] = PoolState(
                pool=spec.name,
                region=spec.region,
                jurisdiction=platform.regions[spec.region].jurisdiction,
                queue_depth=home_depth if is_home else over_depth,
                running=spec.max_size,
                starting=0,
                desired=spec.max_size,
                min_size=spec.min_size,
                max_size=spec.max_size,
                quota_instances=spec.max_size,
                observed_at=0.0,
            )
        snapshots.append(snapshot)
    return config, jobs, snapshots


def measure_decisions_per_s(platforms: Iterable[PlatformModel], decisions: int = 300_000) -> float:
    """Route ``decisions`` jobs (cycling the workload) on this thread: decisions per CPU-second.

    Timed with this thread's CPU clock, so that other processes sharing the core do not count.
    """
    config, jobs, snapshots = build_workload(platforms)
    pairs = [(job, snap) for snap in snapshots for job in jobs]
    work = [pairs[i % len(pairs)] for i in range(decisions)]
    start = time.thread_time()
    for job, snap in work:
        route(job, snap, config)
    elapsed = time.thread_time() - start
    return decisions / elapsed

"""Benchmark: a 24-hour `normal-day` at 10M DAU across every region, in fast time, on one core.

Targets (issue B): under 10 s on one core and under 1 GiB peak memory. The model is one Python thread
(BLAS pools are limited to one thread), so it uses one core; the CPU time it used is printed next to
the wall time because on a shared machine the wall time also counts other processes' turns.
Run: `uv run python benchmarks/sandbox.py [--dau N] [--seed N] [--strategy none|reactive]`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# This file is named like the package it measures: run as a script, its own folder must not shadow it.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core: no BLAS thread pools

import argparse  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

from sandbox.running import build_sandbox, drive, resolve_strategy  # noqa: E402
from sandbox.scenarios import load_scenario  # noqa: E402

WALL_TARGET_S = 10.0
MEMORY_TARGET_MIB = 1024.0


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dau", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strategy", default="reactive", choices=("none", "reactive"))
    args = parser.parse_args()
    scenario = load_scenario("normal-day").with_dau(args.dau)
    built = time.perf_counter()
    sandbox = build_sandbox(scenario, args.seed)
    start, cpu_start = time.perf_counter(), time.process_time()
    drive(sandbox, resolve_strategy(args.strategy))
    outcome = sandbox.outcome()
    end, cpu = time.perf_counter(), time.process_time() - cpu_start
    wall = end - start
    memory = peak_rss_mib()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"normal-day, {args.dau:,} DAU, {len(sandbox.region_names)} regions, strategy {args.strategy}, single-threaded"
    )
    print(f"model time      {sandbox.now / 3600:.1f} h in {sandbox.ticks:,} ticks of {sandbox.dt:g} s")
    print(f"build           {start - built:.2f} s (platform model, social stream)")
    print(f"wall (run)      {wall:.2f} s   target < {WALL_TARGET_S:g} s   {'OK' if wall < WALL_TARGET_S else 'MISSED'}")
    print(f"cpu (run)       {cpu:.2f} s   (this process's CPU time; below wall when the machine is shared)")
    print(f"per tick        {wall / sandbox.ticks * 1e6:.0f} us wall, {cpu / sandbox.ticks * 1e6:.0f} us cpu   "
          f"speed {sandbox.now / wall:,.0f}x real time")  # fmt: skip
    print(f"peak memory     {memory:.0f} MiB (max RSS)   target < {MEMORY_TARGET_MIB:g} MiB   "
          f"{'OK' if memory < MEMORY_TARGET_MIB else 'MISSED'}")  # fmt: skip
    print(f"machine load    {load:.2f} (1-min load average; other processes share the CPU)")
    print(f"sanity          {outcome.extras['video_starts']:,} starts, spend ${outcome.spend_usd:,.0f}, "
          f"start p95 {outcome.video_start_p95_ms} ms, upload p95 {outcome.upload_to_live_p95_s} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark `ops plan` over the four prod stacks (target: under 20 s in total on a 2-core machine).

Three figures, because users see all of them:
- ``cli``: each stack planned by a fresh ``ops plan --stack NAME --json`` process, as a platform
  engineer runs it (interpreter start, imports, program, policy pack, JSON);
- ``cli_all_prod``: one ``ops plan --all-prod --json`` process planning the four stacks;
- ``in-process``: the four stacks planned one after another in one process (what ``ops demo`` and
  the tests do), with wall and CPU time per stack, so machine load can be told apart from our cost.

Run: ``uv run python benchmarks/plan.py [--json]``. Prints a table (or one JSON object) on stdout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stacks.loading import PROD_STACKS, load_platform  # noqa: E402

TARGET_S = 20.0


def run_ops(*args: str) -> tuple[float, float, str]:
    """Run `ops plan ...` in a fresh process: (wall s, child CPU s, stdout); fails loudly unless exit 0."""
    ops = shutil.which("ops", path=str(Path(sys.executable).parent)) or "ops"
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run([ops, "plan", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"ops plan {' '.join(args)} exited {done.returncode}: {done.stderr}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, done.stdout


def time_cli(stack: str) -> dict[str, float | int | str]:
    wall, cpu, stdout = run_ops("--stack", stack, "--json")
    resources = len(json.loads(stdout)["resources"])
    return {"stack": stack, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "resources": resources}


def time_cli_all_prod() -> dict[str, float | int]:
    wall, cpu, stdout = run_ops("--all-prod", "--json")
    resources = sum(len(p["resources"]) for p in json.loads(stdout))
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "resources": resources}


def time_in_process() -> list[dict[str, float | int | str]]:
    from stacks.planning import plan_stack

    rows: list[dict[str, float | int | str]] = []
    for stack in PROD_STACKS:
        wall, cpu = time.perf_counter(), time.process_time()
        result = plan_stack(load_platform(stack))
        rows.append(
            {
                "stack": stack,
                "wall_s": round(time.perf_counter() - wall, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
                "resources": len(result.resources),
                "violations": len(result.violations),
            }
        )
    return rows


def load_average() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError):
        return -1.0


def main() -> None:
    cli = [time_cli(stack) for stack in PROD_STACKS]
    all_prod = time_cli_all_prod()
    in_process = time_in_process()
    report = {
        "target_s": TARGET_S,
        "cli_total_s": round(sum(float(r["wall_s"]) for r in cli), 2),
        "cli_total_cpu_s": round(sum(float(r["cpu_s"]) for r in cli), 2),
        "cli_all_prod": all_prod,
        "in_process_total_s": round(sum(float(r["wall_s"]) for r in in_process), 2),
        "in_process_cpu_s": round(sum(float(r["cpu_s"]) for r in in_process), 2),
        "load_average_1m": load_average(),
        "cli": cli,
        "in_process": in_process,
    }
    if "--json" in sys.argv:
        print(json.dumps(report, indent=2))
        return
    print(
        f"ops plan, four prod stacks (target < {TARGET_S:.0f} s total; 1-min load average {report['load_average_1m']})"
    )
    for row in cli:
        print(
            f"  cli         {row['stack']:<12} {row['wall_s']:>6.2f} s wall {row['cpu_s']:>6.2f} s cpu"
            f"  {row['resources']:>4} resources"
        )
    print(f"  cli total   {report['cli_total_s']:>19.2f} s wall {report['cli_total_cpu_s']:>6.2f} s cpu")
    print(
        f"  ops plan --all-prod    {all_prod['wall_s']:>8.2f} s wall {all_prod['cpu_s']:>6.2f} s cpu"
        f"  {all_prod['resources']:>4} resources"
    )
    for row in in_process:
        print(
            f"  in-process  {row['stack']:<12} {row['wall_s']:>6.2f} s wall {row['cpu_s']:>6.2f} s cpu"
            f"  {row['resources']:>4} resources  {row['violations']} violations"
        )
    print(f"  in-process total {report['in_process_total_s']:>14.2f} s wall {report['in_process_cpu_s']:>6.2f} s cpu")


if __name__ == "__main__":
    main()

"""Starting and reading back the Locust child process of a war game (see loadtests/library.py).

The war game's own process never imports Locust (gevent would patch its threads); it starts a
``spawn`` child with the load settings as ``REELOPS_*`` variables and, once the child is done, reads
the evidence files: samples, write fates, CPU saturation and Locust's stats CSV.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from pathlib import Path

from wargames.models import LoadSpec


@dataclass
class LoadProcess:
    process: BaseProcess
    stop_event: Event
    out_dir: Path

    def stop(self, timeout_s: float = 20.0) -> None:
        self.stop_event.set()
        self.process.join(timeout_s)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


@dataclass(frozen=True)
class LoadEvidence:
    samples: list[tuple[float, str, float, bool]]
    writes: list[tuple[float, str, bool, int]]
    cpu_warning: bool
    max_cpu_percent: float


def build_env(spec: LoadSpec, speed: float, out_dir: Path, surge_at_s: float, duration_s: float) -> dict[str, str]:
    """The ``REELOPS_*`` settings of loadtests/settings.py for this war game's load."""
    return {
        "REELOPS_LOAD_DIR": str(out_dir),
        "REELOPS_SPEED": str(speed),
        "REELOPS_THINK_TIME_S": str(spec.think_time_s),
        "REELOPS_BASE_USERS": str(spec.learners + spec.creators + spec.writers),
        "REELOPS_USER_WEIGHTS": f"learner={spec.learners},creator={spec.creators},writer={spec.writers}",
        "REELOPS_SURGE_AT_S": str(surge_at_s),
        "REELOPS_RAMP_S": str(max(surge_at_s, 1.0)),
        "REELOPS_DURATION_S": str(duration_s),
        "LOCUST_SKIP_MONKEY_PATCH": "",
    }


def start_load(host: str, spec: LoadSpec, env_vars: dict[str, str]) -> LoadProcess:
    from loadtests.library import run_load

    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    users = spec.learners + spec.creators + spec.writers
    process = ctx.Process(
        target=run_load, args=(host, spec.shape, users, env_vars, stop), name="wargame-locust", daemon=True
    )
    process.start()
    return LoadProcess(process=process, stop_event=stop, out_dir=Path(env_vars["REELOPS_LOAD_DIR"]))


def read_evidence(out_dir: Path) -> LoadEvidence:
    """What the Locust child left behind; missing files mean no data (the war game is then invalid)."""
    samples: list[tuple[float, str, float, bool]] = []
    writes: list[tuple[float, str, bool, int]] = []
    if (out_dir / "samples.csv").exists():
        with (out_dir / "samples.csv").open() as f:
            samples = [(float(r["t"]), r["name"], float(r["ms"]), r["ok"] == "1") for r in csv.DictReader(f)]
    if (out_dir / "writes.csv").exists():
        with (out_dir / "writes.csv").open() as f:
            writes = [
                (float(r["t"]), r["id"], r["fate"] == "acknowledged", int(r["status"])) for r in csv.DictReader(f)
            ]
    cpu = json.loads((out_dir / "cpu.json").read_text()) if (out_dir / "cpu.json").exists() else {}
    return LoadEvidence(
        samples=samples,
        writes=writes,
        cpu_warning=bool(cpu.get("warning", False)),
        max_cpu_percent=float(cpu.get("max_cpu_percent", 0.0)),
    )

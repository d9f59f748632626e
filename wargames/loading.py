"""Starting and reading back the Locust child process of a war game (see loadtests/library.py).

The war game's own process never imports Locust (gevent would patch its threads, and must patch
before ``ssl`` is imported); it starts a fresh interpreter (``python -m loadtests.library``) with the
load settings as ``REELOPS_*`` variables and, once the child is done, reads the evidence files:
samples, write fates, CPU saturation and Locust's stats CSV.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from wargames.models import LoadSpec


@dataclass
class LoadProcess:
    process: subprocess.Popen[bytes]
    stop_file: Path
    out_dir: Path

    def wait_started(self, timeout_s: float = 60.0) -> None:
        """Block until the child's first request (its ``started`` file), or raise naming its log."""
        deadline = time.monotonic() + timeout_s
        while not (self.out_dir / "started").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.out_dir / "locust.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"Locust did not start sending load (see {self.out_dir}/locust.log):\n{log}")
            time.sleep(0.05)

    def stop(self, timeout_s: float = 20.0) -> None:
        """Ask the child to stop (stop file), wait for its evidence, terminate it if it hangs."""
        self.stop_file.touch()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(5)


@dataclass(frozen=True)
class LoadEvidence:
    samples: list[tuple[float, str, float, bool]]
    writes: list[tuple[float, str, bool, int]]
    cpu_warning: bool
    max_cpu_percent: float
    sessions: list[tuple[float, str, bool, int, int]] = field(default_factory=list)  # t, region, ok, views, failed


UPLOAD_SAMPLE_SHARE = 0.1  # Locust's creators together add this share of the modelled uploads


def creator_upload_interval_s(creators: int, uploads_per_day: float) -> float:
    """Model seconds between one Locust creator's uploads so that all of them add UPLOAD_SAMPLE_SHARE of
    the platform's uploads: their jobs enter the full-scale model's pools, unlike views (a sample)."""
    if creators <= 0 or uploads_per_day <= 0:
        return 86_400.0
    return creators * 86_400.0 / (UPLOAD_SAMPLE_SHARE * uploads_per_day)


def build_env(
    spec: LoadSpec,
    speed: float,
    out_dir: Path,
    surge_at_s: float,
    *,
    views_per_session: float,
    client_retry: bool,
    uploads_per_day: float,
) -> dict[str, str]:
    """The ``REELOPS_*`` settings of loadtests/settings.py for this war game's load: sessions of the
    platform model's views per session (SPEC 6), client retries when the run's mitigations have them,
    creators paced to a share of the modelled uploads."""
    return {
        "REELOPS_UPLOAD_INTERVAL_S": f"{creator_upload_interval_s(spec.creators, uploads_per_day):.1f}",
        "REELOPS_VIEWS_PER_SESSION": str(max(1, round(views_per_session))),
        "REELOPS_CLIENT_RETRY": "1" if client_retry else "0",
        "REELOPS_LOAD_DIR": str(out_dir),
        "REELOPS_SPEED": str(speed),
        "REELOPS_THINK_TIME_S": str(spec.think_time_s),
        "REELOPS_BASE_USERS": str(spec.learners + spec.creators + spec.writers),
        "REELOPS_USER_WEIGHTS": f"learner={spec.learners},creator={spec.creators},writer={spec.writers}",
        "REELOPS_SURGE_AT_S": str(surge_at_s),
        "REELOPS_RAMP_S": str(max(surge_at_s, 1.0)),
        "REELOPS_DURATION_S": str(10**7),  # the war game stops the load, not the shape
        "REELOPS_START_WALL": str(time.time()),
    }


def start_load(host: str, spec: LoadSpec, env_vars: dict[str, str]) -> LoadProcess:
    """Start ``python -m loadtests.library`` with the war game's settings; its log goes to locust.log."""
    out = Path(env_vars["REELOPS_LOAD_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    stop_file = out / "stop"
    stop_file.unlink(missing_ok=True)
    (out / "started").unlink(missing_ok=True)
    users = spec.learners + spec.creators + spec.writers
    env = {**os.environ, **env_vars}
    env.pop("LOCUST_SKIP_MONKEY_PATCH", None)
    with (out / "locust.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "loadtests.library", host, spec.shape, str(users), str(stop_file)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return LoadProcess(process=process, stop_file=stop_file, out_dir=out)


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
    sessions: list[tuple[float, str, bool, int, int]] = []
    if (out_dir / "sessions.csv").exists():
        with (out_dir / "sessions.csv").open() as f:
            sessions = [
                (float(r["t"]), r["region"], r["start_ok"] == "1", int(r["views"]), int(r["failed_views"]))
                for r in csv.DictReader(f)
            ]
    cpu = json.loads((out_dir / "cpu.json").read_text()) if (out_dir / "cpu.json").exists() else {}
    return LoadEvidence(
        samples=samples,
        writes=writes,
        cpu_warning=bool(cpu.get("warning", False)),
        max_cpu_percent=float(cpu.get("max_cpu_percent", 0.0)),
        sessions=sessions,
    )

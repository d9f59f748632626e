"""Each experiment file, unchanged, through `chaos run` against a running `ops sandbox serve` (slow).

The server serves the plain normal-day scenario fast (100x); the experiments inject their faults
through the admin API, hold them for model time, and their rollbacks (strategy "always") clear them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = sorted((ROOT / "chaos" / "experiments").glob("*.json"))


def bin_of(name: str) -> str:
    return str(Path(sys.executable).with_name(name)) if Path(sys.executable).with_name(name).exists() else name


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    port = free_port()
    cmd = [bin_of("ops"), "sandbox", "serve", "normal-day", "--speed", "100", "--port", str(port)]
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                err = server.stderr.read() if server.stderr else b""
                raise RuntimeError(f"ops sandbox serve did not start: {err!r}") from None
            time.sleep(0.2)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(10)


def active_faults(url: str) -> list[object]:
    with urllib.request.urlopen(f"{url}/admin/faults", timeout=5) as resp:
        data = json.loads(resp.read())
    return list(data["faults"] if isinstance(data, dict) else data)


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_chaos_run_executes_the_experiment_and_rolls_back(path: Path, sandbox_url: str, tmp_path: Path) -> None:
    assert shutil.which(bin_of("chaos")) or Path(bin_of("chaos")).exists()
    journal = tmp_path / "journal.json"
    env = {**os.environ, "REELOPS_SANDBOX_URL": sandbox_url}
    result = subprocess.run(
        [bin_of("chaos"), "--no-log-file", "run", "--journal-path", str(journal), str(path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 1 = the steady state deviated
    data = json.loads(journal.read_text())
    assert [r["activity"]["provider"]["func"] for r in data["run"]][:1] == ["inject_fault"]
    assert all(r["status"] == "succeeded" for r in data["run"]), data["run"]
    assert [r["status"] for r in data["rollbacks"]] == ["succeeded"]
    assert active_faults(sandbox_url) == []

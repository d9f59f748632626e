"""Lint and strict typing over the whole tree (mypy strict outside the Pulumi program and components)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPED = ["ports", "stacks", "controllers", "sandbox", "chaos", "finops", "loadtests", "runbooks", "cli", "wargames"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_is_clean() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    targets = [t for t in TYPED if (ROOT / t).exists()]
    result = run("mypy", "--cache-dir", str(ROOT / ".mypy_cache"), *targets)
    assert result.returncode == 0, result.stdout + result.stderr

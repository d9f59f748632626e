"""The layering rules of ARCHITECTURE.md, checked on the source: dependencies point one way.

- boto3/botocore, kubernetes and prometheus_api_client are imported only by adapter modules
  (a file named ``*adapters*.py`` or inside an ``adapters/`` package);
- components never import controllers, the sandbox or the CLI;
- pure decision modules (``decide.py``) import no adapters and no backends;
- nothing but the CLI imports the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "ports",
    "stacks",
    "components",
    "controllers",
    "sandbox",
    "chaos",
    "finops",
    "loadtests",
    "runbooks",
    "cli",
)
BACKENDS = ("boto3", "botocore", "kubernetes", "prometheus_api_client")


def source_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def is_adapter(path: Path) -> bool:
    rel = path.relative_to(ROOT)
    return "adapters" in rel.name or "adapters" in rel.parts[:-1]


def top(name: str) -> str:
    return name.split(".")[0]


def test_there_is_code_to_check() -> None:
    assert len(source_files()) > 10


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_backends_only_in_adapters(path: Path) -> None:
    used = {m for m in imported_modules(path) if top(m) in BACKENDS}
    assert not used or is_adapter(path), f"{path.relative_to(ROOT)} imports {sorted(used)} outside an adapter"


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_layers_point_one_way(path: Path) -> None:
    rel = path.relative_to(ROOT)
    tops = {top(m) for m in imported_modules(path)}
    forbidden: set[str] = set()
    if rel.parts[0] == "components":
        forbidden = {"controllers", "sandbox", "cli", "chaos", "loadtests"}
    elif rel.parts[0] in ("ports", "stacks"):
        forbidden = {"controllers", "sandbox", "cli", "chaos", "finops", "loadtests"}
    elif rel.parts[0] == "sandbox":
        forbidden = {"controllers", "cli", "chaos", "components"}
    elif rel.parts[0] != "cli":
        forbidden = {"cli"}
    if rel.name == "decide.py":
        forbidden |= set(BACKENDS) | {"sandbox"}
    bad = tops & forbidden
    assert not bad, f"{rel} imports {sorted(bad)}, against the layering"


def test_decide_modules_do_not_import_adapters() -> None:
    for path in ROOT.glob("controllers/*/decide.py"):
        mods = imported_modules(path)
        assert not any("adapters" in m for m in mods), f"{path} imports an adapter"

"""Runbooks stay true to the alerts, the war games and the CLI they tell the on-call to run."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from cli.main import app
from ports.metrics import METRICS_BY_NAME
from runbooks.catalogue import (
    RUNBOOK_DIR,
    CatalogueError,
    Runbook,
    find_runbook,
    list_metric_names,
    list_ops_commands,
    list_promql,
    load_alert_rules,
    load_runbooks,
    read_runbook,
    runbook_for_wargame,
)
from stacks.loading import list_stacks, load_platform

BOOKS = load_runbooks()
RULES = load_alert_rules()
# The war games of the wargame issue; scenarios found in sandbox/scenarios/ are added below.
WARGAMES = {"regional-failure", "origin-failure", "viral-surge", "az-failure-during-surge", "saturday-upload-peak"}
ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "sandbox" / "scenarios"
WARGAME_CATALOGUE = ROOT / "wargames" / "wargames.yaml"
LINK = re.compile(r"\]\(([^)#]+\.md)\)")
COMMANDS = [(book.name, argv) for book in BOOKS.values() for argv in list_ops_commands(book)]


def linked_runbooks() -> dict[str, str]:
    """War game -> the runbook path its report links to (wargames/wargames.yaml, once on main)."""
    if not WARGAME_CATALOGUE.exists():
        return {}
    data = yaml.safe_load(WARGAME_CATALOGUE.read_text()) or {}
    return {name: str((body or {}).get("runbook", "")) for name, body in data.items()}


def known_wargames() -> set[str]:
    found = {p.stem for p in SCENARIO_DIR.glob("*.yaml")} - {"normal-day"}
    return WARGAMES | found | set(linked_runbooks())


def parse_ops(argv: Sequence[str]) -> str:
    """Parse ``ops ARGV`` against the real CLI without running it; returns the leaf command path."""
    return parse_ops_params(argv)[0]


def parse_ops_params(argv: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """The leaf command path and its parsed parameters (click's ``make_context``, nothing runs)."""
    command = typer.main.get_command(app)
    ctx = command.make_context("ops", list(argv))
    path = ["ops"]
    while hasattr(command, "resolve_command"):
        name, sub, rest = command.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        assert sub is not None and name is not None
        ctx = sub.make_context(name, rest, parent=ctx)
        command, path = sub, [*path, name]
    return " ".join(path), dict(ctx.params)


def check_known_values(path: str, params: dict[str, Any]) -> None:
    """Arguments that name things (war games, stacks, jurisdictions, runbooks) must name real ones."""
    if path == "ops wargame run" and params.get("scenario"):
        assert params["scenario"] in linked_runbooks(), f"no war game {params['scenario']!r} in {WARGAME_CATALOGUE}"
    if path == "ops sandbox run" and params.get("scenario"):
        assert (SCENARIO_DIR / f"{params['scenario']}.yaml").exists(), f"no sandbox scenario {params['scenario']!r}"
    if params.get("stack"):
        assert params["stack"] in list_stacks(), f"no stack {params['stack']!r}"
    if params.get("jurisdiction"):
        assert params["jurisdiction"] in load_platform("prod-global").jurisdictions
    if path == "ops runbook show":
        find_runbook(params["name"], BOOKS)


def test_there_are_runbooks_and_commands() -> None:
    assert len(BOOKS) >= len(RULES) + len(WARGAMES)
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize("alert", [r.alert for r in RULES])
def test_every_alert_has_a_runbook_that_answers_it(alert: str) -> None:
    rule = next(r for r in RULES if r.alert == alert)
    book = BOOKS.get(rule.runbook)
    assert book is not None, f"{alert}: runbook annotation {rule.runbook!r} names no runbooks/*.md"
    assert book.meta.kind == "alert" and book.meta.alert == (alert,)
    assert book.meta.severity == rule.severity, f"{book.name}: severity differs from the rule"


@pytest.mark.parametrize(("scenario", "link"), sorted(linked_runbooks().items()))
def test_wargame_catalogue_links_the_runbook_for_that_wargame(scenario: str, link: str) -> None:
    path = ROOT / link
    assert path.exists(), f"wargames/wargames.yaml: {scenario}.runbook: {link} does not exist"
    assert read_runbook(path).meta.wargame == scenario, f"{link} is not the runbook of war game {scenario}"


def test_every_alert_runbook_answers_an_existing_alert() -> None:
    alerts = {r.alert for r in RULES}
    orphans = [b.name for b in BOOKS.values() if b.meta.kind == "alert" and not set(b.meta.alert) <= alerts]
    assert not orphans


@pytest.mark.parametrize("scenario", sorted(known_wargames()))
def test_every_wargame_links_its_runbook(scenario: str) -> None:
    book = runbook_for_wargame(scenario)
    assert book.meta.kind == "wargame"
    runs = (f"ops wargame run {scenario}", f"ops sandbox run {scenario}")
    assert any(r in book.body for r in runs), f"{book.name} does not say how to run {scenario}"
    alerts = {r.alert for r in RULES}
    assert set(book.meta.alert) <= alerts, f"{book.name} names unknown alerts"


@pytest.mark.parametrize("book", BOOKS.values(), ids=lambda b: b.name)
def test_runbook_has_every_section(book: Runbook) -> None:
    headings = {line.removeprefix("## ").split(" (")[0] for line in book.body.splitlines() if line.startswith("## ")}
    required = {"Symptoms", "Impact", "Diagnosis", "Mitigation"} | (
        {"Rollback"} if book.meta.kind == "alert" else {"Run it"}
    )
    missing = {h for h in required if not any(x.startswith(h) for x in headings)}
    assert not missing, f"{book.name} lacks sections {sorted(missing)}"
    assert "$" in book.body.split("## Impact", 1)[1].split("\n## ", 1)[0], f"{book.name}: impact without dollars"


@pytest.mark.parametrize(("name", "argv"), COMMANDS, ids=[f"{n}: ops {' '.join(a)}" for n, a in COMMANDS])
def test_runbook_command_parses_against_the_cli(name: str, argv: list[str]) -> None:
    path, params = parse_ops_params(argv)
    check_known_values(path, params)


def test_parse_ops_rejects_what_the_cli_would() -> None:
    with pytest.raises(Exception, match="No such command"):
        parse_ops(["runbook", "shw", "x"])
    with pytest.raises(Exception, match="Missing"):
        parse_ops(["runbook", "show"])
    assert parse_ops(["runbook", "show", "daily-cost", "--raw"]) == "ops runbook show"


@pytest.mark.parametrize("book", BOOKS.values(), ids=lambda b: b.name)
def test_runbook_links_resolve(book: Runbook) -> None:
    for target in LINK.findall(book.body):
        assert (RUNBOOK_DIR / target).exists(), f"{book.name} links to missing {target}"


PROMQL = [(book.name, expr) for book in BOOKS.values() for expr in list_promql(book)]


def test_runbooks_give_promql_to_diagnose_with() -> None:
    assert len(PROMQL) >= 15
    assert len({name for name, _ in PROMQL}) >= 6


@pytest.mark.parametrize(("name", "expr"), PROMQL, ids=[f"{n}: {e[:60]}" for n, e in PROMQL])
def test_runbook_promql_reads_only_contract_metrics(name: str, expr: str) -> None:
    names = list_metric_names(expr)
    assert names, f"{name}: {expr!r} reads no reelops metric"
    assert names <= set(METRICS_BY_NAME), f"{name}: unknown metrics {sorted(names - set(METRICS_BY_NAME))}"


def test_find_runbook_by_name_alert_or_wargame() -> None:
    assert find_runbook("daily-cost", BOOKS).name == "daily-cost"
    assert find_runbook("DailyCostHigh", BOOKS).name == "daily-cost"
    assert find_runbook("viral-surge", BOOKS).name == "wargame-viral-surge"
    with pytest.raises(KeyError, match="no runbook 'nope'"):
        find_runbook("nope", BOOKS)


def test_bad_front_matter_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: t\nkind: alert\nalert: X\nseverity: loud\nslo: s\nowner: o\n---\nbody\n")
    with pytest.raises(CatalogueError) as info:
        read_runbook(path)
    assert info.value.file == str(path) and info.value.key == "severity"
    path.write_text("no front matter\n")
    with pytest.raises(CatalogueError, match="front matter"):
        read_runbook(path)


runner = CliRunner()


def test_cli_list_json_lists_every_runbook() -> None:
    import json

    result = runner.invoke(app, ["runbook", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert {row["name"] for row in json.loads(result.stdout)} == set(BOOKS)


def test_cli_show_renders_by_alert_name() -> None:
    result = runner.invoke(app, ["runbook", "show", "VideoStartLatencyHigh"])
    assert result.exit_code == 0, result.output
    assert "Video start p95 above 400 ms" in result.stdout and "$189,810" in result.stdout


def test_cli_show_unknown_exits_2_naming_the_known_ones() -> None:
    result = runner.invoke(app, ["runbook", "show", "nope"])
    assert result.exit_code == 2
    assert "video-start-latency" in result.stderr


def test_cli_alerts_json_matches_the_rules() -> None:
    import json

    result = runner.invoke(app, ["runbook", "alerts", "--json"])
    assert result.exit_code == 0
    assert [row["alert"] for row in json.loads(result.stdout)] == [r.alert for r in RULES]

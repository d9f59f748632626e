"""The alerting rules: valid for Prometheus, unit-tested with promtool, on the metric contract,
with thresholds that agree with the platform model and runbooks/slos.yaml (SPEC section 10).

promtool comes from Debian's ``prometheus`` package (``./run setup``); CI installs it, so a missing
promtool is a failure here, never a skip.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ports.metrics import METRICS_BY_NAME
from runbooks.catalogue import (
    ALERTS_FILE,
    RUNBOOK_DIR,
    AlertRule,
    list_metric_names,
    load_alert_rules,
    load_slos,
    read_threshold,
)
from stacks.loading import load_platform, load_prod_platforms

RULES = load_alert_rules()
RULES_BY_NAME = {r.alert: r for r in RULES}
RULE_TESTS = sorted((RUNBOOK_DIR / "tests").glob("*.yaml"))


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("promtool")
    assert exe, "promtool not found: run ./run setup (installs Debian's prometheus package)"
    return subprocess.run([exe, *args], capture_output=True, text=True, check=False, timeout=60)


def test_promtool_accepts_the_rules() -> None:
    result = promtool("check", "rules", str(ALERTS_FILE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(RULES)} rules found" in result.stdout


def test_promtool_rejects_a_broken_rule(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: sum(reelops_breaker_state\n")
    assert promtool("check", "rules", str(bad)).returncode != 0


def test_there_are_rule_unit_tests() -> None:
    assert len(RULE_TESTS) >= 2


@pytest.mark.parametrize("path", RULE_TESTS, ids=lambda p: p.name)
def test_promtool_rule_unit_tests_pass(path: Path) -> None:
    result = promtool("test", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_rule_is_unit_tested() -> None:
    text = "\n".join(p.read_text() for p in RULE_TESTS)
    untested = [r.alert for r in RULES if f"alertname: {r.alert}" not in text]
    assert not untested, f"rules without a promtool unit test: {untested}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.alert)
def test_rule_reads_only_contract_metrics(rule: AlertRule) -> None:
    names = list_metric_names(rule.expr)
    assert names, f"{rule.alert} reads no reelops metric"
    unknown = names - set(METRICS_BY_NAME)
    assert not unknown, f"{rule.alert} uses metrics missing from ports/metrics.py: {sorted(unknown)}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.alert)
def test_rule_has_severity_summary_runbook_and_threshold(rule: AlertRule) -> None:
    assert rule.severity in ("critical", "warning", "info"), rule.labels
    assert rule.annotations.get("summary"), f"{rule.alert} has no summary"
    assert rule.runbook, f"{rule.alert} has no runbook annotation"
    op, value = read_threshold(rule)
    assert float(rule.annotations["threshold"]) == value, f"{rule.alert}: threshold annotation != `{op} {value}`"


def test_the_spec_alerts_are_p1_to_p4_once_each() -> None:
    priorities = sorted(r.labels["priority"] for r in RULES if "priority" in r.labels)
    assert priorities == ["P1", "P2", "P3", "P4"]
    p1 = RULES_BY_NAME["VideoStartLatencyHigh"].labels
    assert p1 == {"severity": "critical", "priority": "P1", "notify": "oncall"}


def threshold(alert: str) -> float:
    return read_threshold(RULES_BY_NAME[alert])[1]


def test_p1_latency_threshold_comes_from_slos_and_sits_above_the_slo() -> None:
    slos = load_slos()
    assert threshold("VideoStartLatencyHigh") == slos.alert_thresholds["video_start_p95_ms"] == 400
    assert threshold("VideoStartLatencyHigh") > slos.slos["video_start_p95_ms"].objective


def test_availability_burn_threshold_is_the_page_burn_rate_of_the_error_budget() -> None:
    slos = load_slos()
    budget = 1 - slos.slos["availability"].objective
    burn = slos.alert_thresholds["availability_page_burn_rate"]
    rule = RULES_BY_NAME["VideoStartErrorBudgetBurn"]
    assert threshold("VideoStartErrorBudgetBurn") == pytest.approx(burn * budget)
    assert rule.expr.count(f"> {rule.annotations['threshold']}") == 2, "both windows must use the same threshold"
    assert "[5m]" in rule.expr and "[1h]" in rule.expr


def test_p2_queue_threshold_is_every_pools_routing_limit() -> None:
    pools = [p for m in load_prod_platforms().values() for p in m.settings.pools]
    assert pools, "no prod pools to check against"
    limits = {p.route_depth_limit for p in pools} | {p.thresholds.add_20_above for p in pools}
    assert limits == {threshold("EncodeQueueDepthHigh")}, f"pool limits {limits} disagree with the rule"


def test_p3_cache_threshold_comes_from_slos_and_sits_below_the_normal_ratio() -> None:
    cdn = load_platform("prod-global").settings.cdn
    assert cdn is not None
    assert threshold("CacheHitRatioLow") == load_slos().alert_thresholds["cache_hit_ratio_min"]
    assert threshold("CacheHitRatioLow") < cdn.normal_hit_ratio


def test_p4_cost_threshold_is_the_budget_page_threshold() -> None:
    budgets = load_platform("prod-global").settings.budgets
    assert budgets is not None
    assert threshold("DailyCostHigh") == budgets.page_usd
    assert budgets.breaker_usd > threshold("DailyCostHigh") > budgets.notify_usd


def test_stale_threshold_is_the_gpu_instance_start_time() -> None:
    starts = {p.startup_seconds for m in load_prod_platforms().values() for p in m.settings.pools}
    assert starts == {threshold("ControllerObservationsStale")}


def test_breaker_alert_watches_the_open_state_the_metric_documents() -> None:
    rule = RULES_BY_NAME["BudgetBreakerOpen"]
    assert 'state="open"' in rule.expr
    assert "open" in METRICS_BY_NAME["reelops_breaker_state"].help

"""Stack estimates from the plan graph: consistent with the cost model, priced by type, diffable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from finops.catalogue import default_catalogue
from finops.cost_model import Drivers, drivers_from_platforms, model_costs
from finops.estimating import RULES, StackEstimate, diff_estimates, estimate_stack
from finops.usage import default_usage
from stacks.loading import load_platform, load_prod_platforms
from stacks.model import PlatformModel
from stacks.planning import plan_stack


@pytest.fixture(scope="module")
def drivers() -> Drivers:
    return drivers_from_platforms(list(load_prod_platforms().values()))


PLANNED_TYPES: dict[str, set[str]] = {}


def estimate(model: PlatformModel, drivers: Drivers) -> StackEstimate:
    resources = plan_stack(model).resources
    PLANNED_TYPES[model.stack] = {r.type for r in resources}
    return estimate_stack(model, resources, drivers, default_usage(), default_catalogue())


@pytest.fixture(scope="module")
def us(drivers: Drivers) -> StackEstimate:
    return estimate(load_platform("prod-us"), drivers)


@pytest.fixture(scope="module")
def global_(drivers: Drivers) -> StackEstimate:
    return estimate(load_platform("prod-global"), drivers)


def test_cdn_of_the_global_stack_equals_the_cost_model(global_: StackEstimate, drivers: Drivers) -> None:
    model = model_costs(drivers.traffic.dau, drivers, default_usage(), default_catalogue())
    assert global_.monthly_usd_by_cost_center["cdn"] == pytest.approx(model.monthly_usd_by_cost_center["cdn"])


def test_us_stack_prices_its_share_of_the_model_plus_what_its_config_adds(us: StackEstimate, drivers: Drivers) -> None:
    usage = default_usage()
    model = model_costs(drivers.traffic.dau, drivers, usage, default_catalogue())
    share = 0.5  # us-east-1 0.33 + us-west-2 0.17
    tables = sum(li.monthly_usd for li in us.lines if li.type == "aws:dynamodb/table:Table")
    model_tables = sum(li.usd for li in model.lines if li.item.startswith("dynamodb_"))
    assert tables == pytest.approx(model_tables * share, rel=1e-6)
    storage = sum(li.monthly_usd for li in us.lines if li.type == "aws:s3/bucket:Bucket")
    assert storage == pytest.approx(model.monthly_usd_by_cost_center["storage"] * share * 2, rel=1e-6)  # + replica
    base = next(li for li in us.lines if li.resource == "us-east-1-gpu-group" and li.item.endswith("on_demand"))
    assert base.quantity == pytest.approx(12 * usage.days_per_month * 24)
    assert base.monthly_usd == pytest.approx(base.quantity * 0.526)


def test_every_planned_type_is_priced_free_or_reported(us: StackEstimate, global_: StackEstimate) -> None:
    for e in (us, global_):
        planned = PLANNED_TYPES[e.stack]
        assert planned == {li.type for li in e.lines} | set(e.free) | set(e.unpriced) | {
            t for t in planned if t in RULES
        }  # a rule may price a resource at $0 (a DLQ, a gateway endpoint)
    chargeable = {
        "aws:autoscaling/group:Group",
        "aws:dynamodb/table:Table",
        "aws:s3/bucket:Bucket",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:eks/cluster:Cluster",
        "aws:sqs/queue:Queue",
    }
    assert chargeable <= {li.type for li in us.lines}
    assert "aws:cloudfront/distribution:Distribution" in {li.type for li in global_.lines}
    assert not set(us.unpriced) & chargeable


def test_raising_the_on_demand_base_shows_in_the_diff(tmp_path: Path, us: StackEstimate, drivers: Drivers) -> None:
    data = yaml.safe_load(Path("stacks/Pulumi.prod-us.yaml").read_text())
    pools = data["config"]["reelops:platform"]["pools"]
    pools[0]["on_demand_base"] = 20
    pools[0]["min_size"] = 20
    variant = tmp_path / "Pulumi.prod-us-bigger.yaml"
    variant.write_text(yaml.safe_dump(data))
    other = estimate(load_platform(config_path=variant), drivers)
    diff = diff_estimates(us, other)
    hours = default_usage().days_per_month * 24
    gpu = next(r for r in diff.resources if r.resource == "us-east-1-gpu-group")
    assert gpu.change == "changed"
    # 8 more on-demand instances all month; the spot burst above the base shrinks by what they cover
    assert 8 * hours * (0.526 - 0.158) <= gpu.delta_usd <= 8 * hours * 0.526 + 0.01
    assert diff.delta_usd == pytest.approx(sum(r.delta_usd for r in diff.resources))
    assert [r.resource for r in diff.resources] == ["us-east-1-gpu-group"]


def test_estimate_command_json_and_bad_stack() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["finops", "estimate", "--stack", "prod-global", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["stack"] == "prod-global" and data["total_monthly_usd"] > 200_000
    bad = runner.invoke(app, ["finops", "estimate", "--stack", "prod-mars"])
    assert bad.exit_code == 2 and "prod-mars" in bad.stderr

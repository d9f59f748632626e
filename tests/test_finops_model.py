"""The cost model reproduces the design's usage and cost structure, and its inputs are validated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from finops.catalogue import default_catalogue
from finops.cost_model import CostModel, Drivers, derive_monthly_usage, drivers_from_platforms, model_costs
from finops.usage import USAGE_FILE, default_usage, load_usage
from finops.validating import FinopsInputError
from stacks.loading import load_prod_platforms


@pytest.fixture(scope="module")
def drivers() -> Drivers:
    return drivers_from_platforms(list(load_prod_platforms().values()))


def model_at(dau: int, drivers: Drivers) -> CostModel:
    return model_costs(dau, drivers, default_usage(), default_catalogue())


def quantity(drivers: Drivers, dau: int, *items: str) -> float:
    usage = derive_monthly_usage(dau, drivers, default_usage(), default_catalogue().units)
    return sum(u.quantity for u in usage if u.item in items)


def test_model_reproduces_spec_section_9_usage_at_3m_dau(drivers: Drivers) -> None:
    ref, units = default_usage().reference, default_catalogue().units
    assert units.tb_from_gb(quantity(drivers, ref.dau, "cdn_egress")) == pytest.approx(ref.cdn_egress_tb, rel=0.01)
    assert quantity(drivers, ref.dau, "app_compute_on_demand") == pytest.approx(ref.app_instance_hours, rel=0.01)
    assert quantity(drivers, ref.dau, "gpu_g4dn_xlarge_spot") == pytest.approx(ref.gpu_spot_hours, rel=0.01)
    stored_gb = quantity(drivers, ref.dau, "s3_standard", "s3_infrequent_access", "s3_archive")
    assert units.tb_from_gb(stored_gb) == pytest.approx(ref.storage_tb, rel=0.01)
    assert quantity(drivers, ref.dau, "asr_captions") == pytest.approx(ref.caption_minutes, rel=0.01)


def test_cost_structure_at_3m_dau_is_cdn_dominant_and_under_target(drivers: Drivers) -> None:
    m = model_at(3_000_000, drivers)
    assert 0.90 < m.share("cdn") < 0.96
    assert m.cost_per_dau_usd < 0.6 * m.targets["cost_per_dau_usd"]
    assert sum(m.monthly_usd_by_cost_center.values()) == pytest.approx(m.total_monthly_usd)
    assert m.gross_margin == pytest.approx((m.revenue_usd * 0.55 - m.total_monthly_usd) / m.revenue_usd)


def test_volume_tiers_apply_at_10m_dau(drivers: Drivers) -> None:
    small, big = model_at(3_000_000, drivers), model_at(10_000_000, drivers)
    items = {line.item for line in big.lines}
    assert {"cdn_egress_volume_commit", "app_compute_reserved"} <= items
    assert "cdn_egress" not in items
    assert big.cost_per_dau_usd < small.cost_per_dau_usd
    commit = next(line for line in big.lines if line.item == "cdn_egress_volume_commit")
    assert default_catalogue().units.tb_from_gb(commit.quantity) == pytest.approx(12_000, rel=0.01)
    assert commit.usd == pytest.approx(commit.quantity * 0.050)


def test_cost_scales_with_dau(drivers: Drivers) -> None:
    costs = [model_at(dau, drivers).total_monthly_usd for dau in (1_000_000, 2_000_000, 3_000_000)]
    assert costs[0] < costs[1] < costs[2]


def test_model_command_json_has_finance_keys() -> None:
    result = CliRunner().invoke(app, ["finops", "model", "--dau", "3000000", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {
        "dau",
        "monthly_usd_by_cost_center",
        "total_monthly_usd",
        "cost_per_dau_usd",
        "cost_per_view_usd",
        "gross_margin",
    } <= set(data)
    assert set(data["monthly_usd_by_cost_center"]) == {
        "cdn",
        "encoding",
        "ml",
        "storage",
        "data",
        "app",
        "observability",
    }


def test_model_command_prints_a_table() -> None:
    result = CliRunner().invoke(app, ["finops", "model", "--dau", "3000000"])
    assert result.exit_code == 0
    assert "cdn" in result.stdout and "gross margin" in result.stdout


def write_usage(tmp_path: Path, path: list[str], value: object) -> Path:
    data = yaml.safe_load(USAGE_FILE.read_text())
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    out = tmp_path / "usage.yaml"
    out.write_text(yaml.safe_dump(data))
    return out


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        pytest.param(["drivers", "gpu_busy_fraction"], 1.5, "drivers.gpu_busy_fraction", id="fraction-above-1"),
        pytest.param(
            ["drivers", "storage_tier_shares"],
            {"s3_standard": 0.5, "s3_infrequent_access": 0.1, "s3_archive": 0.1},
            "sum to 1",
            id="shares-not-1",
        ),
        pytest.param(["diurnal_profile"], [0.1] * 24, "diurnal_profile", id="profile-not-1"),
        pytest.param(["drivers", "typo_driver"], 1, "unknown key", id="unknown-key"),
    ],
)
def test_bad_usage_file_names_file_and_key(tmp_path: Path, path: list[str], value: object, needle: str) -> None:
    bad = write_usage(tmp_path, path, value)
    with pytest.raises(FinopsInputError) as info:
        load_usage(bad)
    assert str(bad) in str(info.value) and needle in str(info.value)

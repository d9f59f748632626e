"""The pricing catalogue: tier-by-tier pricing at the edges, and clear errors on bad input."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from finops.catalogue import CATALOGUE_FILE, CatalogueError, Tier, default_catalogue, load_catalogue, price_tiered

TIERS = (Tier(up_to=10, usd=1.0), Tier(up_to=50, usd=0.5), Tier(up_to=None, usd=0.1))


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        pytest.param(0, 0.0, id="zero"),
        pytest.param(10, 10.0, id="exactly-first-bound"),
        pytest.param(10.5, 10.25, id="just-past-first-bound"),
        pytest.param(50, 30.0, id="exactly-second-bound"),
        pytest.param(60, 31.0, id="open-tier"),
    ],
)
def test_tiered_price_charges_each_slice_at_its_rate(quantity: float, expected: float) -> None:
    assert price_tiered(TIERS, quantity) == pytest.approx(expected)


def test_cdn_egress_tiers_match_spec_section_9() -> None:
    """SPEC 9: first 10 TB $0.085/GB, next 40 TB $0.080, next 100 TB $0.060, beyond $0.060 (TB in catalogue units)."""
    cat = default_catalogue()
    tb = cat.units.gb_per_tb
    first = 10 * tb * 0.085
    assert cat.cost("cdn_egress", 10 * tb) == pytest.approx(first)
    assert cat.cost("cdn_egress", 10 * tb + 1) == pytest.approx(first + 0.080)
    assert cat.cost("cdn_egress", 50 * tb) == pytest.approx(first + 40 * tb * 0.080)
    assert cat.cost("cdn_egress", 150 * tb + 1) == pytest.approx(first + 40 * tb * 0.080 + 100 * tb * 0.060 + 0.060)


def test_units_are_decimal_as_spec_9_arithmetic_requires() -> None:
    """SPEC 9's 3,600 TB/month at 3M DAU = 3M x 20 views x 2 MB x 30 days only with 1,000 MB/GB and GB/TB."""
    units = default_catalogue().units
    monthly_mb = 3_000_000 * 20 * 2 * 30
    assert units.tb_from_gb(units.gb_from_mb(monthly_mb)) == pytest.approx(3_600)


def test_tiered_price_is_monotonic_and_marginal_rate_never_rises() -> None:
    cat = default_catalogue()
    steps = [cat.cost("cdn_egress", q + 1) - cat.cost("cdn_egress", q) for q in range(0, 200_000, 997)]
    assert all(a >= b - 1e-9 for a, b in itertools.pairwise(steps))


def test_every_price_has_unit_source_date() -> None:
    for key, price in default_catalogue().prices.items():
        assert price.unit and price.source and price.date, key


def write_catalogue(tmp_path: Path, edit: dict[str, object]) -> Path:
    data = yaml.safe_load(CATALOGUE_FILE.read_text())
    data["prices"]["cdn_egress"].update(edit)
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        pytest.param({"usd": 0.1}, "exactly one of", id="flat-and-tiered"),
        pytest.param(
            {"tiers": [{"up_to": 50, "usd": 0.1}, {"up_to": 10, "usd": 0.1}, {"up_to": None, "usd": 0.1}]},
            "rising",
            id="tiers-out-of-order",
        ),
        pytest.param({"tiers": [{"up_to": 10, "usd": 0.1}]}, "only the last one open", id="last-tier-closed"),
        pytest.param({"tiers": [{"up_to": None, "usd": -1}]}, "greater than or equal", id="negative-price"),
        pytest.param({"date": "yesterday"}, "pattern", id="bad-date"),
        pytest.param({"cost_center": "marketing"}, "cost_center", id="unknown-cost-centre"),
    ],
)
def test_bad_catalogue_names_file_and_key(tmp_path: Path, edit: dict[str, object], needle: str) -> None:
    path = write_catalogue(tmp_path, edit)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    message = str(info.value)
    assert str(path) in message and "prices.cdn_egress" in message and needle in message


def test_unreadable_catalogue_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="file not found"):
        load_catalogue(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("prices: [unclosed")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(bad)


def test_unknown_price_key_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="cdn_egress"):
        default_catalogue().cost("cdn_egres", 1)

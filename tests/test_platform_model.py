"""The platform model loads every stack and rejects bad configuration with file + key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stacks.loading import ConfigError, list_stacks, load_platform

STACKS = list_stacks()


def test_every_expected_stack_has_a_file() -> None:
    assert {"prod-us", "prod-eu", "prod-apac", "prod-global", "dev"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_loads_and_stays_in_its_jurisdiction(stack: str) -> None:
    model = load_platform(stack)
    if model.settings.kind == "jurisdiction":
        assert model.jurisdiction is not None
        for region in model.allowed_regions:
            assert model.regions[region].jurisdiction == model.jurisdiction.name
        assert {p.region for p in model.settings.pools} <= set(model.allowed_regions)


def write_variant(tmp_path: Path, stack: str, edit: dict[str, object]) -> Path:
    data = yaml.safe_load(Path(f"stacks/Pulumi.{stack}.yaml").read_text())
    data["config"]["reelops:platform"].update(edit)
    path = tmp_path / f"Pulumi.{stack}-variant.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def first_pool(stack: str, **changes: object) -> list[dict[str, object]]:
    pools = yaml.safe_load(Path(f"stacks/Pulumi.{stack}.yaml").read_text())["config"]["reelops:platform"]["pools"]
    return [{**pools[0], **changes}, *pools[1:]]


@pytest.mark.parametrize(
    ("stack", "edit", "key", "expected"),
    [
        ("prod-eu", {"overflow_region": "us-west-2"}, "reelops:platform.overflow_region", "jurisdiction EU"),
        ("prod-eu", {"jurisdiction": "MARS"}, "reelops:platform.jurisdiction", "expected one of"),
        (
            "prod-eu",
            {"pools": first_pool("prod-eu", max_size=40)},
            "reelops:platform.pools[0].max_size",
            "quota",
        ),
        (
            "prod-eu",
            {"pools": first_pool("prod-eu", region="us-east-1")},
            "reelops:platform.pools[0].region",
            "residency",
        ),
        (
            "prod-us",
            {"pools": first_pool("prod-us", thresholds={"scale_in_below": 200})},
            "reelops:platform.pools[0].thresholds",
            "ordered",
        ),
        (
            "prod-us",
            {"pools": first_pool("prod-us", max_sise=3)},
            "reelops:platform.pools[0].max_sise",
            "unknown key",
        ),
        ("prod-global", {"cdn": None}, "reelops:platform.cdn", "expected a value"),
    ],
    ids=[
        "overflow-outside",
        "unknown-jurisdiction",
        "quota",
        "pool-residency",
        "threshold-order",
        "typo",
        "no-cdn",
    ],
)
def test_invalid_config_names_file_and_key(
    tmp_path: Path, stack: str, edit: dict[str, object], key: str, expected: str
) -> None:
    path = write_variant(tmp_path, stack, edit)
    with pytest.raises(ConfigError) as info:
        load_platform(config_path=path)
    assert info.value.file == str(path)
    assert info.value.key == key
    assert expected in info.value.message

"""The pricing catalogue: load, validate and price usage. The only source of prices in reelops.

Prices live in ``finops/catalogue.yaml`` with unit, cost centre, source and date, so that finance can
audit every figure. Tiered prices are priced tier by tier (``price_tiered``), never with an average.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from stacks.model import CostCenter

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")


class CatalogueError(ValueError):
    """The catalogue file is invalid; the message names the file and key."""


class Tier(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    up_to: float | None = Field(gt=0)
    usd: float = Field(ge=0)


class Price(BaseModel):
    """One priced item: flat (``usd``) or tiered (``tiers``), optionally varying by region."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    unit: str
    cost_center: CostCenter
    source: str
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    usd: float | None = Field(default=None, ge=0)
    tiers: tuple[Tier, ...] = ()
    regions: dict[str, float] = Field(default_factory=dict)
    range: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _check_shape(self) -> Self:
        if (self.usd is None) == (not self.tiers):
            raise ValueError("expected exactly one of `usd` (flat price) or `tiers`")
        bounds = [t.up_to for t in self.tiers]
        if self.tiers and (bounds[-1] is not None or any(b is None for b in bounds[:-1])):
            raise ValueError("expected tiers with rising `up_to` and only the last one open (null)")
        finite = [b for b in bounds if b is not None]
        if finite != sorted(set(finite)):
            raise ValueError(f"expected strictly rising tier bounds, got {finite}")
        return self

    def unit_price(self, region: str | None = None) -> float:
        """Flat price, regional override first; tiered prices must use price_tiered."""
        if region in self.regions:
            return self.regions[region]
        if self.usd is None:
            raise ValueError("tiered price: use price_tiered(quantity)")
        return self.usd


class Units(BaseModel):
    """What the byte units of the prices mean: the one MB -> GB -> TB convention of reelops."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    mb_per_gb: float = Field(gt=0)
    gb_per_tb: float = Field(gt=0)
    source: str

    def gb_from_mb(self, mb: float) -> float:
        return mb / self.mb_per_gb

    def tb_from_gb(self, gb: float) -> float:
        return gb / self.gb_per_tb


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    currency: str
    as_of: str
    units: Units
    prices: dict[str, Price]

    def price(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise KeyError(f"no price {key!r} in the catalogue (known: {sorted(self.prices)})") from None

    def cost(self, key: str, quantity: float, region: str | None = None) -> float:
        """Cost of ``quantity`` units of ``key`` (tiered prices priced tier by tier)."""
        p = self.price(key)
        return price_tiered(p.tiers, quantity) if p.tiers else quantity * p.unit_price(region)


def price_tiered(tiers: tuple[Tier, ...], quantity: float) -> float:
    """Sum each tier's slice of ``quantity`` at that tier's price."""
    total, floor = 0.0, 0.0
    for tier in tiers:
        ceiling = tier.up_to if tier.up_to is not None else float("inf")
        if quantity <= floor:
            break
        total += (min(quantity, ceiling) - floor) * tier.usd
        floor = ceiling
    return total


def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    """Parse and validate a catalogue file; errors name the file and the key."""
    try:
        raw = yaml.safe_load(path.read_text())
        return Catalogue.model_validate(raw)
    except FileNotFoundError:
        raise CatalogueError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise CatalogueError(f"{path}: {key}: {err['msg'].removeprefix('Value error, ')}") from None


@cache
def default_catalogue() -> Catalogue:
    """The repository's catalogue, loaded once per process."""
    return load_catalogue()

"""Usage assumptions of the cost model (``finops/usage.yaml``), validated.

The cost model multiplies drivers (DAU, views, uploads) by these per-driver usages and prices the
result with the catalogue. SPEC section 9's measured usage at 3M DAU is kept as ``reference`` so
that the tests can prove the drivers reproduce it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from finops.validating import load_yaml_model

USAGE_FILE = Path(__file__).with_name("usage.yaml")
STORAGE_KEYS = ("s3_standard", "s3_infrequent_access", "s3_archive")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReferenceUsage(Frozen):
    """SPEC section 9: usage per month at ``dau``."""

    dau: int = Field(gt=0)
    cdn_egress_tb: float = Field(gt=0)
    app_instance_hours: float = Field(gt=0)
    gpu_spot_hours: float = Field(gt=0)
    storage_tb: float = Field(gt=0)
    caption_minutes: float = Field(gt=0)
    requests_per_day: float = Field(gt=0)


class Drivers(Frozen):
    """Usage per unit of a traffic driver."""

    app_instance_hours_per_dau: float = Field(gt=0)
    gpu_busy_fraction: float = Field(gt=0, le=1)
    caption_minutes_per_upload: float = Field(ge=0)
    storage_gb_per_dau: float = Field(ge=0)
    storage_tier_shares: dict[str, float]
    cdn_requests_per_view: float = Field(gt=0)
    serverless_invocations_per_upload: float = Field(ge=0)
    log_gb_per_million_requests: float = Field(ge=0)
    sqs_requests_per_buffered_write: float = Field(ge=0)
    sqs_requests_per_upload: float = Field(ge=0)

    @model_validator(mode="after")
    def _check_shares(self) -> Self:
        if set(self.storage_tier_shares) != set(STORAGE_KEYS):
            raise ValueError(f"storage_tier_shares needs exactly the keys {list(STORAGE_KEYS)}")
        if abs(sum(self.storage_tier_shares.values()) - 1) > 1e-6:
            raise ValueError(f"storage_tier_shares must sum to 1, got {sum(self.storage_tier_shares.values())}")
        return self


class Purchase(Frozen):
    """Purchase options the model assumes at scale (commitments)."""

    cdn_volume_commit_from_tb: float = Field(gt=0)
    reserved_compute_from_dau: int = Field(gt=0)
    gpu_price: str


class Targets(Frozen):
    """Unit-economics targets (SPEC sections 1 and 9)."""

    cost_per_dau_usd: float = Field(gt=0)
    cost_per_view_usd: float = Field(gt=0)
    cost_per_new_user_usd: float = Field(gt=0)


class UsageAssumptions(Frozen):
    source: str
    days_per_month: float = Field(gt=0, le=31)
    reference: ReferenceUsage
    drivers: Drivers
    purchase: Purchase
    diurnal_profile: tuple[float, ...] = Field(min_length=24, max_length=24)
    targets: Targets

    @model_validator(mode="after")
    def _check_profile(self) -> Self:
        if any(w < 0 for w in self.diurnal_profile) or abs(sum(self.diurnal_profile) - 1) > 1e-6:
            raise ValueError(
                f"diurnal_profile must hold 24 non-negative hourly shares summing to 1, "
                f"got sum {sum(self.diurnal_profile):.4f}"
            )
        return self


def load_usage(path: Path = USAGE_FILE) -> UsageAssumptions:
    """Parse and validate a usage-assumptions file (errors name the file and key)."""
    return load_yaml_model(path, UsageAssumptions)


@cache
def default_usage() -> UsageAssumptions:
    """The repository's usage assumptions, loaded once per process."""
    return load_usage()

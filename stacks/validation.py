"""Cross-field rules of the platform model, each failing with the config key it concerns.

Field-level checks (types, ranges, patterns) are pydantic's. The rules here need several parts of the
model at once: residency (an overflow region must be in the same jurisdiction), quotas (a pool's
maximum size must fit its region's GPU vCPU quota), and the shape of each stack kind. Every message
starts with the key path in the stack file, so the loader can say "file: key: what was expected".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stacks.model import PlatformModel

PLATFORM_KEY = "reelops:platform"


class PlatformRuleError(ValueError):
    """A rule over several keys was broken; ``key`` is the dotted config path to blame."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.detail = message


def check_platform(model: PlatformModel) -> None:
    """Raise PlatformRuleError for the first broken rule."""
    check_jurisdictions(model)
    if model.settings.kind == "jurisdiction":
        check_jurisdiction_stack(model)
    else:
        check_global_stack(model)
    check_unique_names(model)


def check_jurisdictions(model: PlatformModel) -> None:
    for name, spec in model.jurisdictions.items():
        for role, region in (("home_region", spec.home_region), ("overflow_region", spec.overflow_region)):
            key = f"reelops:jurisdictions.{name}.{role}"
            if region not in model.regions:
                raise PlatformRuleError(key, f"expected a region listed in reelops:regions, got {region!r}")
            owner = model.regions[region].jurisdiction
            if owner != name:
                raise PlatformRuleError(key, f"expected a region of jurisdiction {name}, got {region} ({owner})")
    for region_spec in model.regions.values():
        if region_spec.jurisdiction not in model.jurisdictions:
            raise PlatformRuleError(
                f"reelops:regions.{region_spec.name}.jurisdiction",
                f"expected one of {sorted(model.jurisdictions)}, got {region_spec.jurisdiction!r}",
            )


def check_jurisdiction_stack(model: PlatformModel) -> None:
    s = model.settings
    if s.jurisdiction not in model.jurisdictions:
        raise PlatformRuleError(
            f"{PLATFORM_KEY}.jurisdiction",
            f"expected one of {sorted(model.jurisdictions)}, got {s.jurisdiction!r}",
        )
    overflow = model.overflow_region
    assert overflow is not None
    owner = model.regions[overflow].jurisdiction if overflow in model.regions else None
    if owner != s.jurisdiction:
        raise PlatformRuleError(
            f"{PLATFORM_KEY}.overflow_region",
            f"expected a region of jurisdiction {s.jurisdiction} ({', '.join(model.regions_of(s.jurisdiction))}),"
            f" got {overflow!r}" + (f" which belongs to {owner}" if owner else ""),
        )
    if overflow == model.home_region:
        raise PlatformRuleError(f"{PLATFORM_KEY}.overflow_region", "expected a region other than the home region")
    for key in ("cdn", "budgets"):
        if getattr(s, key) is not None:
            raise PlatformRuleError(f"{PLATFORM_KEY}.{key}", "belongs in the global stack, not a jurisdiction stack")
    check_pools(model)


def check_pools(model: PlatformModel) -> None:
    allowed = model.allowed_regions
    vcpus_by_region: Counter[str] = Counter()
    for i, pool in enumerate(model.settings.pools):
        key = f"{PLATFORM_KEY}.pools[{i}]"
        if pool.region not in allowed:
            raise PlatformRuleError(
                f"{key}.region", f"expected one of {list(allowed)} (residency), got {pool.region!r}"
            )
        needed = pool.max_size * pool.vcpus_per_instance
        vcpus_by_region[pool.region] += needed
        quota = model.regions[pool.region].gpu_vcpu_quota
        if vcpus_by_region[pool.region] > quota:
            raise PlatformRuleError(
                f"{key}.max_size",
                f"expected at most {quota // pool.vcpus_per_instance} instances: max_size {pool.max_size} x "
                f"{pool.vcpus_per_instance} vCPUs needs {needed} vCPUs but {pool.region}'s GPU quota is {quota}"
                " (reelops:regions.<region>.gpu_vcpu_quota)",
            )


def check_global_stack(model: PlatformModel) -> None:
    s = model.settings
    if s.jurisdiction is not None:
        raise PlatformRuleError(f"{PLATFORM_KEY}.jurisdiction", "expected no jurisdiction on a global stack")
    for key in ("cdn", "budgets"):
        if getattr(s, key) is None:
            raise PlatformRuleError(f"{PLATFORM_KEY}.{key}", "expected a value: the global stack owns it")
    for key in ("pools", "tables", "buckets", "tenants"):
        if getattr(s, key):
            raise PlatformRuleError(f"{PLATFORM_KEY}.{key}", "regional data belongs in a jurisdiction stack")
    if not s.jurisdiction_stacks:
        raise PlatformRuleError(f"{PLATFORM_KEY}.jurisdiction_stacks", "expected the jurisdiction stacks to read")


def check_unique_names(model: PlatformModel) -> None:
    s = model.settings
    groups: dict[str, Iterable[str]] = {
        "pools": (p.name for p in s.pools),
        "queues": (q.name for q in s.queues),
        "tables": (t.name for t in s.tables),
        "buckets": (b.name for b in s.buckets),
        "services": (a.name for a in s.services),
        "tenants": (t.id for t in s.tenants),
    }
    for key, names in groups.items():
        dupes = [n for n, c in Counter(names).items() if c > 1]
        if dupes:
            raise PlatformRuleError(f"{PLATFORM_KEY}.{key}", f"expected unique names, {dupes} repeated")

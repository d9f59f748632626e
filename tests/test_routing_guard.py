"""The actuator-side guard refuses cross-jurisdiction records and counts every refusal."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from controllers.routing.guarding import GuardedRouterStore, guard_trips_counter
from ports.interfaces import CrossJurisdictionError
from ports.types import RouteAction, RoutingRecord

RESIDENCY = {"EU": frozenset({"eu-west-1", "eu-central-1"}), "US": frozenset({"us-east-1", "us-west-2"})}
POOLS = {"eu-west-1-gpu": "eu-west-1", "us-east-1-gpu": "us-east-1"}


class RecordingStore:
    def __init__(self) -> None:
        self.records: list[tuple[RoutingRecord, bool]] = []

    def submit(self, record: RoutingRecord, *, dry_run: bool) -> None:
        self.records.append((record, dry_run))


def record(pool: str | None, region: str, action: RouteAction = RouteAction.HOME) -> RoutingRecord:
    return RoutingRecord(job_id="j", jurisdiction="EU", pool=pool, region=region, action=action)


@pytest.fixture
def guarded() -> tuple[GuardedRouterStore, RecordingStore, CollectorRegistry]:
    registry = CollectorRegistry()
    inner = RecordingStore()
    return GuardedRouterStore(inner, RESIDENCY, POOLS, guard_trips_counter(registry)), inner, registry


ALLOWED = [
    pytest.param(record("eu-west-1-gpu", "eu-west-1"), id="home-pool"),
    pytest.param(record(None, "eu-west-1", RouteAction.CPU_FALLBACK), id="cpu-fallback-home-region"),
    pytest.param(record(None, "", RouteAction.RATE_LIMIT), id="rate-limit-nowhere"),
]
REFUSED = [
    pytest.param(record("us-east-1-gpu", "us-east-1"), id="us-pool"),
    pytest.param(record("us-east-1-gpu", "eu-west-1"), id="us-pool-disguised-as-eu-region"),
    pytest.param(record("unknown-gpu", "eu-west-1"), id="unknown-pool"),
    pytest.param(record(None, "us-west-2", RouteAction.CPU_FALLBACK), id="cpu-fallback-abroad"),
    pytest.param(record(None, "", RouteAction.CPU_FALLBACK), id="cpu-fallback-without-region"),
    pytest.param(record("eu-west-1-gpu", "eu-west-1", RouteAction.RATE_LIMIT), id="rate-limit-naming-a-pool"),
]


@pytest.mark.parametrize("rec", ALLOWED)
def test_guard_passes_records_inside_the_jurisdiction(
    guarded: tuple[GuardedRouterStore, RecordingStore, CollectorRegistry], rec: RoutingRecord
) -> None:
    store, inner, _ = guarded
    store.submit(rec, dry_run=True)
    assert inner.records == [(rec, True)]


@pytest.mark.parametrize("rec", REFUSED)
def test_guard_refuses_and_counts(
    guarded: tuple[GuardedRouterStore, RecordingStore, CollectorRegistry], rec: RoutingRecord
) -> None:
    store, inner, registry = guarded
    with pytest.raises(CrossJurisdictionError):
        store.submit(rec, dry_run=False)
    assert inner.records == []
    assert registry.get_sample_value("reelops_jurisdiction_guard_trips_total", {"jurisdiction": "EU"}) == 1.0

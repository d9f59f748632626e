"""The actuator-side jurisdiction guard: a second, independent check before any job is enqueued.

``route()`` already refuses to leave a jurisdiction; this wrapper re-checks every record against
its own residency map and pool table before handing it to any ``RouterStore`` (sandbox or SQS), so
that a bug or a hostile config in the router still cannot move an EU video out of the EU. A refusal
raises ``CrossJurisdictionError`` and counts ``reelops_jurisdiction_guard_trips_total``.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping

from prometheus_client import REGISTRY, CollectorRegistry, Counter

from ports.interfaces import CrossJurisdictionError, RouterStore
from ports.types import RouteAction, RoutingRecord

_TRIPS: weakref.WeakKeyDictionary[CollectorRegistry, Counter] = weakref.WeakKeyDictionary()


def guard_trips_counter(registry: CollectorRegistry = REGISTRY) -> Counter:
    """The ``reelops_jurisdiction_guard_trips_total`` counter of a registry (created once)."""
    if registry not in _TRIPS:
        _TRIPS[registry] = Counter(
            "reelops_jurisdiction_guard_trips",
            "Actuator refused a cross-jurisdiction action",
            ["jurisdiction"],
            registry=registry,
        )
    return _TRIPS[registry]


def check_record(
    record: RoutingRecord, residency: Mapping[str, frozenset[str]], pool_regions: Mapping[str, str]
) -> None:
    """Raise CrossJurisdictionError unless the record stays inside its jurisdiction."""
    allowed = residency.get(record.jurisdiction, frozenset())
    if record.pool is not None:
        pool_region = pool_regions.get(record.pool)
        if pool_region is None or pool_region != record.region:
            raise CrossJurisdictionError(
                f"job {record.job_id}: pool {record.pool} is in {pool_region or 'an unknown region'}, "
                f"record says {record.region}"
            )
        if record.action not in (RouteAction.HOME, RouteAction.OVERFLOW):
            raise CrossJurisdictionError(f"job {record.job_id}: action {record.action} must not name a pool")
    placed = record.action is not RouteAction.RATE_LIMIT
    if (placed or record.region) and record.region not in allowed:
        raise CrossJurisdictionError(
            f"job {record.job_id}: region {record.region or '(none)'} is outside {record.jurisdiction} "
            f"{sorted(allowed)}"
        )


def guard_record(
    record: RoutingRecord,
    residency: Mapping[str, frozenset[str]],
    pool_regions: Mapping[str, str],
    trips: Counter,
) -> None:
    """``check_record``, counting a refusal in the guard-trip counter before raising it."""
    try:
        check_record(record, residency, pool_regions)
    except CrossJurisdictionError:
        trips.labels(jurisdiction=record.jurisdiction).inc()
        raise


class GuardedRouterStore:
    """A RouterStore that refuses cross-jurisdiction records before the inner store sees them."""

    def __init__(
        self,
        inner: RouterStore,
        residency: Mapping[str, frozenset[str]],
        pool_regions: Mapping[str, str],
        trips: Counter | None = None,
    ) -> None:
        self.inner = inner
        self.residency = dict(residency)
        self.pool_regions = dict(pool_regions)
        self.trips = trips if trips is not None else guard_trips_counter()

    def submit(self, record: RoutingRecord, *, dry_run: bool) -> None:
        guard_record(record, self.residency, self.pool_regions, self.trips)
        self.inner.submit(record, dry_run=dry_run)

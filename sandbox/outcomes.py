"""The outcome counters of a run (contracts section 3), computed from the model's state.

One flat JSON object: the contract's keys first, then per-scenario extras (split of throttled writes
by kind, affected users and the money at risk, buffer depth, spend by cost centre, ...). Counts are
rounded to integers and ratios to fixed decimals so that the same seed gives byte-identical JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from sandbox.engine import Sandbox


class Outcome(BaseModel):
    """What happened in a run; ``as_dict()`` is the JSON of ``ops sandbox run --json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    scenario: str
    strategy: str
    seed: int
    model_time_s: float
    throttled_writes: int
    delayed_writes: int
    write_p99_ms: float
    lost_writes: int
    failed_starts: int
    user_perceived_failures: int
    video_start_p95_ms: float
    upload_to_live_p95_s: float
    upload_to_live_p99_s: float
    cache_hit_ratio_min: float
    origin_requests: int
    spend_usd: float
    cross_jurisdiction_routes: int
    capacity_cost_usd: float
    extras: dict[str, int | float] = Field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Flat: contract keys then extras (extras never shadow a contract key)."""
        data = self.model_dump(exclude={"extras"})
        data.update({k: v for k, v in self.extras.items() if k not in data})
        return data

    def __getitem__(self, key: str) -> Any:
        return self.as_dict()[key]


def count(x: float) -> int:
    return round(float(x))


def fixed(x: float, places: int = 3) -> float:
    return round(float(x), places)


def summarise(sb: Sandbox) -> Outcome:
    tables = sb.tables
    throttled_by_kind = tables.throttled.sum(axis=0)
    traffic = sb.spec.traffic
    perceived = float(sb.start_perceived.sum())
    affected = perceived / traffic.views_per_session
    extras: dict[str, int | float] = {
        f"throttled_{kind}_writes": count(throttled_by_kind[k]) for k, kind in enumerate(sb.kinds)
    }
    extras.update(
        affected_users=count(affected),
        direct_loss_usd=fixed(affected * traffic.revenue_per_dau_usd, 2),
        churn_loss_usd=fixed(affected * traffic.churn_after_failure * traffic.ltv_usd, 2),
        video_starts=count(sb.starts.sum()),
        stored_writes=count(tables.stored),
        max_buffer_depth=count(sb.max_buffer_depth),
        buffered_writes_pending=count(tables.queue.sum()),
        uploads=count(sb.uploads.sum()),
        upload_to_live_p50_s=fixed(sb.pools.live.quantile(0.50), 2),
        cpu_fallback_jobs=count(sum(v for (_, a), v in sb.pools.decisions.items() if a == "cpu_fallback")),
        spot_interruptions=count(sum(p.interrupted for p in sb.pools.pools)),
        jurisdiction_guard_trips=count(sb.guard_trips.sum()),
        **{f"spend_{c}_usd": fixed(v, 2) for c, v in sb.spend.by_centre.items()},
    )
    return Outcome(
        scenario=sb.scenario.name,
        strategy=sb.strategy_name,
        seed=sb.seed,
        model_time_s=fixed(sb.now, 1),
        throttled_writes=count(throttled_by_kind.sum()),
        delayed_writes=count(tables.delayed),
        write_p99_ms=fixed(tables.latency.quantile(0.99), 1),
        lost_writes=count(tables.lost.sum()),
        failed_starts=count(sb.start_failed.sum()),
        user_perceived_failures=count(perceived),
        video_start_p95_ms=fixed(sb.start_latency.quantile(0.95), 1),
        upload_to_live_p95_s=fixed(sb.pools.live.quantile(0.95), 2),
        upload_to_live_p99_s=fixed(sb.pools.live.quantile(0.99), 2),
        cache_hit_ratio_min=fixed(sb.hit_ratio_min, 4),
        origin_requests=count(sb.origin_requests.sum()),
        spend_usd=fixed(sb.spend.total(), 2),
        cross_jurisdiction_routes=int(sb.cross_jurisdiction_routes + sb.pools.cross_jurisdiction_routes),
        capacity_cost_usd=fixed(sb.spend.capacity, 2),
        extras=extras,
    )

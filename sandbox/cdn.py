"""Multi-CDN with origin shields (SPEC 4, 8 scenario 2): hit ratios, origin load, origin failure.

In steady state edges hit ``normal_hit_ratio`` and a shield absorbs ``shield_offload`` of edge misses.
Cached objects were fetched at uniformly spread times within the TTL, so when the origin becomes
unreachable the share still fresh falls linearly to zero over one TTL: the hit ratio drains and every
miss fails (the cache-miss storm). Mitigations: serve-stale keeps expired objects servable for the
incident TTL; origin-group failover moves misses to the secondary origin in the overflow region after
``origin_failover_s``, where only content younger than the replication lag is missing unless it was
pre-warmed into the shields (geo-aware warming on encode completion).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from sandbox.physics import Physics

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


class CdnResult:
    """Per user region: hit ratio, requests by where they were served, failures, latency by path."""

    hit_ratio: FloatArray
    edge_hits: FloatArray
    shield_hits: FloatArray
    shield_requests: FloatArray
    origin_requests: FloatArray
    failed: FloatArray
    origin_ms: FloatArray

    def __init__(self, n: int) -> None:
        zeros = np.zeros(n)
        self.shield_hits = self.shield_requests = self.failed = zeros


class Cdn:
    """Edges and shields per region, origins per jurisdiction (indexed by ``jurisdiction_of``)."""

    def __init__(
        self,
        jurisdiction_of: IntArray,
        jurisdictions: int,
        hit_ratio: float,
        offload: float,
        ttl_s: float,
        phys: Physics,
    ) -> None:
        self.jurisdiction_of = jurisdiction_of
        self.h0 = hit_ratio
        self.s0 = offload
        self.ttl_s = ttl_s
        self.phys = phys
        self.origin_down_since = np.full(jurisdictions, np.nan)
        self.shield = True
        self.failover = False
        self.serve_stale = False
        self.warmed = np.zeros(jurisdictions)
        self.healthy_hit = np.full(len(jurisdiction_of), hit_ratio)
        self.healthy_origin_ms = np.full(len(jurisdiction_of), phys.origin_latency_ms)
        self.went_live = np.zeros(jurisdictions)

    def record_live(self, live: FloatArray, dt: float) -> None:
        """Uploads that went live this tick per jurisdiction (decays over the replication lag)."""
        keep = math.exp(-dt / max(self.phys.replication_lag_s, 1.0))
        self.went_live = self.went_live * keep + live
        self.warmed = self.warmed * keep

    def record_warm(self, jurisdiction: int, videos: float) -> None:
        self.warmed[jurisdiction] += videos

    def warm_coverage(self) -> FloatArray:
        return np.clip(self.warmed / np.maximum(self.went_live, 1e-9), 0.0, 1.0)

    def serve(self, t: float, starts: FloatArray) -> CdnResult:
        """Deliver the first segments of ``starts`` (per second) for each user region."""
        res = CdnResult(len(starts))
        if np.isnan(self.origin_down_since).all():
            return self.serve_healthy(starts, res)
        down = ~np.isnan(self.origin_down_since[self.jurisdiction_of])
        age = np.where(down, t - np.nan_to_num(self.origin_down_since[self.jurisdiction_of]), 0.0)
        failed_over = down & self.failover & (age >= self.phys.origin_failover_s)
        draining = down & ~failed_over & (not self.serve_stale)
        fresh = np.where(draining, np.clip(1.0 - age / self.ttl_s, 0.0, 1.0), 1.0)
        res.hit_ratio = self.h0 * fresh
        shield_ratio = self.s0 * fresh if self.shield else np.zeros(len(starts))
        misses = starts * (1.0 - res.hit_ratio)
        res.edge_hits = starts - misses
        res.shield_requests = misses if self.shield else np.zeros(len(starts))
        res.shield_hits = misses * shield_ratio
        res.origin_requests = misses - res.shield_hits
        unreachable = down & ~failed_over
        missing_new = self.phys.new_content_miss_share * (1.0 - self.warm_coverage()[self.jurisdiction_of])
        res.failed = np.where(
            unreachable, res.origin_requests, np.where(failed_over, res.origin_requests * missing_new, 0.0)
        )
        res.origin_requests = np.where(unreachable, 0.0, res.origin_requests)
        extra = np.where(failed_over, self.phys.cross_region_origin_ms, 0.0)
        res.origin_ms = self.phys.origin_latency_ms + extra
        return res

    def serve_healthy(self, starts: FloatArray, res: CdnResult) -> CdnResult:
        """The common case, without the failure algebra."""
        res.hit_ratio = self.healthy_hit
        misses = starts * (1.0 - self.h0)
        res.edge_hits = starts - misses
        if self.shield:
            res.shield_requests = misses
            res.shield_hits = misses * self.s0
        res.origin_requests = misses - res.shield_hits
        res.origin_ms = self.healthy_origin_ms
        return res

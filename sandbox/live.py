"""The sandbox in scaled real time, and what the edge and admin APIs do to it (thread-safe).

A background loop keeps model time at ``speed`` x wall time (stepping as fast as needed to catch
up, calling the strategy every control interval); it does not stop at the scenario's duration (the
traffic curves go on), so that a war game holding a fault longer than the scenario still sees time
move. Edge requests are answered from the model's current state: a video start fails with the
region's current failure ratio and otherwise takes a latency drawn from the region's current latency
mix; a write is stored, buffered (202) or throttled (429) as the table would do now; an upload is
routed by the SPEC 2 rule and enqueued in the model.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ports.metrics import SignalName
from ports.types import FaultSpec
from sandbox.engine import Sandbox
from sandbox.running import Strategy
from sandbox.scenarios import Mitigations

Answer = tuple[int, dict[str, Any] | list[dict[str, Any]], dict[str, str]]
MAX_UPLOAD_MB = 500
MAX_CATCH_UP_TICKS = 2000
TICKS_PER_LOCK = 20  # requests wait at most this many ticks for the model


class RequestError(ValueError):
    """A request body the API cannot accept (-> HTTP 400)."""


class LiveSandbox:
    """A sandbox advanced against a wall clock, with the operations of contracts section 4."""

    def __init__(
        self, sb: Sandbox, strategy: Strategy, speed: float, wall: Callable[[], float] = time.monotonic
    ) -> None:
        self.sb = sb
        self.strategy = strategy
        self.speed = speed
        self.wall = wall
        self.started = wall()
        self.model_start = sb.now
        self.lock = threading.RLock()
        self.rng = random.Random(sb.seed)
        self.writes: dict[str, tuple[int, int, float] | None] = {}
        self.jobs = 0
        self.every = max(1, round(sb.scenario.control_interval_s / sb.dt))
        sb.strategy_name = strategy.name

    # --- time ----------------------------------------------------------------------------------------
    def advance(self) -> None:
        """Step until model time catches up with scaled wall time, releasing the lock between batches."""
        target = self.model_start + (self.wall() - self.started) * self.speed
        for _ in range(MAX_CATCH_UP_TICKS // TICKS_PER_LOCK):
            with self.lock:
                for _ in range(TICKS_PER_LOCK):
                    if self.sb.now + self.sb.dt > target:  # past the scenario's end, traffic goes on
                        return
                    if self.sb.tick % self.every == 0:
                        self.strategy.control(self.sb, self.sb.clock.now())
                    self.sb.step()

    def run(self, stop: threading.Event) -> None:
        pause = min(0.05, self.sb.dt / self.speed)
        while not stop.wait(pause):
            self.advance()

    # --- edge ----------------------------------------------------------------------------------------
    def video_start(self, body: Mapping[str, Any]) -> tuple[Answer, float]:
        """(answer, seconds to wait before answering)."""
        region = self.expect_region(body)
        with self.lock:
            sb = self.sb
            i = sb.region_names.index(region)
            serving, _ = sb.fleet.route(sb.now)
            if serving[i] < 0 or self.rng.random() < float(sb.last_fail_ratio[i]):
                return (503, {"error": "video start failed", "region": region}, {}), 0.0
            latency_ms = self.draw_latency(i)
            served_by = sb.region_names[int(serving[i])]
        return (200, {"latency_ms": round(latency_ms, 1), "served_by": served_by}, {}), latency_ms / 1000.0

    def draw_latency(self, i: int) -> float:
        sb, p = self.sb, self.sb.phys
        hit = float(sb.hit_ratio[i])
        shield = sb.cdn.s0 if sb.cdn.shield else 0.0
        median = float(sb.last_api_ms[i]) + p.edge_latency_ms
        u = self.rng.random()
        if u >= hit:
            median += p.shield_latency_ms if sb.cdn.shield else 0.0
            if u >= hit + (1 - hit) * shield:
                median += p.origin_latency_ms
        return median * math.exp(self.rng.gauss(0.0, p.latency_sigma))

    def upload(self, body: Mapping[str, Any]) -> Answer:
        jur = str(body.get("jurisdiction", ""))
        if jur not in self.sb.jurisdiction_names:
            raise RequestError(f"jurisdiction: expected one of {self.sb.jurisdiction_names}, got {jur!r}")
        size = body.get("size_mb")
        if not isinstance(size, int | float) or not 0 < size < MAX_UPLOAD_MB:
            raise RequestError(f"size_mb: expected a number in (0, {MAX_UPLOAD_MB}), got {size!r}")
        with self.lock:
            pools = self.sb.pools
            action, pool = pools.route(jur)
            home, _ = pools.pools_of(jur)
            if pool is None:
                depth = sum(p.depth for p in pools.pools if p.jurisdiction == jur)
                rate = (
                    sum(p.running for p in pools.pools if p.jurisdiction == jur)
                    * home.spec.videos_per_hour_per_instance
                )
                eta = depth / max(rate / 3600.0, 1e-9)
                body_out = {"error": "encode pools saturated", "queue_position": round(depth), "eta_s": round(eta)}
                return 429, body_out, {"Retry-After": str(max(1, math.ceil(eta)))}
            self.jobs += 1
            job_id = f"job-{self.jobs}"
            eta = pool.depth / max(pool.running * pool.spec.videos_per_hour_per_instance / 3600.0, 1e-9)
            pools.enqueue(pool, 1.0, self.sb.now)
            self.sb.uploads[self.sb.jurisdiction_names.index(jur)] += 1
            key = (jur, action)
            pools.decisions[key] = pools.decisions.get(key, 0.0) + 1
            eta_s = round(eta + pool.spec.pipeline_seconds, 1)
            return 202, {"job_id": job_id, "action": action, "pool": pool.spec.name, "region": pool.spec.region,
                         "eta_s": eta_s}, {}  # fmt: skip

    def write(self, body: Mapping[str, Any]) -> Answer:
        write_id = str(body.get("id", ""))
        kind = str(body.get("kind", ""))
        region = self.expect_region(body)
        if not write_id:
            raise RequestError("id: expected a non-empty string")
        if kind not in self.sb.kinds:
            raise RequestError(f"kind: expected one of {self.sb.kinds}, got {kind!r}")
        with self.lock:
            sb = self.sb
            i, k = sb.region_names.index(region), sb.kinds.index(kind)
            serving, _ = sb.fleet.route(sb.now)
            if serving[i] < 0:
                return 503, {"error": "region down", "region": region}, {}
            s = int(serving[i])
            if sb.mitigations.write_buffer:
                sb.tables.queue[s, k] += 1
                sb.tables.arrived_cum[s, k] += 1
                self.writes[write_id] = (s, k, float(sb.tables.arrived_cum[s, k]))
                return 202, {"id": write_id, "status": "buffered"}, {}
            if self.rng.random() < float(sb.tables.last_throttle_ratio[s, k]):
                sb.tables.throttled[s, k] += 1
                return 429, {"id": write_id, "status": "throttled"}, {"Retry-After": "1"}
            self.writes[write_id] = None
            return 200, {"id": write_id, "status": "stored"}, {}

    def reconcile(self, ids: list[str]) -> dict[str, Any]:
        stored = buffered = 0
        missing: list[str] = []
        with self.lock:
            for write_id in ids:
                if write_id not in self.writes:
                    missing.append(write_id)
                    continue
                where = self.writes[write_id]
                if where is None or self.sb.tables.drained_cum[where[0], where[1]] >= where[2] - 1e-6:
                    stored += 1
                else:
                    buffered += 1
        return {"stored": stored, "buffered": buffered, "missing": missing}

    def expect_region(self, body: Mapping[str, Any]) -> str:
        region = str(body.get("region", ""))
        if region not in self.sb.region_names:
            raise RequestError(f"region: expected one of {self.sb.region_names}, got {region!r}")
        return region

    # --- admin ---------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        with self.lock:
            sb = self.sb
            regions = [self.region_state(i, r) for i, r in enumerate(sb.region_names)]
            origins = {j: bool(np.isnan(sb.cdn.origin_down_since[x])) for x, j in enumerate(sb.jurisdiction_names)}
            return {
                "scenario": sb.scenario.name, "model_time": sb.clock.now(), "model_offset_s": sb.now,
                "speed": self.speed, "done": sb.done, "regions": regions,
                "pools": [p.model_dump(mode="json") for p in sb.ports.pools.describe_pools()],
                "tables": [t.model_dump(mode="json") for t in sb.ports.tables.describe_tables()],
                "cdn": {"origins_up": origins, "shield": sb.cdn.shield, "origin_failover": sb.cdn.failover,
                        "serve_stale": sb.cdn.serve_stale},
                "faults": self.faults(), "mitigations": sb.mitigations.model_dump(),
            }  # fmt: skip

    def region_state(self, i: int, region: str) -> dict[str, Any]:
        sb = self.sb
        return {
            "region": region,
            "up": bool(np.isnan(sb.fleet.down_since[i])),
            "replicas": float(sb.fleet.replicas[i]),
            "standby_replicas": float(sb.fleet.standby[i]),
            "utilisation": round(float(sb.fleet.utilisation[i]), 4),
            "cache_hit_ratio": round(float(sb.hit_ratio[i]), 4),
            "write_buffer_depth": float(sb.tables.queue[i].sum()),
        }

    def outcome(self) -> dict[str, Any]:
        with self.lock:
            return self.sb.outcome().as_dict()

    def signals(self, name: str, match: Mapping[str, str]) -> list[dict[str, Any]]:
        try:
            signal = SignalName(name)
        except ValueError:
            raise RequestError(f"signal: expected one of {[s.value for s in SignalName]}, got {name!r}") from None
        with self.lock:
            samples = self.sb.ports.metrics.read(signal, dict(match))
        return [{"labels": s.labels, "value": s.value, "timestamp": s.timestamp} for s in samples]

    def inject(self, body: Mapping[str, Any]) -> dict[str, str]:
        spec = FaultSpec.model_validate(body)
        with self.lock:
            return {"id": self.sb.faults.inject(spec)}

    def faults(self) -> list[dict[str, Any]]:
        with self.lock:
            return [f.model_dump(mode="json") for f in self.sb.faults.specs()]

    def clear(self, fault_id: str | None) -> dict[str, str]:
        with self.lock:
            if fault_id is None:
                self.sb.faults.clear_all()
            else:
                self.sb.faults.clear(fault_id)
        return {"cleared": fault_id or "all"}

    def set_mitigations(self, body: Mapping[str, Any]) -> dict[str, bool]:
        with self.lock:
            merged = Mitigations.model_validate({**self.sb.mitigations.model_dump(), **body})
            self.sb.set_mitigations(merged)
            return merged.model_dump()

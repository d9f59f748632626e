"""The sandbox: a time-stepped model of the whole platform, built from the platform model.

``Sandbox(platforms, scenario, seed)`` wires traffic, social signals, serving regions, CDN, write-path
tables, GPU pools and spend together; ``step()`` advances one tick of model time (the sandbox owns its
clock: a FakeClock that only moves when the model steps). ``ports`` holds in-process implementations
of every port, so controllers run against the sandbox exactly as against AWS. Same seed, same result.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from finops.catalogue import Catalogue, default_catalogue
from finops.usage import default_usage
from ports.clocks import FakeClock
from ports.types import BillingMode, FaultSpec
from sandbox.cdn import Cdn
from sandbox.faults import FaultBook
from sandbox.forecasts import LoadForecast, forecast_load
from sandbox.histograms import LogHistogram, RecentHistogram
from sandbox.outcomes import Outcome, summarise
from sandbox.pools import Pool, PoolFleet
from sandbox.regions import RegionFleet
from sandbox.scenarios import Mitigations, Scenario, ScenarioError
from sandbox.social import SocialStream
from sandbox.spend import SpendMeter
from sandbox.tables import TableGrid
from sandbox.traffic import Traffic
from stacks.model import PlatformModel

FloatArray = NDArray[np.float64]
HISTORY_S = 600.0


class Sandbox:
    """The platform in a box. Read ``docs/sandbox.md`` for each mechanism and its SPEC source."""

    def __init__(
        self,
        platforms: Mapping[str, PlatformModel],
        scenario: Scenario,
        seed: int = 0,
        catalogue: Catalogue | None = None,
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.phys = scenario.physics
        self.rng = np.random.default_rng(seed)
        self.fault_rng = np.random.default_rng([seed, 1])
        self.dt = scenario.tick_s
        self.ticks = int(np.ceil(scenario.duration_s / self.dt))
        self.tick = 0
        self.clock = FakeClock(scenario.start_epoch)
        self.start_epoch = scenario.start_epoch
        self.build_topology(platforms)
        self.traffic = Traffic(self.spec.traffic, self.shares, self.jshares, scenario)
        self.traffic.set_surge_regions(self.surge_mask(scenario))
        self.social = SocialStream(scenario.social, self.ticks, self.dt, self.rng)
        trigger = scenario.surge.trigger if scenario.surge is not None else None
        if trigger is not None:
            self.traffic.set_surge_start(self.social.trending_at(trigger.video_id, trigger.views_per_hour))
        self.video_region = np.asarray([self.region_index(r, "social.videos") for r in self.social.regions])
        self.build_fleet()
        self.build_tables()
        self.build_pools()
        self.build_cdn()
        self.build_counters(catalogue or default_catalogue())
        self.mitigations = scenario.mitigations
        self.set_mitigations(scenario.mitigations)
        self.faults = FaultBook(self)
        self.estimate_day_so_far()
        from sandbox.backends import SandboxPorts  # the ports read this object's state

        self.ports = SandboxPorts(self)

    # --- construction ------------------------------------------------------------------------------
    def build_topology(self, platforms: Mapping[str, PlatformModel]) -> None:
        models = list(platforms.values())
        if not models:
            raise ValueError("the sandbox needs at least one platform model")
        self.spec = models[0]
        self.global_model = next((m for m in models if m.settings.kind == "global"), None)
        self.stacks = [m for m in models if m.settings.kind == "jurisdiction"]
        self.region_names = list(self.spec.regions)
        self.jurisdiction_names = list(self.spec.jurisdictions)
        shares = np.asarray([self.spec.regions[r].traffic_share for r in self.region_names])
        self.shares = shares / shares.sum()
        self.region_jur = np.asarray(
            [self.jurisdiction_names.index(self.spec.regions[r].jurisdiction) for r in self.region_names],
            dtype=np.intp,
        )
        self.jshares = np.bincount(self.region_jur, weights=self.shares, minlength=len(self.jurisdiction_names))
        overflow = []
        for r in self.region_names:
            j = self.spec.jurisdictions[self.spec.regions[r].jurisdiction]
            overflow.append(self.region_names.index(j.overflow_region if r == j.home_region else j.home_region))
        self.overflow = np.asarray(overflow, dtype=np.intp)

    def region_index(self, name: str, key: str) -> int:
        if name not in self.region_names:
            raise ScenarioError(self.scenario.source, key, f"expected a region of {self.region_names}, got {name!r}")
        return self.region_names.index(name)

    @property
    def surge_start_s(self) -> float | None:
        """When the scenario's surge starts (model seconds): scheduled, or when its video trends."""
        return self.traffic.surge_start

    def surge_mask(self, scenario: Scenario) -> FloatArray:
        if scenario.surge is None or not scenario.surge.regions:
            return np.ones(len(self.region_names))
        mask = np.zeros(len(self.region_names))
        for r in scenario.surge.regions:
            mask[self.region_index(r, "surge.regions")] = 1.0
        return mask

    def build_fleet(self) -> None:
        t = self.spec.traffic
        self.services = {s.name: s for m in self.stacks for s in m.settings.services}
        playback = self.services.get("playback-api")
        min_r, max_r = (playback.min_replicas, playback.max_replicas) if playback else (1, 10_000)
        per_replica = t.rps_per_instance / t.api_calls_per_view
        dau = self.scenario.dau or t.dau
        peak = dau * t.views_per_dau / 86_400.0 * t.commute_peak_factor * self.shares
        need = np.ceil(peak / (per_replica * self.phys.serving_target_utilisation))
        replicas = np.clip(need, min_r, max_r)
        azs = min(len(s.azs) for s in self.spec.regions.values())
        self.fleet = RegionFleet(self.region_names, self.overflow, replicas, per_replica, azs, self.phys)
        self.other_replicas = sum(s.min_replicas for s in self.services.values() if s.name != "playback-api")
        self.service_replicas = {
            (s.name, r): float(s.min_replicas) for s in self.services.values() for r in self.region_names
        }

    def build_tables(self) -> None:
        self.kinds = list(self.phys.write_mix)
        tables = {t.name: t for m in self.stacks for t in m.settings.tables}
        self.table_names = []
        for kind in self.kinds:
            name = self.phys.write_tables.get(kind)
            if name is None or (tables and name not in tables):
                raise ScenarioError(
                    self.scenario.source, f"physics.write_tables.{kind}", f"expected a table of {sorted(tables)}"
                )
            self.table_names.append(name)
        self.table_specs = tables
        setup = self.scenario.tables
        normal = self.traffic.normal_writes()
        provisioned = np.full(normal.shape, setup.mode == BillingMode.PROVISIONED)
        queue = next((q for m in self.stacks for q in m.settings.queues if q.purpose == "write-buffer"), None)
        self.tables = TableGrid(
            self.phys,
            provisioned,
            np.ceil(normal * setup.provisioned_headroom),
            self.traffic.writes(0.0),
            setup.autoscaling,
            float(queue.double_capacity_depth) if queue else 10_000.0,
        )
        unknown = sorted(set(self.phys.hot_key_share) - set(self.kinds))
        if unknown:
            raise ScenarioError(self.scenario.source, "physics.hot_key_share", f"unknown write kinds {unknown}")
        self.tables.set_hot_keys(np.asarray([self.phys.hot_key_share.get(k, 0.0) for k in self.kinds]))
        self.reads_per_s = sum(t.reads_per_day for t in tables.values()) / 86_400.0 * self.dau_scale()

    def dau_scale(self) -> float:
        return (self.scenario.dau or self.spec.traffic.dau) / self.spec.traffic.dau

    def build_pools(self) -> None:
        pools = []
        for m in self.stacks:
            jur = m.settings.jurisdiction or ""
            for spec in m.settings.pools:
                quota = self.spec.regions[spec.region].gpu_vcpu_quota // spec.vcpus_per_instance
                pools.append(Pool(spec, jur, self.jurisdiction_names.index(jur), quota, spec.min_size))
        self.pools = PoolFleet(pools, self.jurisdiction_names, self.phys.upload_sigma, self.rng)
        self.pools.spot_hazard_per_s = self.phys.spot_interruptions_per_hour / 3600.0
        self.pool_region = {p.spec.name: self.region_names.index(p.spec.region) for p in pools}

    def build_cdn(self) -> None:
        cdn = self.global_model.settings.cdn if self.global_model else None
        hit = cdn.normal_hit_ratio if cdn else 0.95
        offload = cdn.shield_offload if cdn else 0.9
        self.default_ttl_s = float(cdn.default_ttl_s if cdn else 6000)
        self.incident_ttl_s = float(cdn.incident_ttl_s if cdn else 86_400)
        self.cdn = Cdn(self.region_jur, len(self.jurisdiction_names), hit, offload, self.default_ttl_s, self.phys)

    def build_counters(self, catalogue: Catalogue) -> None:
        n, j, v = len(self.region_names), len(self.jurisdiction_names), len(self.social.video_ids)
        self.starts = np.zeros(n)
        self.start_failed = np.zeros(n)
        self.start_perceived = np.zeros(n)
        self.origin_requests = np.zeros(n)
        self.hit_ratio = np.full(n, self.cdn.h0)
        self.hit_ratio_min = float(self.cdn.h0)
        self.mentions = np.zeros(v)
        self.video_views = np.zeros(v)
        self.uploads = np.zeros(j)
        self.guard_trips = np.zeros(j)
        self.cross_jurisdiction_routes = 0
        self.router_decisions: dict[tuple[str, str], float] = {}
        sigma = self.phys.latency_sigma
        self.start_latency = LogHistogram(n, 1.0, 1e5, sigma)
        self.start_recent = RecentHistogram(self.start_latency, 60.0)
        self.upload_recent = RecentHistogram(self.pools.live, 300.0)
        self.pools.recent = self.upload_recent
        self.live_seen = np.zeros(j)
        self.caption_jobs = 0.0
        self.delivered_views = 0.0
        self.shield_requests = 0.0
        self.buffered_writes = 0.0
        self.max_buffer_depth = 0.0
        self.client_backlog: dict[tuple[int, int], list[list[float]]] = {}
        self.strategy_name = "none"
        self.last_fail_ratio = np.zeros(n)
        self.latency_rows = np.tile(np.arange(n), 3)
        self.last_api_ms = np.full(n, self.phys.api_latency_ms)
        self.last_serving = np.arange(n)
        dau, t = self.scenario.dau or self.spec.traffic.dau, self.spec.traffic
        self.spend = SpendMeter(catalogue, default_usage(), dau * t.views_per_dau, t.avg_video_mb)
        self.spend_before = SpendMeter(catalogue, default_usage(), dau * t.views_per_dau, t.avg_video_mb)
        self.history: deque[tuple[float, FloatArray]] = deque(maxlen=int(HISTORY_S / self.dt) + 2)

    # --- switches ----------------------------------------------------------------------------------
    def set_mitigations(self, m: Mitigations) -> None:
        """Apply a set of mitigation switches now (admin API, war-game counterfactuals)."""
        self.mitigations = m
        self.fleet.set_standby(m.standby)
        self.fleet.retry_on = m.client_retry
        self.cdn.shield = m.shield
        self.cdn.failover = m.origin_failover
        self.cdn.serve_stale = m.serve_stale

    # --- time --------------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Seconds since the scenario started (model time)."""
        return self.tick * self.dt

    @property
    def done(self) -> bool:
        return self.tick >= self.ticks

    def step(self) -> None:
        """Advance the model by one tick."""
        t = self.now
        self.faults.apply_schedule(t)
        self.tables.apply_pending(t)
        self.fleet.apply_pending(t)
        if self.tick > 0 and t % 60 == 0:
            self.tables.close_minute(t, self.tables.queue.sum(axis=1))
        serving = self.step_delivery(t)
        self.step_writes(t, serving)
        self.step_encoding(t)
        self.step_social()
        self.step_spend()
        self.record_history(t)
        self.tick += 1
        self.clock.advance(self.dt)

    def run(self) -> None:
        while not self.done:
            self.step()

    # --- parts of a tick ---------------------------------------------------------------------------
    def step_delivery(self, t: float) -> NDArray[np.intp]:
        dt = self.dt
        res = self.fleet.serve(t, self.traffic.views(t))
        cdn = self.cdn.serve(t, res.api_ok)
        self.starts += res.attempted * dt
        self.start_failed += (res.failed + cdn.failed) * dt
        self.start_perceived += (res.perceived + cdn.failed) * dt
        self.origin_requests += cdn.origin_requests * dt
        self.hit_ratio = cdn.hit_ratio
        if cdn.hit_ratio is not self.cdn.healthy_hit:  # a drained cache only matters where users are
            live = res.attempted > 0
            if live.any():
                self.hit_ratio_min = min(self.hit_ratio_min, float(cdn.hit_ratio[live].min()))
        self.record_start_latency(res.api_ms, cdn.edge_hits, cdn.shield_hits, cdn.origin_requests, cdn.origin_ms)
        ok = res.api_ok - cdn.failed
        self.last_fail_ratio = (res.failed + cdn.failed) / np.maximum(res.attempted, 1e-12)
        self.last_api_ms = res.api_ms
        self.last_serving = res.serving
        self.delivered_views = float(ok.sum()) * dt
        self.shield_requests = float(cdn.shield_requests.sum()) * dt
        return res.serving

    def record_start_latency(
        self, api: FloatArray, edge: FloatArray, shield: FloatArray, origin: FloatArray, origin_ms: FloatArray
    ) -> None:
        p = self.phys
        rows = self.latency_rows
        shield_ms = p.shield_latency_ms if self.cdn.shield else 0.0
        medians = np.concatenate(
            [api + p.edge_latency_ms, api + p.edge_latency_ms + p.shield_latency_ms,
             api + p.edge_latency_ms + shield_ms + origin_ms]
        )  # fmt: skip
        counts = np.concatenate([edge, shield, origin]) * self.dt
        self.start_latency.add(rows, medians, counts)
        self.start_recent.add(self.now, rows, medians, counts)

    def step_writes(self, t: float, serving: NDArray[np.intp]) -> None:
        demand = self.traffic.writes(t)
        routed = demand
        buffered = self.mitigations.write_buffer
        if self.fleet.any_down or self.client_backlog:  # writes follow their users' serving region
            routed = np.zeros_like(demand)
            ok = serving >= 0
            np.add.at(routed, serving[ok], demand[ok])
            if buffered:  # the client keeps what it cannot send and sends it after failover: delayed
                self.hold_client_writes(t, serving, demand)
            else:  # no buffer: writes to an unreachable region are lost
                self.tables.lost += np.where(ok, 0.0, demand.sum(axis=1)) * self.dt
        self.tables.step(t, self.dt, routed, buffered)
        self.buffered_writes = float(routed.sum()) * self.dt if buffered else 0.0
        if buffered or self.tables.queue.any():
            self.max_buffer_depth = max(self.max_buffer_depth, float(self.tables.queue.sum(axis=1).max()))

    def hold_client_writes(self, t: float, serving: NDArray[np.intp], demand: FloatArray) -> None:
        """Queue unroutable writes at the client; release them, oldest first, once routable again."""
        for i in range(len(self.region_names)):
            for k in range(len(self.kinds)):
                key = (i, k)
                if serving[i] < 0:
                    self.client_backlog.setdefault(key, []).append([t + self.dt / 2, float(demand[i, k]) * self.dt])
                elif key in self.client_backlog:
                    items = self.client_backlog.pop(key)
                    self.tables.enqueue_delayed(int(serving[i]), k, items)

    def step_encoding(self, t: float) -> None:
        dt = self.dt
        arrivals = self.rng.poisson(self.traffic.uploads(t) * dt).astype(float)
        self.uploads += arrivals
        for j, n in enumerate(arrivals.tolist()):
            if n > 0:
                self.pools.accept(self.jurisdiction_names[j], n, t, self.phys.duplicate_share)
        self.pools.step_groups(t, dt)
        self.pools.step_queues(t, dt)
        new_live = self.pools.went_live - self.live_seen
        self.caption_jobs = float(new_live.sum())
        self.live_seen = self.pools.went_live.copy()
        self.cdn.record_live(new_live, dt)

    def step_social(self) -> None:
        mentions, views = self.social.at(self.tick)
        self.mentions += mentions
        self.video_views += views

    def step_spend(self) -> None:
        dt = self.dt
        s = self.spend
        s.meter_delivery(self.delivered_views, self.shield_requests)
        on_demand = ~self.tables.provisioned
        s.meter_writes(
            float(self.tables.consumed[on_demand].sum()) * dt,
            self.buffered_writes,
            self.reads_per_s * dt,
        )
        s.meter_provisioned(float(self.tables.wcu[self.tables.provisioned].sum()) * dt)
        gpu_od = sum(p.on_demand for p in self.pools.pools) * dt
        gpu_spot = sum(p.spot + p.starting_count for p in self.pools.pools) * dt
        cpu = self.pools.cpu_fallback_seconds
        self.pools.cpu_fallback_seconds = 0.0
        s.meter_gpu(gpu_od, gpu_spot, cpu)
        app = float(self.fleet.replicas.sum() + self.fleet.standby.sum()) + self.other_replicas * len(self.shares)
        s.meter_app(app * dt)
        s.meter_captions(float(self.caption_jobs))

    def estimate_day_so_far(self, step_s: float = 300.0) -> None:
        """Spend from 00:00 UTC to the scenario start at the initial capacity, for the "today" signals.

        The run's own spend (``outcome().spend_usd``) does not include it.
        """
        m = self.spend_before
        t = -(self.start_epoch % 86_400.0)
        provisioned = self.tables.provisioned
        while t < 0:
            span = min(step_s, -t)
            views, writes = float(self.traffic.views(t).sum()) * span, self.traffic.writes(t) * span
            m.meter_delivery(views, views * (1 - self.cdn.h0) if self.cdn.shield else 0.0)
            buffered = float(writes.sum()) if self.mitigations.write_buffer else 0.0
            m.meter_writes(float(writes[~provisioned].sum()), buffered, self.reads_per_s * span)
            m.meter_provisioned(float(self.tables.wcu[provisioned].sum()) * span)
            m.meter_gpu(
                sum(p.on_demand for p in self.pools.pools) * span, sum(p.spot for p in self.pools.pools) * span, 0
            )
            app = float(self.fleet.replicas.sum() + self.fleet.standby.sum()) + self.other_replicas * len(self.shares)
            m.meter_app(app * span)
            m.meter_captions(float(self.traffic.uploads(t).sum()) * span)
            t += span

    def spend_today(self) -> dict[str, float]:
        """Estimated spend since 00:00 UTC of the day the scenario started, by cost centre."""
        return {c: self.spend_before.by_centre[c] + v for c, v in self.spend.by_centre.items()}

    def record_history(self, t: float) -> None:
        snapshot = np.concatenate(
            [self.starts, self.start_perceived, self.tables.throttled.ravel(), self.mentions, self.video_views,
             np.asarray([self.spend.total()])]
        )  # fmt: skip
        self.history.append((t + self.dt, snapshot))

    # --- reading -----------------------------------------------------------------------------------
    def outcome(self) -> Outcome:
        """The outcome counters so far (contracts section 3)."""
        return summarise(self)

    def future_load(self, horizon_s: float) -> LoadForecast:
        """What the next ``horizon_s`` will bring (for the ``oracle`` strategy only)."""
        return forecast_load(self, horizon_s)

    def inject(self, fault: FaultSpec) -> str:
        return self.faults.inject(fault)

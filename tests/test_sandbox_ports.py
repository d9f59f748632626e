"""The sandbox's in-process ports behave like the real backends: types, errors, delays, refusals."""

from __future__ import annotations

import pytest

from ports.interfaces import (
    CacheWarmer,
    CrossJurisdictionError,
    DeploymentActuator,
    FaultInjector,
    MetricsSource,
    PoolActuator,
    PortError,
    RouterStore,
    TableActuator,
)
from ports.metrics import SignalName
from ports.types import FaultKind, FaultSpec, RouteAction, RoutingRecord, WarmRequest
from sandbox.engine import Sandbox
from sandbox.running import build_sandbox


@pytest.fixture
def sb() -> Sandbox:
    return build_sandbox("regional-failure", seed=5)


def steps(sb: Sandbox, seconds: float) -> None:
    for _ in range(int(seconds / sb.dt)):
        sb.step()


def test_every_port_satisfies_its_protocol(sb: Sandbox) -> None:
    p = sb.ports
    pairs = [(p.metrics, MetricsSource), (p.pools, PoolActuator), (p.tables, TableActuator),
             (p.deployments, DeploymentActuator), (p.router, RouterStore), (p.warmer, CacheWarmer),
             (p.faults, FaultInjector)]  # fmt: skip
    for impl, proto in pairs:
        assert isinstance(impl, proto), proto.__name__


@pytest.mark.parametrize("signal", list(SignalName), ids=str)
def test_every_signal_reads_with_its_contract_labels(signal: SignalName) -> None:
    from ports.metrics import SIGNALS

    sb = build_sandbox("viral-surge", seed=5)
    steps(sb, 120)
    samples = sb.ports.metrics.read(signal)
    assert samples, f"{signal} returned nothing"
    for s in samples:
        assert set(s.labels) == set(SIGNALS[signal].labels)
        assert s.timestamp == sb.clock.now()


def test_metrics_match_filters_and_reflect_load(sb: Sandbox) -> None:
    steps(sb, 120)
    [east] = sb.ports.metrics.read(SignalName.VIDEO_STARTS_PER_MIN, {"region": "us-east-1"})
    [west] = sb.ports.metrics.read(SignalName.VIDEO_STARTS_PER_MIN, {"region": "us-west-2"})
    assert east.value > west.value > 0


def test_metrics_down_fault_raises_port_error(sb: Sandbox) -> None:
    fid = sb.ports.faults.inject(FaultSpec(kind=FaultKind.METRICS_DOWN, target="*"))
    with pytest.raises(PortError):
        sb.ports.metrics.read(SignalName.CACHE_HIT_RATIO)
    sb.ports.faults.clear(fid)
    assert sb.ports.metrics.read(SignalName.CACHE_HIT_RATIO)


def test_router_refuses_cross_jurisdiction_and_counts_the_trip(sb: Sandbox) -> None:
    bad = RoutingRecord(job_id="j1", jurisdiction="EU", pool="us-east-1-gpu", region="eu-west-1",
                        action=RouteAction.OVERFLOW)  # fmt: skip
    with pytest.raises(CrossJurisdictionError):
        sb.ports.router.submit(bad, dry_run=False)
    wrong_region = bad.model_copy(update={"pool": "eu-west-1-gpu", "region": "us-east-1"})
    with pytest.raises(CrossJurisdictionError):
        sb.ports.router.submit(wrong_region, dry_run=False)
    assert sb.outcome().extras["jurisdiction_guard_trips"] == 2
    assert sb.outcome().cross_jurisdiction_routes == 0


def test_router_enqueues_inside_the_jurisdiction_and_honours_dry_run(sb: Sandbox) -> None:
    pool = sb.pools.by_name["eu-central-1-gpu"]
    rec = RoutingRecord(job_id="j2", jurisdiction="EU", pool="eu-central-1-gpu", region="eu-central-1",
                        action=RouteAction.OVERFLOW)  # fmt: skip
    sb.ports.router.submit(rec, dry_run=True)
    assert pool.depth == 0
    sb.ports.router.submit(rec, dry_run=False)
    assert pool.depth == 1


def test_warmer_refuses_a_shield_outside_the_jurisdiction(sb: Sandbox) -> None:
    with pytest.raises(CrossJurisdictionError):
        sb.ports.warmer.warm(WarmRequest(video_id="v", jurisdiction="EU", shields=("us-east-1",)), dry_run=False)
    sb.ports.warmer.warm(WarmRequest(video_id="v", jurisdiction="EU", shields=("eu-west-1",)), dry_run=False)


def test_warm_throughput_is_asynchronous_and_only_rises(sb: Sandbox) -> None:
    tables = sb.ports.tables
    [before] = tables.describe_tables("us-east-1")[:1]
    target = int(before.write_capacity_units * 10)
    tables.set_warm_throughput(before.table, "us-east-1", target, 100, dry_run=False)
    [now] = [t for t in tables.describe_tables("us-east-1") if t.table == before.table]
    assert now.write_capacity_units < target  # not yet
    steps(sb, sb.phys.warm_apply_s + sb.dt)
    [later] = [t for t in tables.describe_tables("us-east-1") if t.table == before.table]
    assert later.write_capacity_units >= target
    assert later.warm_write_units == target
    with pytest.raises(PortError, match="cannot be lowered"):
        tables.set_warm_throughput(before.table, "us-east-1", target - 1, 100, dry_run=False)


def test_provisioned_update_takes_time_and_refuses_a_second_update(sb: Sandbox) -> None:
    tables = sb.ports.tables
    tables.set_provisioned_capacity("progress", "eu-west-1", 5000, 0, dry_run=False)
    with pytest.raises(PortError, match="in progress"):
        tables.set_provisioned_capacity("progress", "eu-west-1", 6000, 0, dry_run=False)
    steps(sb, sb.phys.table_update_s + sb.dt)
    [t] = [t for t in tables.describe_tables("eu-west-1") if t.table == "progress"]
    assert t.write_capacity_units == 5000


def test_pool_respects_quota_and_start_up_delay(sb: Sandbox) -> None:
    pools = sb.ports.pools
    [eu] = [p for p in pools.describe_pools("EU") if p.pool == "eu-west-1-gpu"]
    pools.set_desired_capacity("eu-west-1-gpu", eu.max_size, dry_run=False)
    steps(sb, sb.dt)
    [eu] = [p for p in pools.describe_pools("EU") if p.pool == "eu-west-1-gpu"]
    assert eu.running + eu.starting <= eu.quota_instances
    assert eu.starting > 0
    steps(sb, sb.pools.by_name["eu-west-1-gpu"].spec.startup_seconds)
    [eu] = [p for p in pools.describe_pools("EU") if p.pool == "eu-west-1-gpu"]
    assert eu.starting == 0 and eu.running == min(eu.max_size, eu.quota_instances)
    with pytest.raises(PortError):
        pools.set_desired_capacity("eu-west-1-gpu", eu.max_size + 1, dry_run=False)


def test_spot_interruption_requeues_and_the_group_relaunches(sb: Sandbox) -> None:
    pool = sb.pools.by_name["us-east-1-gpu"]
    sb.ports.pools.set_desired_capacity("us-east-1-gpu", 30, dry_run=False)
    steps(sb, 200)
    spot_before = pool.spot
    assert spot_before > 0
    sb.ports.faults.inject(FaultSpec(kind=FaultKind.SPOT_INTERRUPTION, target="us-east-1-gpu", severity=1.0))
    assert pool.spot == 0 and pool.starting_count == 0
    steps(sb, sb.dt)
    assert pool.starting_count == spot_before


def test_api_throttle_fault_makes_actuators_fail(sb: Sandbox) -> None:
    sb.ports.faults.inject(FaultSpec(kind=FaultKind.API_THROTTLE, target="pools", severity=1.0))
    with pytest.raises(PortError):
        sb.ports.pools.describe_pools()
    assert sb.ports.tables.describe_tables()


def test_deployments_scale_the_fleet_after_a_delay(sb: Sandbox) -> None:
    d = sb.ports.deployments
    before = d.get_replicas("playback-api", "us-west-2")
    d.set_replicas("playback-api", "us-west-2", before + 4, dry_run=False)
    assert d.get_replicas("playback-api", "us-west-2") == before + 4
    assert sb.fleet.replicas[sb.region_names.index("us-west-2")] == before
    steps(sb, sb.phys.replica_start_s + sb.dt)
    assert sb.fleet.replicas[sb.region_names.index("us-west-2")] == before + 4
    with pytest.raises(PortError):
        d.get_replicas("playback-api", "mars-north-1")


def test_faults_listed_and_cleared(sb: Sandbox) -> None:
    fid = sb.ports.faults.inject(FaultSpec(kind=FaultKind.ORIGIN_DOWN, target="EU"))
    assert [f.id for f in sb.ports.faults.active_faults()] == [fid]
    sb.ports.faults.clear(fid)
    assert not sb.ports.faults.active_faults()
    with pytest.raises(PortError):
        sb.ports.faults.inject(FaultSpec(kind=FaultKind.AZ_DOWN, target="atlantis-1a"))

"""Kubernetes adapter through the real `kubernetes` client against the loopback API (tests/kube_api.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from controllers.adapters.kube import KubeDeployments, KubeLease, api_client
from controllers.runtime.auditing import Outcome
from controllers.runtime.leasing import LeaseGate
from controllers.runtime.running import Runner
from ports.clocks import FakeClock
from ports.interfaces import DeploymentActuator, PortError
from tests.conftest import free_port
from tests.kube_api import ApiState, start_api
from tests.test_runtime import Capacity, FollowDemand


@pytest.fixture
def kube() -> Iterator[tuple[str, ApiState]]:
    server, state = start_api(free_port())
    state.deployments[("reelops", "playback-api")] = 3
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def deployments(url: str, timeout_s: float = 2.0) -> KubeDeployments:
    return KubeDeployments({"eu-west-1": api_client(url)}, timeout_s=timeout_s)


def test_reads_and_sets_replicas_through_the_scale_subresource(kube: tuple[str, ApiState]) -> None:
    url, state = kube
    actuator = deployments(url)
    assert isinstance(actuator, DeploymentActuator)
    assert actuator.get_replicas("playback-api", "eu-west-1") == 3
    actuator.set_replicas("playback-api", "eu-west-1", 12, dry_run=False)
    assert state.deployments[("reelops", "playback-api")] == 12
    assert ("PATCH", "/apis/apps/v1/namespaces/reelops/deployments/playback-api/scale") in state.requests


def test_dry_run_is_the_servers_dry_run(kube: tuple[str, ApiState]) -> None:
    url, state = kube
    deployments(url).set_replicas("playback-api", "eu-west-1", 30, dry_run=True)
    assert state.deployments[("reelops", "playback-api")] == 3
    assert any("dryRun=All" in path for method, path in state.requests if method == "PATCH")


@pytest.mark.parametrize("status", [429, 500, 403, 404], ids=["throttled", "server-error", "forbidden", "missing"])
def test_api_faults_are_port_errors(kube: tuple[str, ApiState], status: int) -> None:
    url, state = kube
    state.faults.append(status)
    with pytest.raises(PortError, match=f"HTTP {status}"):
        deployments(url).get_replicas("playback-api", "eu-west-1")


def test_timeouts_and_unknown_regions_are_port_errors(kube: tuple[str, ApiState]) -> None:
    url, state = kube
    state.delay_s = 1.0
    with pytest.raises(PortError, match=r"scale reelops/playback-api"):
        deployments(url, timeout_s=0.2).set_replicas("playback-api", "eu-west-1", 5, dry_run=False)
    with pytest.raises(PortError, match="no Kubernetes cluster"):
        deployments(url).get_replicas("playback-api", "us-east-1")


def test_connection_refused_is_a_port_error() -> None:
    with pytest.raises(PortError):
        deployments(f"http://127.0.0.1:{free_port()}").get_replicas("playback-api", "eu-west-1")


def test_one_replica_holds_the_lease_until_it_expires(kube: tuple[str, ApiState], clock: FakeClock) -> None:
    url, state = kube
    a = KubeLease(api_client(url), name="reelops-controllers", identity="pod-a", duration_s=15)
    b = KubeLease(api_client(url), name="reelops-controllers", identity="pod-b", duration_s=15)
    assert isinstance(a, LeaseGate)
    assert a.try_acquire(clock.now()) is True
    assert b.try_acquire(clock.now()) is False
    clock.advance(10)
    assert a.try_acquire(clock.now()) is True, "the holder renews"
    clock.advance(10)
    assert b.try_acquire(clock.now()) is False, "renewed 10 s ago, lease 15 s: still a's"
    clock.advance(20)
    assert b.try_acquire(clock.now()) is True, "a stopped renewing: b takes over"
    lease = state.leases[("reelops", "reelops-controllers")]
    assert lease["spec"]["holderIdentity"] == "pod-b" and lease["spec"]["leaseTransitions"] == 1
    assert a.try_acquire(clock.now()) is False


def test_a_stale_write_loses_the_race(kube: tuple[str, ApiState], clock: FakeClock) -> None:
    """b read the lease, then a renewed it: b's write carries a stale resourceVersion and gets 409."""
    from kubernetes import client

    url, _ = kube
    a = KubeLease(api_client(url), name="l", identity="pod-a", duration_s=15)
    b = KubeLease(api_client(url), name="l", identity="pod-b", duration_s=15)
    assert a.try_acquire(clock.now())
    clock.advance(60)  # a's lease expired...
    stale = client.CoordinationV1Api(api_client(url)).read_namespaced_lease("l", "reelops")
    assert a.try_acquire(clock.now()), "...but a renews first"
    assert b._take_over(stale, clock.now()) is False
    with pytest.raises(PortError, match="HTTP 500"):
        b._write(lambda: (_ for _ in ()).throw(client.exceptions.ApiException(status=500)))


def test_runner_acts_only_while_holding_the_lease(kube: tuple[str, ApiState], clock: FakeClock) -> None:
    url, state = kube
    other = KubeLease(api_client(url), name="ctl", identity="pod-other")
    assert other.try_acquire(clock.now())
    ports = Capacity(demand=4)
    mine = KubeLease(api_client(url), name="ctl", identity="pod-mine", duration_s=15)
    runner = Runner([FollowDemand()], ports, clock=clock, interval_s=15, dry_run=False, lease=mine)
    assert runner.reconcile_once()[0].outcome is Outcome.STANDBY and ports.setting == 0
    clock.advance(30)
    assert runner.reconcile_once()[0].outcome is Outcome.APPLIED and ports.setting == 4
    state.faults.append(503)
    clock.advance(15)
    assert runner.reconcile_once()[0].outcome is Outcome.STANDBY, "lease API down: do not act"

"""Kubernetes backends: Deployment replicas through the scale subresource, and Lease leader election.

``KubeDeployments`` implements ``ports.interfaces.DeploymentActuator`` over one API client per
region (one EKS cluster per region); dry-run is the API server's own (``dryRun=All``): the request is
validated but nothing is persisted. ``KubeLease`` implements the runtime's ``LeaseGate`` with a
``coordination.k8s.io/v1`` Lease: a replica acts only while it holds an unexpired lease, and takes
over an expired one with optimistic concurrency (a 409 means another replica won). Any API fault
(HTTP error, timeout, connection refused) becomes :class:`PortError`; no retries here, the runner's
next reconcile is the retry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from ports.interfaces import PortError

T = TypeVar("T")
NAMESPACE = "reelops"


def api_client(host: str, *, token: str | None = None, verify_ssl: bool = True) -> client.ApiClient:
    """An API client for one cluster; no client-side retries."""
    config = client.Configuration(host=host)
    config.verify_ssl = verify_ssl
    config.retries = 0
    if token:
        config.api_key = {"authorization": token}
        config.api_key_prefix = {"authorization": "Bearer"}
    return client.ApiClient(config)


def call(what: str, fn: Callable[[], T]) -> T:
    """Run one API call; every failure becomes PortError naming what was attempted."""
    try:
        return fn()
    except ApiException as exc:
        raise PortError(f"kubernetes {what}: HTTP {exc.status} {exc.reason}") from None
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        raise PortError(f"kubernetes {what}: {type(exc).__name__}: {exc}") from None


class KubeDeployments:
    """Replicas of the app Deployments, one cluster per region."""

    def __init__(self, clients: Mapping[str, client.ApiClient], *, namespace: str = NAMESPACE, timeout_s: float = 5.0):
        self._apps = {region: client.AppsV1Api(c) for region, c in clients.items()}
        self.namespace = namespace
        self.timeout_s = timeout_s

    def _api(self, region: str) -> client.AppsV1Api:
        if region not in self._apps:
            raise PortError(f"no Kubernetes cluster configured for region {region}")
        return self._apps[region]

    def get_replicas(self, service: str, region: str) -> int:
        api = self._api(region)
        scale = call(
            f"read scale of {self.namespace}/{service} in {region}",
            lambda: api.read_namespaced_deployment_scale(service, self.namespace, _request_timeout=self.timeout_s),
        )
        replicas = scale.spec.replicas if scale.spec is not None else None
        if replicas is None or replicas < 0:
            raise PortError(f"kubernetes scale of {service} in {region} has no valid spec.replicas: {replicas!r}")
        return int(replicas)

    def set_replicas(self, service: str, region: str, replicas: int, *, dry_run: bool) -> None:
        if replicas < 0:
            raise PortError(f"refusing to set {service} in {region} to {replicas} replicas")
        api = self._api(region)
        call(
            f"scale {self.namespace}/{service} in {region} to {replicas}",
            lambda: api.patch_namespaced_deployment_scale(
                service,
                self.namespace,
                {"spec": {"replicas": replicas}},
                dry_run="All" if dry_run else None,
                _request_timeout=self.timeout_s,
            ),
        )


def to_time(now: float) -> datetime:
    return datetime.fromtimestamp(now, tz=UTC)


class KubeLease:
    """Leader election on a coordination.k8s.io Lease (the runner's LeaseGate)."""

    def __init__(
        self,
        api: client.ApiClient,
        *,
        name: str,
        identity: str,
        namespace: str = NAMESPACE,
        duration_s: int = 15,
        timeout_s: float = 5.0,
    ) -> None:
        self._api = client.CoordinationV1Api(api)
        self.name, self.identity, self.namespace = name, identity, namespace
        self.duration_s, self.timeout_s = duration_s, timeout_s

    def try_acquire(self, now: float) -> bool:
        try:
            lease = self._api.read_namespaced_lease(self.name, self.namespace, _request_timeout=self.timeout_s)
        except ApiException as exc:
            if exc.status == 404:
                return self._create(now)
            raise PortError(f"kubernetes read lease {self.namespace}/{self.name}: HTTP {exc.status}") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise PortError(f"kubernetes read lease {self.namespace}/{self.name}: {exc}") from None
        return self._take_over(lease, now)

    def held_by_other(self, lease: client.V1Lease, now: float) -> bool:
        spec = lease.spec or client.V1LeaseSpec()
        if spec.holder_identity in (None, "", self.identity) or spec.renew_time is None:
            return False
        return spec.renew_time.timestamp() + (spec.lease_duration_seconds or self.duration_s) > now

    def _take_over(self, lease: client.V1Lease, now: float) -> bool:
        if self.held_by_other(lease, now):
            return False
        spec = lease.spec or client.V1LeaseSpec()
        ours = spec.holder_identity == self.identity
        lease.spec = client.V1LeaseSpec(
            holder_identity=self.identity,
            lease_duration_seconds=self.duration_s,
            acquire_time=spec.acquire_time if ours else to_time(now),
            renew_time=to_time(now),
            lease_transitions=(spec.lease_transitions or 0) + (0 if ours else 1),
        )
        return self._write(
            lambda: self._api.replace_namespaced_lease(
                self.name, self.namespace, lease, _request_timeout=self.timeout_s
            )
        )

    def _create(self, now: float) -> bool:
        body = client.V1Lease(
            metadata=client.V1ObjectMeta(name=self.name, namespace=self.namespace),
            spec=client.V1LeaseSpec(
                holder_identity=self.identity,
                lease_duration_seconds=self.duration_s,
                acquire_time=to_time(now),
                renew_time=to_time(now),
                lease_transitions=0,
            ),
        )
        return self._write(
            lambda: self._api.create_namespaced_lease(self.namespace, body, _request_timeout=self.timeout_s)
        )

    def _write(self, fn: Callable[[], object]) -> bool:
        """True when the write went through; False when another replica got there first (409)."""
        try:
            fn()
        except ApiException as exc:
            if exc.status == 409:
                return False
            raise PortError(f"kubernetes write lease {self.namespace}/{self.name}: HTTP {exc.status}") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise PortError(f"kubernetes write lease {self.namespace}/{self.name}: {exc}") from None
        return True

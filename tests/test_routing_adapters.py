"""SQS RouterStore over HTTP against moto's server, and the Router controller on the sandbox."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from prometheus_client import CollectorRegistry

from controllers.adapters.aws import AwsClients
from controllers.routing.adapters import SqsRouterStore
from controllers.routing.guarding import guard_trips_counter
from controllers.routing.models import EncodeJob, RouterConfig
from controllers.routing.routing import Router
from ports.interfaces import CrossJurisdictionError, PortError
from ports.types import RouteAction, RoutingRecord
from sandbox.running import build_sandbox
from stacks.loading import load_prod_platforms

CONFIG = RouterConfig.from_platforms(load_prod_platforms().values())
FAST = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1, "mode": "standard"})
POOLS = {"eu-west-1-gpu": ("eu-west-1", "eu-west-1-gpu-encode"), "us-east-1-gpu": ("us-east-1", "us-east-1-gpu-encode")}
CPU = {"eu-west-1": "eu-west-1-cpu-encode"}


def queues(endpoint: str) -> dict[str, str]:
    urls = {}
    for region, name in [*POOLS.values(), *((r, q) for r, q in CPU.items())]:
        sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
        urls[name] = sqs.create_queue(QueueName=name)["QueueUrl"]
    return urls


def messages(endpoint: str, region: str, url: str) -> list[dict[str, object]]:
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in got]


def store(endpoint: str, registry: CollectorRegistry) -> SqsRouterStore:
    return SqsRouterStore(
        CONFIG.residency, POOLS, CPU, AwsClients({"*": endpoint}, FAST), guard_trips_counter(registry)
    )


def record(pool: str | None, region: str, action: RouteAction) -> RoutingRecord:
    return RoutingRecord(job_id="j1", jurisdiction="EU", pool=pool, region=region, action=action)


def test_jobs_land_on_the_pool_queue_in_its_region(moto_reset: str) -> None:
    urls, registry = queues(moto_reset), CollectorRegistry()
    routed = store(moto_reset, registry)
    routed.submit(record("eu-west-1-gpu", "eu-west-1", RouteAction.HOME), dry_run=True)
    assert messages(moto_reset, "eu-west-1", urls["eu-west-1-gpu-encode"]) == []
    routed.submit(record("eu-west-1-gpu", "eu-west-1", RouteAction.HOME), dry_run=False)
    routed.submit(record(None, "eu-west-1", RouteAction.CPU_FALLBACK), dry_run=False)
    routed.submit(record(None, "", RouteAction.RATE_LIMIT), dry_run=False)
    (home,) = messages(moto_reset, "eu-west-1", urls["eu-west-1-gpu-encode"])
    (cpu,) = messages(moto_reset, "eu-west-1", urls["eu-west-1-cpu-encode"])
    assert (home["pool"], home["action"], cpu["action"]) == ("eu-west-1-gpu", "home", "cpu_fallback")


def test_an_eu_job_is_never_sent_to_a_us_queue(moto_reset: str) -> None:
    urls, registry = queues(moto_reset), CollectorRegistry()
    with pytest.raises(CrossJurisdictionError):
        store(moto_reset, registry).submit(record("us-east-1-gpu", "us-east-1", RouteAction.HOME), dry_run=False)
    assert messages(moto_reset, "us-east-1", urls["us-east-1-gpu-encode"]) == []
    assert registry.get_sample_value("reelops_jurisdiction_guard_trips_total", {"jurisdiction": "EU"}) == 1.0


def test_missing_queue_is_a_port_error(moto_reset: str) -> None:
    with pytest.raises(PortError, match="SQS queue"):
        store(moto_reset, CollectorRegistry()).submit(record("eu-west-1-gpu", "eu-west-1", RouteAction.HOME),
                                                     dry_run=False)  # fmt: skip


def test_router_controller_routes_pending_jobs_through_the_sandbox_store() -> None:
    sandbox = build_sandbox("normal-day")
    jobs = [EncodeJob(job_id=f"j{i}", jurisdiction=j) for i, j in enumerate(["EU", "US", "APAC"])]
    router = Router(CONFIG, pending=lambda: jobs)
    decision = router.decide(router.observe(sandbox.ports, sandbox.now), sandbox.now)
    assert [(r.jurisdiction, r.action) for r in decision.records] == [
        ("EU", RouteAction.HOME), ("US", RouteAction.HOME), ("APAC", RouteAction.HOME)
    ]  # fmt: skip
    before = sandbox.pools.by_name["eu-west-1-gpu"].depth
    router.apply(decision, sandbox.ports, dry_run=True)
    assert sandbox.pools.by_name["eu-west-1-gpu"].depth == before
    router.apply(decision, sandbox.ports, dry_run=False)
    assert sandbox.pools.by_name["eu-west-1-gpu"].depth == before + 1

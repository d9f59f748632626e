"""CloudFront warming adapter: distribution and Origin Shield config from moto's server over HTTP,
warm GETs against a loopback endpoint standing in for the shields' edges.

moto models CloudFront's control plane only (distributions, origins with Origin Shield): it has no
edge or cache, so whether a shield really holds the object afterwards is not testable here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from controllers.adapters.aws import AwsClients
from controllers.cache_warming.adapters import DEFAULT_RENDITIONS, EDGE, WARM_HEADER, CloudFrontWarmer
from ports.interfaces import CrossJurisdictionError, PortError
from ports.types import WarmRequest
from tests.loopback import QuietHandler, serve

FAST = Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1, "mode": "standard"})


def origin(name: str, shield: str) -> dict[str, Any]:
    return {
        "Id": name,
        "DomainName": f"{name}.s3.{shield}.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        "OriginShield": {"Enabled": True, "OriginShieldRegion": shield},
    }


def make_distribution(endpoint: str, enabled: bool = True) -> str:
    cloudfront = boto3.client("cloudfront", region_name="us-east-1", endpoint_url=endpoint)
    origins = [origin("eu-home", "eu-west-1"), origin("eu-overflow", "eu-central-1")]
    config = {
        "CallerReference": "reelops-eu",
        "Comment": "EU renditions",
        "Enabled": enabled,
        "Origins": {"Quantity": len(origins), "Items": origins},
        "DefaultCacheBehavior": {
            "TargetOriginId": "eu-home",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
        },
    }
    return str(cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"])


class EdgeHandler(QuietHandler):
    status = 200
    seen: list[tuple[str, str]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get(WARM_HEADER, "")))
        self.reply(self.status, b"ok")


@pytest.fixture
def edge() -> Iterator[tuple[str, type[EdgeHandler]]]:
    handler = type("Handler", (EdgeHandler,), {"seen": [], "status": 200})
    with serve(handler) as url:
        yield url, handler


def warmer(endpoint: str, distribution: str, edge_url: str) -> CloudFrontWarmer:
    endpoints = {"eu-west-1": f"{edge_url}/via-eu-west-1", "eu-central-1": f"{edge_url}/via-eu-central-1",
                 EDGE: f"{edge_url}/edge"}  # fmt: skip
    return CloudFrontWarmer(distribution, AwsClients({"*": endpoint}, FAST), endpoints, timeout_s=2)


def request(*shields: str, global_push: bool = False) -> WarmRequest:
    return WarmRequest(video_id="v1", jurisdiction="EU", shields=shields, global_push=global_push)


def test_warms_each_rendition_through_each_requested_shield(
    moto_reset: str, edge: tuple[str, type[EdgeHandler]]
) -> None:
    url, handler = edge
    warm = warmer(moto_reset, make_distribution(moto_reset), url)
    warm.warm(request("eu-west-1"), dry_run=True)
    assert handler.seen == []
    warm.warm(request("eu-west-1", "eu-central-1"), dry_run=False)
    expected = [(f"/via-{s}/v1/{r}", s) for s in ("eu-west-1", "eu-central-1") for r in DEFAULT_RENDITIONS]
    assert handler.seen == expected


def test_global_push_also_requests_from_the_edge(moto_reset: str, edge: tuple[str, type[EdgeHandler]]) -> None:
    url, handler = edge
    warmer(moto_reset, make_distribution(moto_reset), url).warm(request("eu-west-1", global_push=True), dry_run=False)
    assert {shield for _, shield in handler.seen} == {"eu-west-1", EDGE}


def test_refuses_a_shield_the_distribution_does_not_have(moto_reset: str, edge: tuple[str, type[EdgeHandler]]) -> None:
    url, handler = edge
    with pytest.raises(CrossJurisdictionError, match="us-east-1"):
        warmer(moto_reset, make_distribution(moto_reset), url).warm(request("us-east-1"), dry_run=False)
    assert handler.seen == []


@pytest.mark.parametrize("fault", ["unknown-distribution", "disabled", "edge-503"])
def test_faults_are_port_errors(moto_reset: str, edge: tuple[str, type[EdgeHandler]], fault: str) -> None:
    url, handler = edge
    distribution = make_distribution(moto_reset, enabled=fault != "disabled")
    if fault == "unknown-distribution":
        distribution = "E000000000000"
    handler.status = 503 if fault == "edge-503" else 200
    with pytest.raises(PortError):
        warmer(moto_reset, distribution, url).warm(request("eu-west-1"), dry_run=False)

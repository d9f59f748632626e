"""Cache warming on AWS: CloudFront with Origin Shield, as a ``CacheWarmer``.

Control plane (boto3): ``GetDistribution`` gives the distribution's domain, whether it is enabled,
and the Origin Shield region of each origin: a request may only name shields the distribution
really has (anything else is refused with ``CrossJurisdictionError``, the residency policy's second
line). Data plane: warming is an HTTP GET of each rendition through each shield's warm endpoint
(a request sent from that region reaches its edge and fills the shield on the way); a global push
also requests the renditions from the distribution's own domain (``edge``). Faults (throttling,
timeouts, non-2xx answers, malformed distributions) are ``PortError``; dry-run sends nothing.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from controllers.adapters.aws import AwsClients, port_errors
from ports.interfaces import CrossJurisdictionError, PortError
from ports.types import WarmRequest

WARM_HEADER = "X-Reelops-Warm-Shield"
EDGE = "edge"
DEFAULT_RENDITIONS = ("master.m3u8", "1080p/index.m3u8", "720p/index.m3u8", "480p/index.m3u8", "360p/index.m3u8")


class CloudFrontWarmer:
    """``CacheWarmer`` over one CloudFront distribution (its origins' shields) and warm endpoints."""

    def __init__(
        self,
        distribution_id: str,
        clients: AwsClients | None = None,
        endpoints: Mapping[str, str] | None = None,
        renditions: Sequence[str] = DEFAULT_RENDITIONS,
        timeout_s: float = 5.0,
    ) -> None:
        self.distribution_id = distribution_id
        self.clients = clients or AwsClients()
        self.endpoints = dict(endpoints or {})
        self.renditions = tuple(renditions)
        self.timeout_s = timeout_s

    def describe(self) -> tuple[str, frozenset[str]]:
        """(domain, shield regions) of the distribution; PortError when it cannot serve."""
        cloudfront = self.clients.client("cloudfront", "us-east-1")
        with port_errors(f"CloudFront distribution {self.distribution_id}"):
            dist: dict[str, Any] = cloudfront.get_distribution(Id=self.distribution_id)["Distribution"]
            config = dist["DistributionConfig"]
            if not config["Enabled"]:
                raise PortError(f"CloudFront distribution {self.distribution_id} is disabled")
            shields = frozenset(
                o["OriginShield"]["OriginShieldRegion"]
                for o in config["Origins"]["Items"]
                if o.get("OriginShield", {}).get("Enabled")
            )
            return str(dist["DomainName"]), shields

    def warm(self, request: WarmRequest, *, dry_run: bool) -> None:
        domain, shields = self.describe()
        outside = [s for s in request.shields if s not in shields]
        if outside:
            raise CrossJurisdictionError(
                f"video {request.video_id}: {outside} are not origin shields of {self.distribution_id} "
                f"({sorted(shields)}); refusing to warm"
            )
        targets = [(s, self.endpoints.get(s, f"https://{domain}")) for s in request.shields]
        if request.global_push:
            targets.append((EDGE, self.endpoints.get(EDGE, f"https://{domain}")))
        if dry_run:
            return
        for shield, base in targets:
            for path in self.renditions:
                self.fetch(f"{base.rstrip('/')}/{request.video_id}/{path}", shield)

    def fetch(self, url: str, shield: str) -> None:
        req = urllib.request.Request(url, headers={WARM_HEADER: shield})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as answer:
                answer.read()
        except urllib.error.HTTPError as exc:
            raise PortError(f"warm {url} via {shield}: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise PortError(f"warm {url} via {shield}: {exc}") from exc

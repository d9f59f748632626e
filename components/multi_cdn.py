"""MultiCdn: CloudFront with a failover origin group per jurisdiction, behind DNS with a second CDN.

SPEC section 4: edge -> regional Origin Shield -> origin. Each jurisdiction's origin group has its
primary origin in the home region and its secondary in the overflow region, failing over on the
configured status codes; content is served under ``/<jurisdiction>/`` so a request never reaches
another jurisdiction's bucket. The cache policy takes its TTLs from config, HTTP/3 is on, and
Route 53 weights traffic across CloudFront and the second CDN, each behind a health check, so an
unhealthy CDN drops out of DNS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.tagging import cost_tags
from stacks.model import CdnSpec

COST_CENTER = "cdn"
DNS_TTL_S = 60
HEALTH_CHECK_INTERVAL_S = 10  # 10 s x threshold 2: DNS failover well inside SPEC 8's 30 s
HEALTH_CHECK_FAILURES = 2
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
CACHED_METHODS = ["GET", "HEAD"]


@dataclass(frozen=True)
class JurisdictionOrigin:
    """One jurisdiction's origins, as read from its stack (values may be Outputs)."""

    jurisdiction: pulumi.Input[str]
    primary_domain: pulumi.Input[str]
    secondary_domain: pulumi.Input[str]
    primary_shield_region: pulumi.Input[str]
    secondary_shield_region: pulumi.Input[str]


@dataclass(frozen=True)
class MultiCdnArgs:
    cdn: CdnSpec
    origins: Sequence[JurisdictionOrigin]


def origin_id(jurisdiction: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    return pulumi.Output.from_input(jurisdiction).apply(lambda j: f"{j.lower()}-{role}")


class MultiCdn(pulumi.ComponentResource):
    """CloudFront distribution + origin groups + cache policy + certificate + health-checked DNS."""

    distribution_id: pulumi.Output[str]
    domain_name: pulumi.Output[str]

    def __init__(self, name: str, args: MultiCdnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("reelops:cdn:MultiCdn", name, None, opts)
        self.name, self.args = name, args
        self.child = pulumi.ResourceOptions(parent=self)
        self.tags = cost_tags(COST_CENTER)
        zone = aws.route53.get_zone_output(
            name=args.cdn.hosted_zone, private_zone=False, opts=pulumi.InvokeOptions(parent=self)
        )
        certificate = self.make_certificate(zone.zone_id)
        distribution = self.make_distribution(certificate)
        self.make_dns(zone.zone_id, distribution)
        self.distribution_id, self.domain_name = distribution.id, distribution.domain_name
        self.register_outputs({"distribution_id": distribution.id, "domain_name": distribution.domain_name})

    def make_certificate(self, zone_id: pulumi.Output[str]) -> aws.acm.CertificateValidation:
        cert = aws.acm.Certificate(
            f"{self.name}-cert",
            domain_name=self.args.cdn.domain,
            validation_method="DNS",
            tags=self.tags,
            opts=self.child,
        )
        option = cert.domain_validation_options[0]
        record = aws.route53.Record(
            f"{self.name}-cert-validation",
            zone_id=zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=DNS_TTL_S,
            opts=self.child,
        )
        return aws.acm.CertificateValidation(
            f"{self.name}-cert-ready", certificate_arn=cert.arn, validation_record_fqdns=[record.fqdn], opts=self.child
        )

    def make_cache_policy(self) -> aws.cloudfront.CachePolicy:
        cdn = self.args.cdn
        none = {
            "cookies_config": {"cookie_behavior": "none"},
            "headers_config": {"header_behavior": "none"},
            "query_strings_config": {"query_string_behavior": "none"},
            "enable_accept_encoding_gzip": True,
            "enable_accept_encoding_brotli": True,
        }
        return aws.cloudfront.CachePolicy(
            f"{self.name}-video-cache",
            min_ttl=0,
            default_ttl=cdn.default_ttl_s,
            max_ttl=max(cdn.max_ttl_s, cdn.incident_ttl_s),
            parameters_in_cache_key_and_forwarded_to_origin=none,
            comment="video segments: default TTL per SPEC 4; max TTL allows serving stale during origin incidents",
            opts=self.child,
        )

    def make_origins(
        self, access: aws.cloudfront.OriginAccessControl
    ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        origins: list[dict[str, object]] = []
        groups: list[dict[str, object]] = []
        for o in self.args.origins:
            for role, domain, shield in (
                ("primary", o.primary_domain, o.primary_shield_region),
                ("secondary", o.secondary_domain, o.secondary_shield_region),
            ):
                origins.append(
                    {
                        "origin_id": origin_id(o.jurisdiction, role),
                        "domain_name": domain,
                        "origin_access_control_id": access.id,
                        "origin_shield": {"enabled": True, "origin_shield_region": shield},
                    }
                )
            groups.append(
                {
                    "origin_id": origin_id(o.jurisdiction, "group"),
                    "failover_criteria": {"status_codes": list(self.args.cdn.failover_status_codes)},
                    "members": [{"origin_id": origin_id(o.jurisdiction, r)} for r in ("primary", "secondary")],
                }
            )
        return origins, groups

    def behavior(self, target: pulumi.Input[str], cache_policy_id: pulumi.Input[str]) -> dict[str, object]:
        return {
            "target_origin_id": target,
            "viewer_protocol_policy": "redirect-to-https",
            "compress": True,
            "allowed_methods": READ_METHODS,
            "cached_methods": CACHED_METHODS,
            "cache_policy_id": cache_policy_id,
        }

    def make_distribution(self, certificate: aws.acm.CertificateValidation) -> aws.cloudfront.Distribution:
        cdn = self.args.cdn
        access = aws.cloudfront.OriginAccessControl(
            f"{self.name}-oac",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=self.child,
        )
        policy = self.make_cache_policy()
        origins, groups = self.make_origins(access)
        ordered = [
            {
                **self.behavior(origin_id(o.jurisdiction, "group"), policy.id),
                "path_pattern": pulumi.Output.from_input(o.jurisdiction).apply(lambda j: f"/{j.lower()}/*"),
            }
            for o in self.args.origins
        ]
        return aws.cloudfront.Distribution(
            f"{self.name}-distribution",
            enabled=True,
            is_ipv6_enabled=True,
            http_version="http2and3",
            aliases=[cdn.domain],
            price_class=cdn.price_class,
            origins=origins,
            origin_groups=groups,
            default_cache_behavior=self.behavior(origin_id(self.args.origins[0].jurisdiction, "group"), policy.id),
            ordered_cache_behaviors=ordered,
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate={
                "acm_certificate_arn": certificate.certificate_arn,
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": "TLSv1.2_2021",
            },
            tags=self.tags,
            opts=self.child,
        )

    def make_health_check(self, role: str, fqdn: pulumi.Input[str], path: str) -> aws.route53.HealthCheck:
        return aws.route53.HealthCheck(
            f"{self.name}-{role}-health",
            fqdn=fqdn,
            type="HTTPS",
            port=443,
            resource_path=path,
            request_interval=HEALTH_CHECK_INTERVAL_S,
            failure_threshold=HEALTH_CHECK_FAILURES,
            measure_latency=True,
            tags={**self.tags, "Name": f"{self.name}-{role}"},
            opts=self.child,
        )

    def make_dns(self, zone_id: pulumi.Output[str], distribution: aws.cloudfront.Distribution) -> None:
        cdn = self.args.cdn
        targets = (
            ("primary", distribution.domain_name, cdn.health_check_path, cdn.primary_weight),
            ("secondary", cdn.secondary.hostname, cdn.secondary.health_check_path, cdn.secondary_weight),
        )
        for role, target, path, weight in targets:
            check = self.make_health_check(role, target, path)
            aws.route53.Record(
                f"{self.name}-{role}-record",
                zone_id=zone_id,
                name=cdn.domain,
                type="CNAME",
                ttl=DNS_TTL_S,
                records=[target],
                set_identifier=role,
                weighted_routing_policies=[{"weight": weight}],
                health_check_id=check.id,
                opts=self.child,
            )

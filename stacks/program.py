"""The Pulumi program: platform model in, providers and components out.

``build_stack(model)`` is what ``pulumi up`` runs (through ``stacks/__main__.py``, the only place that
reads Pulumi configuration) and what ``ops plan`` runs under the mock runtime. Every resource gets
an explicit ``aws.Provider`` for its region whose ``default_tags`` carry the stack-wide tags (including
``jurisdiction``); no resource ever falls back to the default provider.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.app_services import AppServices, AppServicesArgs
from components.data_plane import DataPlane, DataPlaneArgs
from components.finops_guardrails import FinOpsGuardrails, FinOpsGuardrailsArgs
from components.gpu_pool import GpuEncodePool, GpuEncodePoolArgs
from components.multi_cdn import JurisdictionOrigin, MultiCdn, MultiCdnArgs
from components.network import RegionNetwork, RegionNetworkArgs
from stacks import naming
from stacks.model import PlatformModel, QueueSpec

# CloudFront certificates, Route 53, Budgets and Cost Explorer are served from us-east-1 (AWS rule).
GLOBAL_SERVICES_REGION = "us-east-1"
VPC_CIDR_BASE = 10  # region i of the model gets 10.(base+i).0.0/16: disjoint across all regions


def make_provider(model: PlatformModel, region: str) -> aws.Provider:
    """An explicit regional provider tagging everything it creates with the stack's tags."""
    return aws.Provider(f"aws-{region}", region=region, default_tags={"tags": model.base_tags()})


def vpc_cidr(model: PlatformModel, region: str) -> str:
    return f"10.{VPC_CIDR_BASE + list(model.regions).index(region)}.0.0/16"


def build_stack(model: PlatformModel) -> dict[str, Any]:
    """Create the stack's resources; return the values to export."""
    if model.settings.kind == "global":
        return build_global(model)
    return build_jurisdiction(model)


def build_jurisdiction(model: PlatformModel) -> dict[str, Any]:
    home, overflow = model.home_region, model.overflow_region
    assert home is not None and overflow is not None and model.jurisdiction is not None
    providers = {region: make_provider(model, region) for region in (home, overflow)}
    prefix = f"{model.project}-{model.stack}"
    data = DataPlane(
        f"{model.stack}-data",
        DataPlaneArgs(
            prefix=prefix,
            home_region=home,
            overflow_region=overflow,
            tables=model.settings.tables,
            queues=model.settings.queues,
            buckets=model.settings.buckets,
            bucket_names={
                (b.name, r): naming.bucket_name(model, b, r) for b in model.settings.buckets for r in (home, overflow)
            },
            tenants=model.settings.tenants,
            overflow_provider=providers[overflow],
            protect_data=model.settings.environment == "prod",
            origin_purpose=naming.ORIGIN_BUCKET_PURPOSE,
        ),
        opts=pulumi.ResourceOptions(providers=[providers[home]]),
    )
    networks = {
        region: RegionNetwork(
            f"{model.stack}-{region}-net",
            RegionNetworkArgs(region=region, azs=model.regions[region].azs, cidr=vpc_cidr(model, region)),
            opts=pulumi.ResourceOptions(providers=[providers[region]]),
        )
        for region in (home, overflow)
        if any(p.region == region for p in model.settings.pools) or region == home
    }
    pools = {
        pool.name: GpuEncodePool(
            pool.name,
            GpuEncodePoolArgs(
                pool=pool,
                queue=QueueSpec(name=f"{pool.name}-encode", purpose="encode"),
                physical_prefix=prefix,
                jurisdiction=model.jurisdiction.name,
                vpc_id=networks[pool.region].vpc_id,
                subnet_ids=networks[pool.region].subnet_ids,
                read_bucket_arns=[arn for purpose, arn in data.bucket_arns.items() if purpose == "uploads"],
                write_bucket_arns=[arn for purpose, arn in data.bucket_arns.items() if purpose == "renditions"],
                key_arns=[data.data_key_arn, *data.tenant_key_arns.values()],
            ),
            opts=pulumi.ResourceOptions(providers=[providers[pool.region]]),
        )
        for pool in model.settings.pools
    }
    if model.settings.cluster is not None and model.settings.services:
        AppServices(
            f"{model.stack}-apps",
            AppServicesArgs(
                region=home,
                cluster=model.settings.cluster,
                services=model.settings.services,
                subnet_ids=networks[home].subnet_ids,
            ),
            opts=pulumi.ResourceOptions(providers=[providers[home]]),
        )
    exports: dict[str, Any] = {
        "jurisdiction": model.jurisdiction.name,
        "home_region": home,
        "overflow_region": overflow,
        "encode_queue_urls": {name: p.queue_url for name, p in pools.items()},
        "table_arns": data.table_arns,
    }
    origin = naming.origin_bucket(model)
    if origin is not None:
        exports["origin_primary_domain"] = data.bucket_domains[origin.purpose]
        if origin.purpose in data.replica_domains:
            exports["origin_secondary_domain"] = data.replica_domains[origin.purpose]
    return exports


def build_global(model: PlatformModel) -> dict[str, Any]:
    settings = model.settings
    assert settings.cdn is not None and settings.budgets is not None
    provider = make_provider(model, GLOBAL_SERVICES_REGION)
    refs = [
        pulumi.StackReference(f"{pulumi.get_organization()}/{model.project}/{stack}")
        for stack in settings.jurisdiction_stacks
    ]
    cdn = MultiCdn(
        f"{model.stack}-cdn",
        MultiCdnArgs(cdn=settings.cdn, origins=[origin_from(model, ref) for ref in refs]),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    guardrails = FinOpsGuardrails(
        f"{model.stack}-finops",
        FinOpsGuardrailsArgs(prefix=f"{model.project}-{model.stack}", budgets=settings.budgets),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    return {
        "jurisdiction_stacks": list(settings.jurisdiction_stacks),
        "distribution_id": cdn.distribution_id,
        "cdn_domain_name": cdn.domain_name,
        "budget_notify_topic_arn": guardrails.notify_topic_arn,
        "budget_page_topic_arn": guardrails.page_topic_arn,
        "budget_breaker_topic_arn": guardrails.breaker_topic_arn,
    }


def shield_region(model: PlatformModel, region: str) -> str:
    """The Origin Shield region for an origin region (the model's choice, else the region itself)."""
    spec = model.regions.get(region)
    return (spec.shield_region if spec else None) or region


def origin_from(model: PlatformModel, ref: pulumi.StackReference) -> JurisdictionOrigin:
    """A jurisdiction's origins as its stack exported them (see stacks.naming.jurisdiction_exports)."""
    return JurisdictionOrigin(
        jurisdiction=ref.require_output("jurisdiction"),
        primary_domain=ref.require_output("origin_primary_domain"),
        secondary_domain=ref.require_output("origin_secondary_domain"),
        primary_shield_region=ref.require_output("home_region").apply(lambda r: shield_region(model, r)),
        secondary_shield_region=ref.require_output("overflow_region").apply(lambda r: shield_region(model, r)),
    )

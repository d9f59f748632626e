"""The platform's policies as plain pulumi-policy objects, testable without the Pulumi CLI.

``build_policies(rules)`` returns the policies; only ``components/policy_pack/__main__.py`` wraps them
in a ``PolicyPack`` (constructing one starts a gRPC server and blocks). ``ops plan`` and the tests call
each policy's ``validate`` directly with the same argument objects the engine would pass.

What is enforced (all mandatory):
- explicit-provider: no resource uses a default provider;
- residency: a resource's region, its table replicas, the regions of every ARN it references and
  its bucket replication destinations stay inside the jurisdiction of its provider's tags;
- required-tags: cost_center (a known showback bucket) and jurisdiction on every taggable resource;
- dynamodb-on-demand: tables bill per request;
- encryption-at-rest / no-public-buckets: KMS on tables, queues and buckets, public access blocked;
- data-plane-iam-least-privilege: no ``*`` action or resource on roles tagged ``plane=data``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from components.policy_reading import (
    PolicyRules,
    arn_regions,
    decoded,
    effective_tags,
    is_aws,
    provider_jurisdiction,
    provider_region,
)
from components.stack_policies import check_bucket_settings, check_data_plane_iam, replication_check

__all__ = ["TAGGABLE_TYPES", "PolicyRules", "build_policies", "rules_from_regions"]

# Resource types the program creates that accept tags (a meta-test checks this list against pulumi_aws).
TAGGABLE_TYPES = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:sqs/queue:Queue",
        "aws:dynamodb/table:Table",
        "aws:kms/key:Key",
        "aws:iam/role:Role",
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:autoscaling/group:Group",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:sns/topic:Topic",
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:cloudfront/distribution:Distribution",
        "aws:acm/certificate:Certificate",
        "aws:route53/healthCheck:HealthCheck",
        "aws:budgets/budget:Budget",
        "aws:costexplorer/anomalyMonitor:AnomalyMonitor",
        "aws:costexplorer/anomalySubscription:AnomalySubscription",
    }
)


def mandatory(
    name: str, description: str, validate: Callable[[Any, ReportViolation], None], stack: bool = False
) -> ResourceValidationPolicy | StackValidationPolicy:
    if stack:
        return StackValidationPolicy(
            name=name, description=description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
        )
    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )


def check_explicit_provider(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_aws(args.resource_type):
        return
    name = getattr(args.provider, "name", "") or ""
    if args.provider is None or name.startswith("default"):
        report(f"{args.urn}: created with the default AWS provider; pass an explicit regional aws.Provider", None)


def residency_check(rules: PolicyRules) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def check(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not is_aws(args.resource_type) or args.provider is None:
            return
        jurisdiction = provider_jurisdiction(args.provider)
        allowed = rules.allowed_regions(jurisdiction)
        if not allowed:
            report(f"{args.urn}: provider has no known jurisdiction tag (got {jurisdiction!r})", None)
            return
        region = args.props.get("region") or provider_region(args.provider)  # v7: per-resource region override
        if region not in allowed:
            report(f"{args.urn}: region {region} is outside jurisdiction {jurisdiction} {list(allowed)}", None)
        for replica in decoded(args.props.get("replicas")) or []:
            if replica.get("regionName") not in allowed:
                report(f"{args.urn}: table replica in {replica.get('regionName')} is outside {jurisdiction}", None)
        for key, value in args.props.items():
            for other in set(arn_regions(value)) - set(allowed):
                report(f"{args.urn}: {key} references a resource in {other}, outside {jurisdiction}", None)

    return check


def tags_check(rules: PolicyRules) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def check(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in TAGGABLE_TYPES:
            return
        tags = effective_tags(args.resource_type, args.props, args.provider)
        missing = [t for t in rules.required_tags if not tags.get(t)]
        if missing:
            report(f"{args.urn}: missing required tags {missing}", None)
        center = tags.get("cost_center")
        if center and center not in rules.cost_centers:
            report(f"{args.urn}: cost_center {center!r} is not one of {list(rules.cost_centers)}", None)

    return check


def check_on_demand(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == "aws:dynamodb/table:Table" and args.props.get("billingMode") != "PAY_PER_REQUEST":
        report(f"{args.urn}: billingMode is {args.props.get('billingMode')!r}, expected PAY_PER_REQUEST", None)


def check_encryption(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == "aws:dynamodb/table:Table":
        sse = decoded(props.get("serverSideEncryption")) or {}
        if not (sse.get("enabled") and sse.get("kmsKeyArn")):
            report(f"{args.urn}: table must be encrypted with a customer KMS key (serverSideEncryption)", None)
    elif args.resource_type == "aws:sqs/queue:Queue" and not (
        props.get("kmsMasterKeyId") or props.get("sqsManagedSseEnabled")
    ):
        report(f"{args.urn}: queue must be encrypted (kmsMasterKeyId)", None)


def check_public_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        off = [f for f in flags if props.get(f) is not True]
        if off:
            report(f"{args.urn}: public access block leaves {off} off", None)
    elif args.resource_type in ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"):
        if str(props.get("acl", "")).startswith("public"):
            report(f"{args.urn}: bucket ACL {props.get('acl')!r} makes the bucket public", None)
    elif args.resource_type == "aws:s3/bucketPolicy:BucketPolicy":
        for statement in (decoded(props.get("policy")) or {}).get("Statement", []):
            if (
                statement.get("Effect") == "Allow"
                and statement.get("Principal") in ("*", {"AWS": "*"})
                and not statement.get("Condition")
            ):
                report(f"{args.urn}: bucket policy allows anyone (Principal '*')", None)


def build_policies(rules: PolicyRules) -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """Every policy of the pack, configured from the platform model."""
    return [
        mandatory("explicit-provider", "Resources use an explicit regional provider.", check_explicit_provider),
        mandatory(
            "residency", "Resources, replicas and referenced ARNs stay in the jurisdiction.", residency_check(rules)
        ),
        mandatory(
            "residency-replication",
            "Bucket replication stays in the jurisdiction.",
            replication_check(rules),
            stack=True,
        ),
        mandatory("required-tags", "cost_center and jurisdiction tags on every taggable resource.", tags_check(rules)),
        mandatory("dynamodb-on-demand", "DynamoDB tables bill per request.", check_on_demand),
        mandatory("encryption-at-rest", "Tables and queues are KMS-encrypted.", check_encryption),
        mandatory(
            "bucket-encryption-and-privacy",
            "Buckets have KMS encryption and a public access block.",
            check_bucket_settings,
            stack=True,
        ),
        mandatory(
            "no-public-buckets", "No public ACLs, policies or disabled public access blocks.", check_public_access
        ),
        mandatory(
            "data-plane-iam-least-privilege",
            "No '*' actions or resources on data-plane roles.",
            check_data_plane_iam,
            stack=True,
        ),
    ]


def rules_from_regions(region_jurisdictions: Mapping[str, str]) -> PolicyRules:
    """Rules from ``{region: jurisdiction}`` (the project's ``reelops:regions``)."""
    by_jurisdiction: dict[str, tuple[str, ...]] = {}
    for region, jurisdiction in region_jurisdictions.items():
        by_jurisdiction[jurisdiction] = (*by_jurisdiction.get(jurisdiction, ()), region)
    return PolicyRules(regions_by_jurisdiction=by_jurisdiction)

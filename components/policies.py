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

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.tagging import DATA_PLANE_TAG, REQUIRED_TAGS
from stacks.model import COST_CENTERS

GLOBAL = "global"
ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}-[a-z]+-\d):")
BUCKET = "aws:s3/bucket:Bucket"

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


@dataclass(frozen=True)
class PolicyRules:
    """What the policies need from the platform model: which regions each jurisdiction owns."""

    regions_by_jurisdiction: Mapping[str, tuple[str, ...]]
    required_tags: tuple[str, ...] = REQUIRED_TAGS
    cost_centers: tuple[str, ...] = COST_CENTERS

    def allowed_regions(self, jurisdiction: str | None) -> tuple[str, ...]:
        if jurisdiction == GLOBAL:
            return tuple(r for regions in self.regions_by_jurisdiction.values() for r in regions)
        return tuple(self.regions_by_jurisdiction.get(jurisdiction or "", ()))


# --- reading the engine's view of a resource --------------------------------------------------------
def decoded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def provider_props(provider: Any) -> Mapping[str, Any]:
    return {k: decoded(v) for k, v in (getattr(provider, "props", None) or {}).items()}


def provider_default_tags(provider: Any) -> dict[str, str]:
    tags = provider_props(provider).get("defaultTags") or {}
    return dict(tags.get("tags") or {}) if isinstance(tags, Mapping) else {}


def provider_region(provider: Any) -> str | None:
    region = provider_props(provider).get("region")
    return str(region) if region else None


def provider_jurisdiction(provider: Any) -> str | None:
    return provider_default_tags(provider).get("jurisdiction")


def resource_tags(resource_type: str, props: Mapping[str, Any]) -> dict[str, str]:
    """The resource's own tags; Auto Scaling groups carry a list of {key, value}."""
    tags = decoded(props.get("tags"))
    if isinstance(tags, list):
        return {str(t.get("key")): str(t.get("value")) for t in tags if isinstance(t, Mapping)}
    return dict(tags or {})


def effective_tags(resource_type: str, props: Mapping[str, Any], provider: Any) -> dict[str, str]:
    """Tags AWS would apply: provider defaults (not for ASGs, which AWS excludes) plus the resource's."""
    defaults = {} if resource_type == "aws:autoscaling/group:Group" else provider_default_tags(provider)
    return {**defaults, **resource_tags(resource_type, props)}


def arn_regions(value: Any) -> Iterable[str]:
    """Every region named by an ARN anywhere inside a property value."""
    if isinstance(value, str):
        match = ARN_REGION.match(value)
        if match:
            yield match.group(1)
        elif value[:1] in "{[":
            parsed = decoded(value)
            if not isinstance(parsed, str):
                yield from arn_regions(parsed)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from arn_regions(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from arn_regions(item)


def is_aws(resource_type: str) -> bool:
    return resource_type.startswith("aws:")


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


# --- resource policies ----------------------------------------------------------------------------
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


# --- stack policies (they join resources, as the engine hands over the whole stack) ----------------
def buckets_by_name(resources: Iterable[PolicyResource]) -> dict[str, PolicyResource]:
    return {str(r.props.get("bucket")): r for r in resources if r.resource_type == BUCKET and r.props.get("bucket")}


def bucket_refs(resources: Iterable[PolicyResource], resource_type: str) -> dict[str, PolicyResource]:
    """Bucket-scoped settings resources keyed by the bucket name they apply to."""
    return {str(r.props.get("bucket")): r for r in resources if r.resource_type == resource_type}


def check_bucket_settings(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every bucket has KMS default encryption and a public access block."""
    sse = bucket_refs(
        args.resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    blocks = bucket_refs(args.resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for name, bucket in buckets_by_name(args.resources).items():
        rules = (decoded(sse[name].props.get("rules")) or []) if name in sse else []
        algorithms = [(r.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") for r in rules]
        if not any(a in ("aws:kms", "aws:kms:dsse") for a in algorithms):
            report(f"{bucket.urn}: bucket {name} has no KMS default encryption", bucket.urn)
        if name not in blocks:
            report(f"{bucket.urn}: bucket {name} has no public access block", bucket.urn)


def replication_check(rules: PolicyRules) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def check(args: StackValidationArgs, report: ReportViolation) -> None:
        buckets = buckets_by_name(args.resources)
        by_arn = {f"arn:aws:s3:::{name}": b for name, b in buckets.items()}
        for config in args.resources:
            if config.resource_type != "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
                continue
            jurisdiction = provider_jurisdiction(config.provider)
            allowed = rules.allowed_regions(jurisdiction)
            for rule in decoded(config.props.get("rules")) or []:
                target = (rule.get("destination") or {}).get("bucket")
                dest = by_arn.get(str(target))
                region = provider_region(dest.provider) if dest else None
                if region not in allowed:
                    where = f"region {region}" if dest else "a bucket outside this stack"
                    report(f"{config.urn}: replicates to {target} in {where}, outside {jurisdiction}", config.urn)

    return check


def statement_wildcards(document: Any) -> list[str]:
    """Wildcard actions (``*``, ``svc:*``) and resources (``*``) in an IAM policy document."""
    found: list[str] = []
    statements = (decoded(document) or {}).get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        for action in [actions] if isinstance(actions, str) else actions:
            if action == "*" or action.endswith(":*"):
                found.append(f"action {action!r}")
        for resource in [resources] if isinstance(resources, str) else resources:
            if resource == "*":
                found.append("resource '*'")
    return found


def data_plane_roles(resources: Iterable[PolicyResource]) -> dict[str, PolicyResource]:
    """Roles tagged plane=data, keyed by name (an IAM role's id is its name)."""
    key, value = DATA_PLANE_TAG
    return {
        str(r.props.get("name")): r
        for r in resources
        if r.resource_type == "aws:iam/role:Role"
        and effective_tags(r.resource_type, r.props, r.provider).get(key) == value
    }


def check_data_plane_iam(args: StackValidationArgs, report: ReportViolation) -> None:
    roles = data_plane_roles(args.resources)
    for r in args.resources:
        role = roles.get(str(r.props.get("role")))
        if role is None:
            continue
        if r.resource_type == "aws:iam/rolePolicy:RolePolicy":
            for wildcard in statement_wildcards(r.props.get("policy")):
                report(f"{r.urn}: data-plane role {role.props.get('name')} is granted {wildcard}", r.urn)
        elif r.resource_type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment" and str(
            r.props.get("policyArn", "")
        ).startswith("arn:aws:iam::aws:policy/"):
            report(
                f"{r.urn}: AWS-managed policy {r.props.get('policyArn')} on data-plane role "
                f"{role.props.get('name')} grants wildcards; use a scoped inline policy",
                r.urn,
            )


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

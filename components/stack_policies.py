"""Stack policies: rules that join resources, as the engine hands a policy the whole stack.

Bucket settings live in separate resources (encryption, public access block), replication names its
destination bucket by ARN, and an inline policy names its role: these checks need the whole stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from components.policy_reading import (
    PolicyRules,
    decoded,
    effective_tags,
    provider_jurisdiction,
    provider_region,
)
from components.tagging import DATA_PLANE_TAG

BUCKET = "aws:s3/bucket:Bucket"


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

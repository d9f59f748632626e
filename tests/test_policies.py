"""The policy pack catches each violation kind on a deliberately bad resource, without the Pulumi CLI.

Policies are called the way the engine calls them: ``validate(ResourceValidationArgs(...), report)``
with camelCase properties and the provider resource, or ``StackValidationArgs`` for stack policies.
"""

from __future__ import annotations

import importlib
import inspect
import json
import runpy
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest
from pulumi_policy import (
    PolicyProviderResource,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from typer.testing import CliRunner

from cli.main import app
from components.policies import TAGGABLE_TYPES, build_policies
from stacks.checking import policy_options, rules_for
from stacks.loading import load_platform
from tests.planned_stacks import planned

POLICIES = {p.name: p for p in build_policies(rules_for(load_platform("prod-eu")))}


def provider(region: str = "eu-west-1", jurisdiction: str = "EU", name: str = "") -> PolicyProviderResource:
    name = name or f"aws-{region}"
    tags = json.dumps({"tags": {"jurisdiction": jurisdiction, "stack": "prod-eu"}})
    urn = f"urn:pulumi:prod-eu::reelops::pulumi:providers:aws::{name}"
    return PolicyProviderResource("pulumi:providers:aws", {"region": region, "defaultTags": tags}, urn, name)


def resource(
    type_token: str, props: dict[str, Any], name: str = "bad", prov: PolicyProviderResource | None = None
) -> PolicyResource:
    urn = f"urn:pulumi:prod-eu::reelops::{type_token}::{name}"
    return PolicyResource(type_token, props, urn, name, policy_options(""), prov or provider(), None, [], {})


def violations(policy: str, *resources: PolicyResource) -> list[str]:
    found: list[str] = []
    p = POLICIES[policy]
    if isinstance(p, StackValidationPolicy):
        p.validate(StackValidationArgs(list(resources)), lambda message, urn=None: found.append(message))
    else:
        assert isinstance(p, ResourceValidationPolicy)
        for r in resources:
            args = ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, r.provider)
            p.validate(args, lambda message, urn=None: found.append(message))
    return found


TAGS = {"tags": {"cost_center": "data"}}
TABLE_OK = {
    "billingMode": "PAY_PER_REQUEST",
    "serverSideEncryption": {"enabled": True, "kmsKeyArn": "arn:aws:kms:eu-west-1:1:key/k"},
    **TAGS,
}
BAD_CASES = [
    (
        "residency",
        resource("aws:s3/bucket:Bucket", {"bucket": "b", "region": "us-east-1", **TAGS}),
        "region us-east-1 is outside jurisdiction EU",
    ),
    (
        "residency",
        resource("aws:sqs/queue:Queue", {"kmsMasterKeyId": "k", **TAGS}, prov=provider("us-east-1", "EU")),
        "us-east-1 is outside jurisdiction EU",
    ),
    (
        "residency",
        resource("aws:dynamodb/table:Table", {**TABLE_OK, "replicas": [{"regionName": "us-west-2"}]}),
        "replica in us-west-2",
    ),
    (
        "residency",
        resource(
            "aws:iam/rolePolicy:RolePolicy",
            {
                "policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["sqs:ReceiveMessage"],
                                "Resource": ["arn:aws:sqs:us-east-1:1:q"],
                            }
                        ]
                    }
                )
            },
        ),
        "references a resource in us-east-1",
    ),
    (
        "explicit-provider",
        resource("aws:sqs/queue:Queue", TAGS, prov=provider(name="default_7_0_0")),
        "default AWS provider",
    ),
    (
        "required-tags",
        resource("aws:sqs/queue:Queue", {"kmsMasterKeyId": "k"}),
        "missing required tags ['cost_center']",
    ),
    ("required-tags", resource("aws:sqs/queue:Queue", {"tags": {"cost_center": "marketing"}}), "'marketing'"),
    (
        "required-tags",
        resource("aws:autoscaling/group:Group", {"tags": [{"key": "cost_center", "value": "encoding"}]}),
        "missing required tags ['jurisdiction']",
    ),
    (
        "dynamodb-on-demand",
        resource("aws:dynamodb/table:Table", {**TABLE_OK, "billingMode": "PROVISIONED"}),
        "expected PAY_PER_REQUEST",
    ),
    (
        "encryption-at-rest",
        resource("aws:dynamodb/table:Table", {**TABLE_OK, "serverSideEncryption": {}}),
        "customer KMS key",
    ),
    ("encryption-at-rest", resource("aws:sqs/queue:Queue", TAGS), "queue must be encrypted"),
    (
        "no-public-buckets",
        resource(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {
                "bucket": "b",
                "blockPublicAcls": True,
                "blockPublicPolicy": False,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
        "['blockPublicPolicy'] off",
    ),
    (
        "no-public-buckets",
        resource("aws:s3/bucketAclV2:BucketAclV2", {"bucket": "b", "acl": "public-read"}),
        "makes the bucket public",
    ),
    (
        "no-public-buckets",
        resource(
            "aws:s3/bucketPolicy:BucketPolicy",
            {
                "bucket": "b",
                "policy": json.dumps(
                    {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
                ),
            },
        ),
        "allows anyone",
    ),
]


@pytest.mark.parametrize(("policy", "bad", "expected"), BAD_CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_policy_reports_the_bad_resource_by_urn(policy: str, bad: PolicyResource, expected: str) -> None:
    found = violations(policy, bad)
    assert len(found) >= 1 and any(expected in m for m in found), found
    assert all(m.startswith(bad.urn) for m in found)


def bucket(name: str, region: str = "eu-west-1") -> PolicyResource:
    return resource(
        "aws:s3/bucket:Bucket",
        {"bucket": name, "arn": f"arn:aws:s3:::{name}", **TAGS},
        name=name,
        prov=provider(region),
    )


def test_bucket_without_kms_encryption_or_public_access_block_is_caught() -> None:
    aes = resource(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        {"bucket": "plain", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
    )
    found = violations("bucket-encryption-and-privacy", bucket("plain"), aes)
    assert any("no KMS default encryption" in m for m in found) and any("no public access block" in m for m in found)


def test_replication_to_a_bucket_in_another_jurisdiction_is_caught() -> None:
    config = resource(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        {"bucket": "src", "rules": [{"destination": {"bucket": "arn:aws:s3:::far"}}]},
    )
    found = violations("residency-replication", bucket("src"), bucket("far", "us-west-2"), config)
    assert found == [f"{config.urn}: replicates to arn:aws:s3:::far in region us-west-2, outside EU"]
    unknown = violations("residency-replication", bucket("src"), config)
    assert unknown and "outside this stack" in unknown[0]
    near = violations("residency-replication", bucket("src"), bucket("far", "eu-central-1"), config)
    assert near == []


def role(name: str, plane: str | None) -> PolicyResource:
    tags = {"cost_center": "encoding", **({"plane": plane} if plane else {})}
    return resource("aws:iam/role:Role", {"name": name, "tags": tags}, name=name)


def role_policy(role_name: str, action: str, target: str) -> PolicyResource:
    doc = {"Statement": [{"Effect": "Allow", "Action": [action], "Resource": [target]}]}
    return resource(
        "aws:iam/rolePolicy:RolePolicy", {"role": role_name, "policy": json.dumps(doc)}, name=f"{role_name}-{action}"
    )


@pytest.mark.parametrize(
    ("action", "target"), [("*", "arn:aws:s3:::b/*"), ("s3:*", "arn:aws:s3:::b/*"), ("s3:GetObject", "*")]
)
def test_wildcards_on_data_plane_roles_are_caught(action: str, target: str) -> None:
    found = violations("data-plane-iam-least-privilege", role("worker", "data"), role_policy("worker", action, target))
    assert len(found) == 1 and "data-plane role worker" in found[0]


def test_scoped_data_plane_policy_and_non_data_plane_roles_pass() -> None:
    ok = violations(
        "data-plane-iam-least-privilege",
        role("worker", "data"),
        role_policy("worker", "s3:GetObject", "arn:aws:s3:::b/*"),
        role("nodes", None),
        role_policy("nodes", "ec2:Describe*", "*"),
    )
    assert ok == []


def test_aws_managed_policy_on_a_data_plane_role_is_caught() -> None:
    attachment = resource(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": "worker", "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"},
    )
    assert violations("data-plane-iam-least-privilege", role("worker", "data"), attachment)


def aws_class(type_token: str) -> Any:
    module, kind = type_token.split(":")[1].split("/")[0], type_token.rsplit(":", 1)[-1]
    return getattr(importlib.import_module(f"pulumi_aws.{module}"), kind)


def accepts_tags(type_token: str) -> bool:
    return "tags" in inspect.signature(aws_class(type_token)._internal_init).parameters


def planned_types() -> frozenset[str]:
    """Every AWS type the program creates: a silo stack and the global stack cover them all."""
    return frozenset(
        r.type for s in ("prod-us", "prod-global") for r in planned(s).resources if r.type.startswith("aws:")
    )


def test_taggable_registry_matches_pulumi_aws() -> None:
    assert all(accepts_tags(t) for t in TAGGABLE_TYPES)
    missing = {t for t in planned_types() if accepts_tags(t)} - TAGGABLE_TYPES
    assert not missing, f"add to TAGGABLE_TYPES: {sorted(missing)}"


def test_untagged_resource_in_the_program_fails_ops_plan_with_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("components.gpu_pool.cost_tags", lambda cost_center, **extra: dict(extra))
    result = CliRunner().invoke(app, ["plan", "--stack", "prod-eu", "--json"])
    assert result.exit_code == 1, result.output
    found = json.loads(result.stdout)["violations"]
    assert {v["policy"] for v in found} == {"required-tags"}
    assert any(v["resource"].endswith("::eu-west-1-gpu-group") for v in found)


def test_policy_pack_entry_constructs_the_pack_with_every_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict[str, Any] = {}
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.update(kwargs))
    runpy.run_path(str(Path("components/policy_pack/__main__.py")), run_name="__main__")
    assert built["name"] == "reelops-platform"
    assert [p.name for p in built["policies"]] == list(POLICIES)
    assert Path("components/policy_pack/PulumiPolicy.yaml").exists()

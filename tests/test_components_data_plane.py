"""DataPlane as planned: on-demand tables with PITR + KMS, in-jurisdiction replicas, buckets, keys, queues."""

from __future__ import annotations

import json

import pytest

from stacks.loading import load_platform
from stacks.planning import PlannedResource
from tests.planned_stacks import planned

JURISDICTION_STACKS = ["prod-us", "prod-eu", "prod-apac"]


def of_type(stack: str, type_token: str) -> list[PlannedResource]:
    return [r for r in planned(stack).resources if r.type == type_token]


@pytest.mark.parametrize("stack", JURISDICTION_STACKS)
def test_tables_are_on_demand_with_pitr_and_kms(stack: str) -> None:
    model = load_platform(stack)
    tables = {r.inputs["name"]: r for r in of_type(stack, "aws:dynamodb/table:Table")}
    assert len(tables) == len(model.settings.tables)
    for spec in model.settings.tables:
        table = tables[f"reelops-{stack}-{spec.name}"]
        assert table.region == model.home_region
        assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
        assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
        sse = table.inputs["serverSideEncryption"]
        assert sse["enabled"] is True and sse["kmsKeyArn"].startswith(f"arn:aws:kms:{model.home_region}:")
        if spec.stream:
            assert table.inputs["streamEnabled"] is True


@pytest.mark.parametrize("stack", JURISDICTION_STACKS)
def test_table_replicas_exist_only_in_the_overflow_region(stack: str) -> None:
    model = load_platform(stack)
    replicas = [rep for t in of_type(stack, "aws:dynamodb/table:Table") for rep in t.inputs.get("replicas") or []]
    assert replicas, "priority-1 tables should have a hot standby replica"
    for replica in replicas:
        assert replica["regionName"] == model.overflow_region
        assert replica["kmsKeyArn"].startswith(f"arn:aws:kms:{model.overflow_region}:")


def test_buckets_are_private_encrypted_versioned_and_tiered_by_the_model() -> None:
    model = load_platform("prod-eu")
    buckets = {r.inputs["bucket"]: r for r in of_type("prod-eu", "aws:s3/bucket:Bucket")}
    assert len(buckets) == 2 * len(model.settings.buckets)
    for kind, check in (
        (
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            lambda i: all(
                i[k] is True
                for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
            ),
        ),
        ("aws:s3/bucketVersioning:BucketVersioning", lambda i: i["versioningConfiguration"]["status"] == "Enabled"),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            lambda i: i["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms",
        ),
    ):
        settings = {r.inputs["bucket"]: r.inputs for r in of_type("prod-eu", kind)}
        assert set(settings) == set(buckets) and all(check(i) for i in settings.values()), kind
    lifecycles = {
        r.inputs["bucket"]: r.inputs["rules"][0]
        for r in of_type("prod-eu", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    }
    for spec in model.settings.buckets:
        rule = lifecycles[f"reelops-prod-eu-{spec.name}-eu-west-1"]
        assert [t["days"] for t in rule["transitions"]] == [spec.warm_after_days, spec.cold_after_days]


@pytest.mark.parametrize("stack", JURISDICTION_STACKS)
def test_bucket_replication_targets_only_the_overflow_region(stack: str) -> None:
    model = load_platform(stack)
    regions = {f"arn:aws:s3:::{r.inputs['bucket']}": r.region for r in of_type(stack, "aws:s3/bucket:Bucket")}
    configs = of_type(stack, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert len(configs) == sum(b.replicate_to_overflow for b in model.settings.buckets)
    for config in configs:
        assert config.region == model.home_region
        for rule in config.inputs["rules"]:
            assert regions[rule["destination"]["bucket"]] == model.overflow_region
            replica_key = rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"]
            assert replica_key.split(":")[3] == model.overflow_region


def test_each_tenant_gets_its_own_key_in_the_home_region() -> None:
    model = load_platform("prod-us")
    assert len(model.settings.tenants) == 2
    keys = {r.name: r for r in of_type("prod-us", "aws:kms/key:Key")}
    for tenant in model.settings.tenants:
        key = keys[f"prod-us-data-tenant-{tenant.id}"]
        assert key.region == "us-east-1" and key.inputs["enableKeyRotation"] is True


def test_write_buffer_has_a_dead_letter_queue_with_the_model_receive_count() -> None:
    spec = next(q for q in load_platform("prod-eu").settings.queues if q.purpose == "write-buffer")
    queues = {r.inputs["name"]: r.inputs for r in of_type("prod-eu", "aws:sqs/queue:Queue")}
    buffer = queues[f"reelops-prod-eu-{spec.name}"]
    redrive = json.loads(buffer["redrivePolicy"])
    assert redrive["maxReceiveCount"] == spec.max_receive_count
    assert redrive["deadLetterTargetArn"].endswith(f":reelops-prod-eu-{spec.name}-dlq")
    assert buffer["visibilityTimeoutSeconds"] == spec.visibility_timeout_s


def test_only_rendition_buckets_let_cloudfront_read_and_only_over_tls() -> None:
    policies = {
        r.inputs["bucket"]: json.loads(r.inputs["policy"])
        for r in of_type("prod-eu", "aws:s3/bucketPolicy:BucketPolicy")
    }
    assert set(policies) == {"reelops-prod-eu-renditions-eu-west-1", "reelops-prod-eu-renditions-eu-central-1"}
    for name, policy in policies.items():
        statements = {s["Sid"]: s for s in policy["Statement"]}
        read = statements["CloudFrontReads"]
        assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert read["Resource"] == f"arn:aws:s3:::{name}/*"
        assert read["Condition"]["StringLike"]["AWS:SourceArn"] == "arn:aws:cloudfront::123456789012:distribution/*"
        assert statements["TlsOnly"]["Effect"] == "Deny"

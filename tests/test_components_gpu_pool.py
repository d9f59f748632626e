"""GpuEncodePool as planned for prod-us: capacity mix, queue + DLQ, step scaling wired to alarms, IAM scope."""

from __future__ import annotations

import json

import pytest

from stacks.loading import load_platform
from stacks.model import GpuPoolSpec
from stacks.planning import PlannedResource
from tests.planned_stacks import planned

STACK = "prod-us"


def pools() -> tuple[GpuPoolSpec, ...]:
    return load_platform(STACK).settings.pools


def child(pool: str, type_token: str, suffix: str = "") -> PlannedResource:
    found = [
        r for r in planned(STACK).resources if r.parent == pool and r.type == type_token and r.name.endswith(suffix)
    ]
    assert len(found) == 1, (pool, type_token, suffix, [r.name for r in found])
    return found[0]


def physical(arn_or_name: str) -> str:
    return arn_or_name.rsplit(":", 1)[-1]


@pytest.mark.parametrize("pool", pools(), ids=lambda p: p.name)
def test_mixed_instances_on_demand_base_then_spot(pool: GpuPoolSpec) -> None:
    group = child(pool.name, "aws:autoscaling/group:Group").inputs
    distribution = group["mixedInstancesPolicy"]["instancesDistribution"]
    assert distribution["onDemandBaseCapacity"] == pool.on_demand_base
    assert distribution["onDemandPercentageAboveBaseCapacity"] == 0
    assert distribution["spotAllocationStrategy"] == "price-capacity-optimized"
    assert group["capacityRebalance"] is True
    overrides = group["mixedInstancesPolicy"]["launchTemplate"]["overrides"]
    assert [o["instanceType"] for o in overrides] == list(pool.instance_types) and len(overrides) >= 2
    assert (group["minSize"], group["maxSize"]) == (pool.min_size, pool.max_size)
    assert len(group["vpcZoneIdentifiers"]) == len(load_platform(STACK).regions[pool.region].azs)
    assert {t["key"]: t["value"] for t in group["tags"]} == {
        "cost_center": "encoding",
        "jurisdiction": "US",
        "pool": pool.name,
    }


@pytest.mark.parametrize("pool", pools(), ids=lambda p: p.name)
def test_alarms_drive_the_step_policies_at_the_model_thresholds(pool: GpuPoolSpec) -> None:
    t = pool.thresholds
    high = child(pool.name, "aws:cloudwatch/metricAlarm:MetricAlarm", "depth-high").inputs
    low = child(pool.name, "aws:cloudwatch/metricAlarm:MetricAlarm", "depth-low").inputs
    out = child(pool.name, "aws:autoscaling/policy:Policy", "scale-out")
    scale_in = child(pool.name, "aws:autoscaling/policy:Policy", "scale-in")
    queue = child(pool.name, "aws:sqs/queue:Queue", "-encode").inputs
    assert high["alarmActions"] == [f"arn:aws:autoscaling:{pool.region}:123456789012:policy/{out.name}"]
    assert low["alarmActions"] == [f"arn:aws:autoscaling:{pool.region}:123456789012:policy/{scale_in.name}"]
    assert high["dimensions"] == {"QueueName": queue["name"]} == low["dimensions"]
    assert (high["threshold"], high["comparisonOperator"]) == (t.add_10_above, "GreaterThanThreshold")
    assert (low["threshold"], low["comparisonOperator"]) == (t.scale_in_below, "LessThanThreshold")
    assert low["evaluationPeriods"] == t.idle_terminate_minutes
    steps = out.inputs["stepAdjustments"]
    span = str(t.add_20_above - t.add_10_above)
    assert steps == [
        {"metricIntervalLowerBound": "0", "metricIntervalUpperBound": span, "scalingAdjustment": t.add_small},
        {"metricIntervalLowerBound": span, "scalingAdjustment": t.add_large},
    ]
    assert scale_in.inputs["stepAdjustments"] == [{"metricIntervalUpperBound": "0", "scalingAdjustment": -t.add_small}]


@pytest.mark.parametrize("pool", pools(), ids=lambda p: p.name)
def test_encode_queue_has_its_own_dead_letter_queue(pool: GpuPoolSpec) -> None:
    queue = child(pool.name, "aws:sqs/queue:Queue", "-encode").inputs
    dlq = child(pool.name, "aws:sqs/queue:Queue", "-encode-dlq").inputs
    redrive = json.loads(queue["redrivePolicy"])
    assert physical(redrive["deadLetterTargetArn"]) == dlq["name"]
    assert redrive["deadLetterTargetArn"].split(":")[3] == pool.region
    assert queue["kmsMasterKeyId"] and dlq["kmsMasterKeyId"]


@pytest.mark.parametrize("pool", pools(), ids=lambda p: p.name)
def test_instance_role_reaches_only_its_queue_and_its_jurisdiction(pool: GpuPoolSpec) -> None:
    document = json.loads(child(pool.name, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    statements = {s["Sid"]: s for s in document["Statement"]}
    own_queue = child(pool.name, "aws:sqs/queue:Queue", "-encode").inputs["name"]
    assert statements["OwnQueue"]["Resource"] == [f"arn:aws:sqs:{pool.region}:123456789012:{own_queue}"]
    assert "sqs:SendMessage" not in statements["OwnQueue"]["Action"]
    buckets = [r for s in ("ReadUploads", "WriteRenditions") for r in statements[s]["Resource"]]
    assert buckets and all(
        b.startswith("arn:aws:s3:::reelops-prod-us-") and b.endswith("-us-east-1/*") for b in buckets
    )
    keys = statements["UseJurisdictionKeys"]["Resource"]
    assert keys and all(k.split(":")[3] == "us-east-1" for k in keys)
    assert all(a != "*" and not a.endswith(":*") for s in document["Statement"] for a in s["Action"])


def test_launch_template_uses_the_configured_ami_and_requires_imdsv2() -> None:
    for pool in pools():
        template = child(pool.name, "aws:ec2/launchTemplate:LaunchTemplate").inputs
        assert template["imageId"] == pool.ami_id
        assert template["metadataOptions"]["httpTokens"] == "required"

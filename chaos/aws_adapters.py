"""Chaos Toolkit actions and probes against AWS, for the faults FIS and chaostoolkit-aws do not cover.

- Route 53 health-check failover: invert a health check (it reports unhealthy, DNS fails over);
- CloudFront origin failure: point an origin at an unresolvable host (``.invalid``), so the origin
  group fails over;
- DynamoDB write throttle: switch a table to provisioned mode with few write units, and write
  pressure (batch writes) to consume them;
- SQS consumer stop: scale the consumers' Auto Scaling group to zero (the queue backs up).

Every fault records what it changed in a tag on the resource itself (``reelops-chaos:*``), so the
rollbacks restore the original even from another process, and are no-ops when nothing was changed.
``configuration``: ``aws_region``, optional ``aws_endpoint_url`` (moto in tests), and ``aws_targets``
mapping a fault's target name to resource ids (see docs/wargames.md). AZ loss is FIS's job
(``aws:ec2:...`` / AZ power interruption scenario via chaostoolkit-aws) and is refused here by name.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from chaoslib.exceptions import ActivityFailed

from controllers.adapters.aws import aws_client
from ports.types import FaultKind, FaultSpec

__all__ = [
    "apply_write_pressure",
    "fail_cloudfront_origin",
    "fail_health_check",
    "health_check_inverted",
    "origin_domain",
    "queue_depth",
    "restore_cloudfront_origin",
    "restore_health_check",
    "restore_table_capacity",
    "start_queue_consumers",
    "stop_queue_consumers",
    "table_billing_mode",
    "throttle_table_writes",
]

TAG = "reelops-chaos"
UNREACHABLE_SUFFIX = ".reelops-chaos.invalid"  # RFC 2606: .invalid never resolves
Configuration = Mapping[str, Any] | None
TIMEOUT_S = 30.0  # control-plane calls (CloudFront updates) can be slow; still bounded


def client(service: str, configuration: Configuration) -> Any:
    """The shared, cached client for the experiment's region and endpoint (moto in tests)."""
    config = configuration or {}
    region = str(config.get("aws_region", "us-east-1"))
    return aws_client(service, region, config.get("aws_endpoint_url") or None, timeout_s=TIMEOUT_S)


def guard(what: str, exc: Exception) -> ActivityFailed:
    return ActivityFailed(f"{what}: {exc}")


# --- Route 53 ------------------------------------------------------------------------------------
def health_check_tags(r53: Any, health_check_id: str) -> dict[str, str]:
    sets = r53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=health_check_id)["ResourceTagSet"]
    return {t["Key"]: t["Value"] for t in sets.get("Tags", [])}


def fail_health_check(health_check_id: str, configuration: Configuration = None) -> dict[str, Any]:
    """Invert a health check: Route 53 sees the endpoint as unhealthy and fails DNS over."""
    r53 = client("route53", configuration)
    try:
        config = r53.get_health_check(HealthCheckId=health_check_id)["HealthCheck"]["HealthCheckConfig"]
        before = bool(config.get("Inverted", False))
        if f"{TAG}:inverted-before" not in health_check_tags(r53, health_check_id):
            r53.change_tags_for_resource(
                ResourceType="healthcheck",
                ResourceId=health_check_id,
                AddTags=[{"Key": f"{TAG}:inverted-before", "Value": str(before).lower()}],
            )
        r53.update_health_check(HealthCheckId=health_check_id, Inverted=not before)
    except (ClientError, BotoCoreError) as exc:
        raise guard(f"fail_health_check {health_check_id}", exc) from None
    return {"health_check_id": health_check_id, "inverted": not before}


def restore_health_check(health_check_id: str, configuration: Configuration = None) -> bool:
    """Rollback: put Inverted back as it was; False when this toolkit had changed nothing."""
    r53 = client("route53", configuration)
    try:
        before = health_check_tags(r53, health_check_id).get(f"{TAG}:inverted-before")
        if before is None:
            return False
        r53.update_health_check(HealthCheckId=health_check_id, Inverted=before == "true")
        r53.change_tags_for_resource(
            ResourceType="healthcheck", ResourceId=health_check_id, RemoveTagKeys=[f"{TAG}:inverted-before"]
        )
    except (ClientError, BotoCoreError) as exc:
        raise guard(f"restore_health_check {health_check_id}", exc) from None
    return True


def health_check_inverted(health_check_id: str, configuration: Configuration = None) -> bool:
    r53 = client("route53", configuration)
    config = r53.get_health_check(HealthCheckId=health_check_id)["HealthCheck"]["HealthCheckConfig"]
    return bool(config.get("Inverted", False))


# --- CloudFront ----------------------------------------------------------------------------------
def find_origin(config: dict[str, Any], origin_id: str) -> dict[str, Any]:
    for origin in config["Origins"].get("Items", []):
        if origin["Id"] == origin_id:
            return dict(origin)
    known = [o["Id"] for o in config["Origins"].get("Items", [])]
    raise ActivityFailed(f"origin {origin_id!r} not in the distribution; it has {known}")


def set_origin_domain(cf: Any, distribution_id: str, origin_id: str, domain: str) -> str:
    """Change one origin's domain name; returns the previous one."""
    answer = cf.get_distribution_config(Id=distribution_id)
    config, etag = answer["DistributionConfig"], answer["ETag"]
    origin = find_origin(config, origin_id)
    previous = str(origin["DomainName"])
    for item in config["Origins"]["Items"]:
        if item["Id"] == origin_id:
            item["DomainName"] = domain
    cf.update_distribution(Id=distribution_id, IfMatch=etag, DistributionConfig=config)
    return previous


def fail_cloudfront_origin(distribution_id: str, origin_id: str, configuration: Configuration = None) -> str:
    """Point the origin at a host that never resolves; returns the original domain name."""
    cf = client("cloudfront", configuration)
    try:
        config = cf.get_distribution_config(Id=distribution_id)["DistributionConfig"]
        current = str(find_origin(config, origin_id)["DomainName"])
        if current.endswith(UNREACHABLE_SUFFIX):
            return current.removesuffix(UNREACHABLE_SUFFIX)  # already failed by us
        return set_origin_domain(cf, distribution_id, origin_id, current + UNREACHABLE_SUFFIX)
    except (ClientError, BotoCoreError) as exc:
        raise guard(f"fail_cloudfront_origin {distribution_id}/{origin_id}", exc) from None


def restore_cloudfront_origin(distribution_id: str, origin_id: str, configuration: Configuration = None) -> bool:
    """Rollback: strip the unreachable suffix (the original name is inside it); False if untouched."""
    cf = client("cloudfront", configuration)
    try:
        config = cf.get_distribution_config(Id=distribution_id)["DistributionConfig"]
        current = str(find_origin(config, origin_id)["DomainName"])
        if not current.endswith(UNREACHABLE_SUFFIX):
            return False
        set_origin_domain(cf, distribution_id, origin_id, current.removesuffix(UNREACHABLE_SUFFIX))
    except (ClientError, BotoCoreError) as exc:
        raise guard(f"restore_cloudfront_origin {distribution_id}/{origin_id}", exc) from None
    return True


def origin_domain(distribution_id: str, origin_id: str, configuration: Configuration = None) -> str:
    cf = client("cloudfront", configuration)
    config = cf.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    return str(find_origin(config, origin_id)["DomainName"])


# --- DynamoDB ------------------------------------------------------------------------------------
def table_tags(ddb: Any, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn).get("Tags", [])}


def throttle_table_writes(table_name: str, write_units: int = 1, configuration: Configuration = None) -> dict[str, Any]:
    """Switch the table to provisioned mode with ``write_units`` WCU: writes beyond that throttle."""
    ddb = client("dynamodb", configuration)
    try:
        table = ddb.describe_table(TableName=table_name)["Table"]
        mode = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        read_units = int(table.get("ProvisionedThroughput", {}).get("ReadCapacityUnits") or 0) or 5
        old_writes = int(table.get("ProvisionedThroughput", {}).get("WriteCapacityUnits") or 0)
        if f"{TAG}:billing-before" not in table_tags(ddb, table["TableArn"]):
            ddb.tag_resource(
                ResourceArn=table["TableArn"],
                Tags=[{"Key": f"{TAG}:billing-before", "Value": f"{mode}:{read_units}:{old_writes}"}],
            )
        ddb.update_table(
            TableName=table_name,
            BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": read_units, "WriteCapacityUnits": max(1, write_units)},
        )
    except (ClientError, BotoCoreError) as exc:
        raise guard(f"throttle_table_writes {table_name}", exc) from None
    return {"table": table_name, "billing_mode_before": mode, "write_units": max(1, write_units)}


def restore_table_capacity(table_name: str, configuration: Configuration = None) -> bool:
    """Rollback: the billing mode (and provisioned units) the table had before; False if untouched."""
    ddb = client("dynamodb", configuration)
    try:
        table = ddb.describe_table(TableName=table_name)["Table"]
        before = table_tags(ddb, table["TableArn"]).get(f"{TAG}:billing-before")
        if before is None:
            return False
        mode, reads, writes = before.split(":")
        if mode == "PAY_PER_REQUEST":
            ddb.update_table(TableName=table_name, BillingMode="PAY_PER_REQUEST")
        else:
            throughput = {"ReadCapacityUnits": int(reads), "WriteCapacityUnits": max(1, int(writes))}
            ddb.update_table(TableName=table_name, BillingMode="PROVISIONED", ProvisionedThroughput=throughput)
        ddb.untag_resource(ResourceArn=table["TableArn"], TagKeys=[f"{TAG}:billing-before"])
    except (ClientError, BotoCoreError) as exc:
        raise guard(f"restore_table_capacity {table_name}", exc) from None
    return True


def apply_write_pressure(table_name: str, writes: int = 100, configuration: Configuration = None) -> dict[str, int]:
    """Write ``writes`` small items (batches of 25) to consume write capacity; counts what throttled."""
    ddb = client("dynamodb", configuration)
    key = next(
        k["AttributeName"]
        for k in ddb.describe_table(TableName=table_name)["Table"]["KeySchema"]
        if k["KeyType"] == "HASH"
    )
    written = throttled = 0
    for start in range(0, writes, 25):
        batch = [
            {"PutRequest": {"Item": {key: {"S": f"{TAG}-{uuid.uuid4()}"}}}} for _ in range(min(25, writes - start))
        ]
        try:
            answer = ddb.batch_write_item(RequestItems={table_name: batch})
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ProvisionedThroughputExceededException":
                raise guard(f"apply_write_pressure {table_name}", exc) from None
            throttled += len(batch)
            continue
        unprocessed = len(answer.get("UnprocessedItems", {}).get(table_name, []))
        written, throttled = written + len(batch) - unprocessed, throttled + unprocessed
    return {"written": written, "throttled": throttled}


def table_billing_mode(table_name: str, configuration: Configuration = None) -> str:
    table = client("dynamodb", configuration).describe_table(TableName=table_name)["Table"]
    return str(table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"))


# --- SQS consumers -------------------------------------------------------------------------------
def group_of(asg: Any, name: str) -> dict[str, Any]:
    groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    if not groups:
        raise ActivityFailed(f"no Auto Scaling group named {name!r}")
    return dict(groups[0])


def stop_queue_consumers(autoscaling_group: str, configuration: Configuration = None) -> dict[str, int]:
    """Scale the queue's consumer group to zero (min and desired), remembering the sizes in a tag."""
    asg = client("autoscaling", configuration)
    try:
        group = group_of(asg, autoscaling_group)
        tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
        if f"{TAG}:size-before" not in tags:
            asg.create_or_update_tags(
                Tags=[
                    {
                        "ResourceId": autoscaling_group,
                        "ResourceType": "auto-scaling-group",
                        "Key": f"{TAG}:size-before",
                        "Value": f"{group['MinSize']}:{group['DesiredCapacity']}",
                        "PropagateAtLaunch": False,
                    }
                ]
            )
        asg.update_auto_scaling_group(AutoScalingGroupName=autoscaling_group, MinSize=0, DesiredCapacity=0)
    except (ClientError, BotoCoreError) as exc:
        raise guard(f"stop_queue_consumers {autoscaling_group}", exc) from None
    return {"min_before": int(group["MinSize"]), "desired_before": int(group["DesiredCapacity"])}


def start_queue_consumers(autoscaling_group: str, configuration: Configuration = None) -> bool:
    """Rollback: the consumer group's sizes before the stop; False if this toolkit changed nothing."""
    asg = client("autoscaling", configuration)
    try:
        tags = {t["Key"]: t["Value"] for t in group_of(asg, autoscaling_group).get("Tags", [])}
        before = tags.get(f"{TAG}:size-before")
        if before is None:
            return False
        min_size, desired = (int(v) for v in before.split(":"))
        asg.update_auto_scaling_group(AutoScalingGroupName=autoscaling_group, MinSize=min_size, DesiredCapacity=desired)
        asg.delete_tags(
            Tags=[{"ResourceId": autoscaling_group, "ResourceType": "auto-scaling-group", "Key": f"{TAG}:size-before"}]
        )
    except (ClientError, BotoCoreError) as exc:
        raise guard(f"start_queue_consumers {autoscaling_group}", exc) from None
    return True


def queue_depth(queue_url: str, configuration: Configuration = None) -> int:
    attrs = client("sqs", configuration).get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


# --- the FaultSpec dispatch used by chaos.actions when configuration.target == "aws" -------------
def resources_for(fault_target: str, configuration: Configuration) -> dict[str, Any]:
    targets = (configuration or {}).get("aws_targets") or {}
    if fault_target not in targets:
        raise ActivityFailed(f"configuration.aws_targets has no entry for {fault_target!r}; it has {sorted(targets)}")
    return dict(targets[fault_target])


def inject_fault(fault: FaultSpec, configuration: Configuration) -> str:
    """Map a FaultSpec onto the AWS action that produces it; returns a fault id."""
    ids = resources_for(fault.target, configuration)
    if fault.kind is FaultKind.REGION_DOWN:
        fail_health_check(ids["health_check_id"], configuration)
    elif fault.kind is FaultKind.ORIGIN_DOWN:
        fail_cloudfront_origin(ids["distribution_id"], ids["origin_id"], configuration)
    elif fault.kind is FaultKind.TABLE_THROTTLE:
        throttle_table_writes(ids["table_name"], int(ids.get("write_units", 1)), configuration)
    elif fault.kind is FaultKind.QUEUE_CONSUMER_STOP:
        stop_queue_consumers(ids["autoscaling_group"], configuration)
    else:
        raise ActivityFailed(
            f"fault kind {fault.kind.value!r} is not injected by reelops on AWS; use AWS FIS "
            "(chaostoolkit-aws fis actions, e.g. the AZ power interruption scenario) for AZ and instance faults"
        )
    return f"aws:{fault.kind.value}:{fault.target}"


def clear_faults(configuration: Configuration) -> int:
    """Rollback every configured AWS target this toolkit changed; returns how many it restored."""
    restored = 0
    for ids in ((configuration or {}).get("aws_targets") or {}).values():
        if "health_check_id" in ids:
            restored += restore_health_check(ids["health_check_id"], configuration)
        if "distribution_id" in ids:
            restored += restore_cloudfront_origin(ids["distribution_id"], ids["origin_id"], configuration)
        if "table_name" in ids:
            restored += restore_table_capacity(ids["table_name"], configuration)
        if "autoscaling_group" in ids:
            restored += start_queue_consumers(ids["autoscaling_group"], configuration)
    return restored

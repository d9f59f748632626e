"""AWS chaos actions against moto's server over HTTP: each fault lands, each rollback restores."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from chaoslib.exceptions import ActivityFailed

from chaos import actions, aws_adapters


def conf(endpoint: str, **targets: dict[str, Any]) -> dict[str, Any]:
    return {"target": "aws", "aws_region": "us-east-1", "aws_endpoint_url": endpoint, "aws_targets": targets}


def make(service: str, endpoint: str) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint)  # type: ignore[call-overload]


def test_health_check_failover_and_rollback(moto_reset: str) -> None:
    r53 = make("route53", moto_reset)
    hc = r53.create_health_check(
        CallerReference="wg",
        HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": "edge.example.com", "Port": 443},
    )["HealthCheck"]["Id"]
    c = conf(moto_reset, **{"us-east-1": {"health_check_id": hc}})
    assert actions.inject_fault("region_down", "us-east-1", configuration=c) == "aws:region_down:us-east-1"
    assert aws_adapters.health_check_inverted(hc, c) is True
    assert actions.clear_faults(configuration=c) == 1
    assert aws_adapters.health_check_inverted(hc, c) is False
    assert actions.clear_faults(configuration=c) == 0  # nothing left to restore


def test_table_throttle_write_pressure_and_rollback(moto_reset: str) -> None:
    ddb = make("dynamodb", moto_reset)
    ddb.create_table(
        TableName="progress",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    c = conf(moto_reset, progress={"table_name": "progress", "write_units": 2})
    actions.inject_fault("table_throttle", "progress", severity=0.9, configuration=c)
    assert aws_adapters.table_billing_mode("progress", c) == "PROVISIONED"
    pressure = aws_adapters.apply_write_pressure("progress", writes=60, configuration=c)
    assert pressure["written"] + pressure["throttled"] == 60
    assert actions.clear_faults(configuration=c) == 1
    assert aws_adapters.table_billing_mode("progress", c) == "PAY_PER_REQUEST"


def test_queue_consumers_stop_and_restart(moto_reset: str) -> None:
    ec2, asg = make("ec2", moto_reset), make("autoscaling", moto_reset)
    ec2.create_launch_template(
        LaunchTemplateName="consumers-lt", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"}
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="write-consumers",
        LaunchTemplate={"LaunchTemplateName": "consumers-lt"},
        MinSize=2,
        MaxSize=6,
        DesiredCapacity=3,
        AvailabilityZones=["us-east-1a"],
    )
    sqs = make("sqs", moto_reset)
    url = sqs.create_queue(QueueName="write-buffer")["QueueUrl"]
    c = conf(moto_reset, **{"write-buffer": {"autoscaling_group": "write-consumers"}})
    actions.inject_fault("queue_consumer_stop", "write-buffer", configuration=c)
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["write-consumers"])["AutoScalingGroups"][0]
    assert (group["MinSize"], group["DesiredCapacity"]) == (0, 0)
    sqs.send_message(QueueUrl=url, MessageBody="w1")
    assert aws_adapters.queue_depth(url, c) == 1
    assert actions.clear_faults(configuration=c) == 1
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["write-consumers"])["AutoScalingGroups"][0]
    assert (group["MinSize"], group["DesiredCapacity"]) == (2, 3)


def test_cloudfront_origin_failure_and_rollback(moto_reset: str) -> None:
    cf = make("cloudfront", moto_reset)
    origin = {
        "Id": "origin-us",
        "DomainName": "renditions-us.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    dist = cf.create_distribution(
        DistributionConfig={
            "CallerReference": "wg",
            "Comment": "",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "origin-us",
                "ViewerProtocolPolicy": "allow-all",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
            },
        }
    )["Distribution"]["Id"]
    c = conf(moto_reset, **{"origin-us": {"distribution_id": dist, "origin_id": "origin-us"}})
    actions.inject_fault("origin_down", "origin-us", configuration=c)
    assert aws_adapters.origin_domain(dist, "origin-us", c).endswith(".invalid")
    assert actions.clear_faults(configuration=c) == 1
    assert aws_adapters.origin_domain(dist, "origin-us", c) == "renditions-us.s3.amazonaws.com"


def test_az_loss_is_left_to_fis_and_unknown_targets_are_named(moto_reset: str) -> None:
    c = conf(moto_reset, **{"us-east-1a": {}})
    with pytest.raises(ActivityFailed, match="FIS"):
        actions.inject_fault("az_down", "us-east-1a", configuration=c)
    with pytest.raises(ActivityFailed, match="aws_targets has no entry for 'eu-west-1'"):
        actions.inject_fault("region_down", "eu-west-1", configuration=c)

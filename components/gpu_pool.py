"""GpuEncodePool: one region-pinned GPU encode pool with its own queue (SPEC section 3).

An Auto Scaling group with a mixed-instances policy (on-demand base from the model, spot above it
with price-capacity-optimized allocation, capacity rebalance, several GPU instance types), fed by an
SQS encode queue with a dead-letter queue. Step scaling on queue depth follows the pool's
``thresholds``: a high-depth alarm drives +add_small / +add_large steps, a low-depth alarm held for
``idle_terminate_minutes`` scales in. The instance role may only receive/delete on its own queue and
read uploads / write renditions in its own jurisdiction's buckets.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.queues import make_queue_with_dlq
from components.tagging import DATA_PLANE_TAG, asg_tags, assume_role_policy, cost_tags, policy_document
from stacks.model import GpuPoolSpec, QueueSpec

COST_CENTER = "encoding"
QUEUE_DEPTH_METRIC = "ApproximateNumberOfMessagesVisible"
ALARM_PERIOD_S = 60


@dataclass(frozen=True)
class GpuEncodePoolArgs:
    pool: GpuPoolSpec
    queue: QueueSpec
    physical_prefix: str
    jurisdiction: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    read_bucket_arns: Sequence[pulumi.Input[str]]
    write_bucket_arns: Sequence[pulumi.Input[str]]
    key_arns: Sequence[pulumi.Input[str]]


class GpuEncodePool(pulumi.ComponentResource):
    """Launch template, least-privilege role, mixed-instances ASG, encode queue + DLQ, step scaling."""

    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    dlq_arn: pulumi.Output[str]
    group_name: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: GpuEncodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("reelops:encoding:GpuEncodePool", name, None, opts)
        self.name, self.args = name, args
        self.child = pulumi.ResourceOptions(parent=self)
        self.tags = cost_tags(COST_CENTER, pool=args.pool.name)
        queue, dlq = make_queue_with_dlq(
            f"{name}-encode",
            f"{args.physical_prefix}-{args.pool.name}-encode",
            args.queue,
            args.key_arns[0],
            COST_CENTER,
            self.child,
        )
        self.queue_url, self.queue_arn, self.dlq_arn = queue.url, queue.arn, dlq.arn
        role = self.make_role()
        template = self.make_launch_template(role)
        group = self.make_group(template)
        self.make_scaling(group, queue)
        self.group_name, self.role_arn = group.name, role.arn
        self.register_outputs(
            {
                "queue_url": queue.url,
                "queue_arn": queue.arn,
                "dlq_arn": dlq.arn,
                "group_name": group.name,
                "role_arn": role.arn,
            }
        )

    def make_role(self) -> aws.iam.Role:
        args = self.args
        role = aws.iam.Role(
            f"{self.name}-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            tags={**self.tags, DATA_PLANE_TAG[0]: DATA_PLANE_TAG[1]},
            opts=self.child,
        )
        document = pulumi.Output.all(
            self.queue_arn, list(args.read_bucket_arns), list(args.write_bucket_arns), list(args.key_arns)
        ).apply(
            lambda a: policy_document(
                [
                    (
                        "OwnQueue",
                        [
                            "sqs:ReceiveMessage",
                            "sqs:DeleteMessage",
                            "sqs:ChangeMessageVisibility",
                            "sqs:GetQueueAttributes",
                        ],
                        [a[0]],
                    ),
                    ("ReadUploads", ["s3:GetObject"], [f"{arn}/*" for arn in a[1]]),
                    ("WriteRenditions", ["s3:PutObject", "s3:GetObject"], [f"{arn}/*" for arn in a[2]]),
                    ("UseJurisdictionKeys", ["kms:Decrypt", "kms:GenerateDataKey"], list(a[3])),
                ]
            )
        )
        aws.iam.RolePolicy(f"{self.name}-role-policy", role=role.id, policy=document, opts=self.child)
        return role

    def make_launch_template(self, role: aws.iam.Role) -> aws.ec2.LaunchTemplate:
        pool, name = self.args.pool, self.name
        profile = aws.iam.InstanceProfile(f"{name}-profile", role=role.name, tags=self.tags, opts=self.child)
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=self.args.vpc_id,
            description=f"{name} workers: egress only",
            egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
            tags=self.tags,
            opts=self.child,
        )
        user_data = self.queue_url.apply(lambda url: base64.b64encode(worker_boot_script(pool, url).encode()).decode())
        instance_tags = {**self.tags, "jurisdiction": self.args.jurisdiction}
        return aws.ec2.LaunchTemplate(
            f"{name}-template",
            image_id=pool.ami_id,
            update_default_version=True,
            iam_instance_profile={"arn": profile.arn},
            vpc_security_group_ids=[group.id],
            user_data=user_data,
            metadata_options={"http_tokens": "required", "http_endpoint": "enabled"},
            tag_specifications=[{"resource_type": kind, "tags": instance_tags} for kind in ("instance", "volume")],
            tags=self.tags,
            opts=self.child,
        )

    def make_group(self, template: aws.ec2.LaunchTemplate) -> aws.autoscaling.Group:
        pool = self.args.pool
        return aws.autoscaling.Group(
            f"{self.name}-group",
            min_size=pool.min_size,
            max_size=pool.max_size,
            vpc_zone_identifiers=list(self.args.subnet_ids),
            capacity_rebalance=True,
            default_instance_warmup=int(pool.startup_seconds),
            mixed_instances_policy={
                "instances_distribution": {
                    "on_demand_base_capacity": pool.on_demand_base,
                    "on_demand_percentage_above_base_capacity": 0,
                    "spot_allocation_strategy": "price-capacity-optimized",
                    "spot_max_price": str(pool.spot_max_price_usd) if pool.spot_max_price_usd else None,
                },
                "launch_template": {
                    "launch_template_specification": {"launch_template_id": template.id, "version": "$Latest"},
                    "overrides": [{"instance_type": t} for t in pool.instance_types],
                },
            },
            tags=asg_tags({**self.tags, "jurisdiction": self.args.jurisdiction}),
            opts=pulumi.ResourceOptions.merge(self.child, pulumi.ResourceOptions(ignore_changes=["desiredCapacity"])),
        )

    def make_scaling(self, group: aws.autoscaling.Group, queue: aws.sqs.Queue) -> None:
        t, name = self.args.pool.thresholds, self.name
        warmup = int(self.args.pool.startup_seconds)
        out = aws.autoscaling.Policy(
            f"{name}-scale-out",
            autoscaling_group_name=group.name,
            policy_type="StepScaling",
            adjustment_type="ChangeInCapacity",
            estimated_instance_warmup=warmup,
            step_adjustments=[
                {
                    "metric_interval_lower_bound": "0",
                    "metric_interval_upper_bound": str(t.add_20_above - t.add_10_above),
                    "scaling_adjustment": t.add_small,
                },
                {
                    "metric_interval_lower_bound": str(t.add_20_above - t.add_10_above),
                    "scaling_adjustment": t.add_large,
                },
            ],
            opts=self.child,
        )
        scale_in = aws.autoscaling.Policy(
            f"{name}-scale-in",
            autoscaling_group_name=group.name,
            policy_type="StepScaling",
            adjustment_type="ChangeInCapacity",
            step_adjustments=[{"metric_interval_upper_bound": "0", "scaling_adjustment": -t.add_small}],
            opts=self.child,
        )
        self.make_alarm("depth-high", queue, "GreaterThanThreshold", t.add_10_above, 1, out.arn)
        self.make_alarm(
            "depth-low", queue, "LessThanThreshold", t.scale_in_below, t.idle_terminate_minutes, scale_in.arn
        )

    def make_alarm(
        self,
        suffix: str,
        queue: aws.sqs.Queue,
        comparison: str,
        threshold: int,
        periods: int,
        action: pulumi.Output[str],
    ) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{self.name}-{suffix}",
            namespace="AWS/SQS",
            metric_name=QUEUE_DEPTH_METRIC,
            dimensions={"QueueName": queue.name},
            statistic="Maximum",
            period=ALARM_PERIOD_S,
            evaluation_periods=periods,
            threshold=threshold,
            comparison_operator=comparison,
            treat_missing_data="notBreaching",
            alarm_actions=[action],
            tags=self.tags,
            opts=self.child,
        )


def worker_boot_script(pool: GpuPoolSpec, queue_url: str) -> str:
    """cloud-init for an encode worker: which queue to poll and when to give up idle."""
    return "\n".join(
        [
            "#!/bin/bash",
            "set -euo pipefail",
            f"echo 'REELOPS_POOL={pool.name}' >> /etc/environment",
            f"echo 'REELOPS_QUEUE_URL={queue_url}' >> /etc/environment",
            f"echo 'REELOPS_IDLE_MINUTES={pool.thresholds.idle_terminate_minutes}' >> /etc/environment",
            "systemctl enable --now reelops-encoder.service",
        ]
    )

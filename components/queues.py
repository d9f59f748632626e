"""Queues with dead-letter queues, shared by the data plane (write buffer) and GPU pools (encode queue)."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components.tagging import cost_tags
from stacks.model import QueueSpec


def make_queue_with_dlq(
    name: str,
    physical: str,
    queue: QueueSpec,
    key_arn: pulumi.Input[str],
    cost_center: str,
    opts: pulumi.ResourceOptions,
) -> tuple[aws.sqs.Queue, aws.sqs.Queue]:
    """A KMS-encrypted queue whose failed messages land in its own dead-letter queue."""
    tags = cost_tags(cost_center)
    dlq = aws.sqs.Queue(
        f"{name}-dlq",
        name=f"{physical}-dlq",
        kms_master_key_id=key_arn,
        message_retention_seconds=queue.retention_s,
        tags=tags,
        opts=opts,
    )
    main = aws.sqs.Queue(
        name,
        name=physical,
        kms_master_key_id=key_arn,
        visibility_timeout_seconds=queue.visibility_timeout_s,
        message_retention_seconds=queue.retention_s,
        redrive_policy=dlq.arn.apply(
            lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": queue.max_receive_count})
        ),
        tags=tags,
        opts=opts,
    )
    return main, dlq

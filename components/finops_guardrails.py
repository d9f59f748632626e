"""FinOpsGuardrails: daily budget alerts, the breaker's trigger topic, anomaly detection, cost tags.

SPEC section 9: daily spend above notify_usd notifies engineering, above page_usd pages on-call and
emails finance (P4), above breaker_usd publishes to the breaker topic the budget circuit breaker
subscribes to (its ARN is exported). Cost Anomaly Detection watches every service and alerts
immediately through SNS on an impact of ``anomaly_impact_percent`` or more. ``cost_center`` and
``jurisdiction`` are activated as cost allocation tags so billing data can be shown back by them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.tagging import REQUIRED_TAGS, cost_tags
from stacks.model import BudgetSpec

COST_CENTER = "observability"
PUBLISHERS = ("budgets.amazonaws.com", "costalerts.amazonaws.com")


@dataclass(frozen=True)
class FinOpsGuardrailsArgs:
    prefix: str
    budgets: BudgetSpec


def topic_policy(topic_arn: str, account_id: str) -> str:
    """Let AWS Budgets and Cost Anomaly Detection publish, for this account only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "BillingAlerts",
                    "Effect": "Allow",
                    "Principal": {"Service": list(PUBLISHERS)},
                    "Action": "SNS:Publish",
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            ],
        }
    )


class FinOpsGuardrails(pulumi.ComponentResource):
    """SNS topics per threshold, a daily cost budget, an anomaly monitor + subscription, cost tags."""

    notify_topic_arn: pulumi.Output[str]
    page_topic_arn: pulumi.Output[str]
    breaker_topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: FinOpsGuardrailsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("reelops:finops:FinOpsGuardrails", name, None, opts)
        self.name, self.args = name, args
        self.child = pulumi.ResourceOptions(parent=self)
        self.tags = cost_tags(COST_CENTER)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
        topics = {level: self.make_topic(level, account) for level in ("notify", "page", "breaker")}
        self.make_budget(topics)
        self.make_anomaly_detection(topics["notify"])
        for key in REQUIRED_TAGS:
            aws.costexplorer.CostAllocationTag(f"{name}-tag-{key}", tag_key=key, status="Active", opts=self.child)
        self.notify_topic_arn, self.page_topic_arn = topics["notify"].arn, topics["page"].arn
        self.breaker_topic_arn = topics["breaker"].arn
        self.register_outputs({f"{level}_topic_arn": t.arn for level, t in topics.items()})

    def make_topic(self, level: str, account: pulumi.Output[str]) -> aws.sns.Topic:
        topic = aws.sns.Topic(
            f"{self.name}-{level}",
            name=f"{self.args.prefix}-budget-{level}",
            tags=cost_tags(COST_CENTER, alert=level),
            opts=self.child,
        )
        aws.sns.TopicPolicy(
            f"{self.name}-{level}-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, account).apply(lambda a: topic_policy(a[0], a[1])),
            opts=self.child,
        )
        return topic

    def make_budget(self, topics: dict[str, aws.sns.Topic]) -> aws.budgets.Budget:
        b = self.args.budgets
        levels = (
            ("notify", b.notify_usd, [b.engineering_email]),
            ("page", b.page_usd, [b.oncall_email, b.finance_email]),
            ("breaker", b.breaker_usd, [b.oncall_email]),
        )
        notifications = [
            {
                "comparison_operator": "GREATER_THAN",
                "threshold": amount,
                "threshold_type": "ABSOLUTE_VALUE",
                "notification_type": "ACTUAL",
                "subscriber_sns_topic_arns": [topics[level].arn],
                "subscriber_email_addresses": emails,
            }
            for level, amount, emails in levels
        ]
        return aws.budgets.Budget(
            f"{self.name}-daily",
            name=f"{self.args.prefix}-daily-spend",
            budget_type="COST",
            time_unit="DAILY",
            limit_amount=f"{b.breaker_usd:.2f}",
            limit_unit="USD",
            notifications=notifications,
            tags=self.tags,
            opts=self.child,
        )

    def make_anomaly_detection(self, topic: aws.sns.Topic) -> None:
        monitor = aws.costexplorer.AnomalyMonitor(
            f"{self.name}-anomalies",
            name=f"{self.args.prefix}-services",
            monitor_type="DIMENSIONAL",
            monitor_dimension="SERVICE",
            tags=self.tags,
            opts=self.child,
        )
        aws.costexplorer.AnomalySubscription(
            f"{self.name}-anomaly-alerts",
            name=f"{self.args.prefix}-anomaly-alerts",
            frequency="IMMEDIATE",
            monitor_arn_lists=[monitor.arn],
            subscribers=[{"type": "SNS", "address": topic.arn}],
            threshold_expression={
                "dimension": {
                    "key": "ANOMALY_TOTAL_IMPACT_PERCENTAGE",
                    "match_options": ["GREATER_THAN_OR_EQUAL"],
                    "values": [f"{self.args.budgets.anomaly_impact_percent:g}"],
                }
            },
            tags=self.tags,
            opts=self.child,
        )

"""Backends of the budget breaker: local state and knob files, notifications, the budget SNS topic.

- ``FileBreakerStore``: the breaker's memory as one JSON file (``ops breaker status|override|release``
  read and write the same file); in dry-run it keeps a shadow copy in memory and leaves the file alone.
- ``FileKnobs``: knob values in a JSON file, for running the breaker locally against a service that
  reads them; defaults are the policy's normal values.
- ``JsonLinesNotifier``: notifications appended as JSON lines (the on-call integration tails it).
- ``SqsBudgetAlerts``: AWS Budgets publishes to the budget SNS topic; an SQS queue subscribed to it
  is polled here and the latest alert of the day is kept (the slow, second signal).
- ``SnsNotifier``: notifications published to an SNS topic.

The breaker's AWS state store and knobs (DynamoDB, SSM, Auto Scaling) are in ``aws_adapters``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from controllers.adapters.aws import AwsClients, aws_client, port_errors
from controllers.breaker.models import BillingAlert, BreakerMemory, BreakerPolicy, Channel
from ports.interfaces import PortError


class FileBreakerStore:
    """BreakerMemory persisted as JSON; writes are atomic (temp file + rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.shadow: BreakerMemory | None = None

    def load(self) -> BreakerMemory:
        if self.shadow is not None:
            return self.shadow
        if not self.path.exists():
            return BreakerMemory()
        try:
            return BreakerMemory.model_validate_json(self.path.read_text())
        except ValidationError as exc:
            raise PortError(f"{self.path}: breaker state file is invalid: {exc.errors()[0]['msg']}") from None

    def save(self, memory: BreakerMemory, *, dry_run: bool) -> None:
        if dry_run:
            self.shadow = memory
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(memory.model_dump_json(indent=2))
        tmp.replace(self.path)


class FileKnobs:
    """Knob values in a JSON object file; missing knobs read as the policy's normal values."""

    def __init__(self, path: Path, policy: BreakerPolicy) -> None:
        self.path = path
        self.defaults = {d.knob.value: d.normal for d in policy.degradations}

    def read_knobs(self) -> dict[str, float]:
        stored: dict[str, float] = json.loads(self.path.read_text()) if self.path.exists() else {}
        return {**self.defaults, **stored}

    def set_knob(self, knob: str, value: float, *, dry_run: bool) -> None:
        if knob not in self.defaults:
            raise PortError(f"unknown knob {knob!r} (known: {sorted(self.defaults)})")
        if dry_run:
            return
        values = {**self.read_knobs(), knob: value}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(values, indent=2, sort_keys=True))


class JsonLinesNotifier:
    """Appends ``{"channel", "message", "dry_run", "at"}`` lines to a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def notify(self, channel: Channel, message: str, *, dry_run: bool) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {"channel": channel.value, "message": message, "dry_run": dry_run, "at": time.time()}
        with self.path.open("a") as fh:
            fh.write(json.dumps(line) + "\n")


AMOUNT = r"\$?([0-9][0-9,]*(?:\.[0-9]+)?)"
FIELDS = {
    "budget_name": re.compile(r"Budget Name:\s*(\S.*)"),
    "threshold": re.compile(r"Alert Threshold:\s*[<>=]*\s*" + AMOUNT),
    "actual": re.compile(r"ACTUAL Amount:\s*" + AMOUNT, re.IGNORECASE),
    "forecasted": re.compile(r"FORECASTED Amount:\s*" + AMOUNT, re.IGNORECASE),
}


def parse_budget_notification(text: str, received_at: float) -> BillingAlert | None:
    """Read an AWS Budgets notification (plain text, possibly inside an SNS envelope); None if not one."""
    body = unwrap_sns(text)
    found = {k: rx.search(body) for k, rx in FIELDS.items()}
    name, threshold = found["budget_name"], found["threshold"]
    amount = found["actual"] or found["forecasted"]
    if not (name and threshold and amount):
        return None
    return BillingAlert(
        budget_name=name.group(1).strip(),
        threshold_usd=to_usd(threshold.group(1)),
        amount_usd=to_usd(amount.group(1)),
        kind="actual" if found["actual"] else "forecasted",
        received_at=received_at,
    )


def unwrap_sns(text: str) -> str:
    try:
        envelope: Any = json.loads(text)
    except json.JSONDecodeError:
        return text
    return str(envelope.get("Message", text)) if isinstance(envelope, dict) else text


def to_usd(raw: str) -> float:
    return float(raw.replace(",", ""))


class SqsBudgetAlerts:
    """Polls the SQS queue subscribed to the budget SNS topic; keeps the latest actual-spend alert."""

    def __init__(
        self, queue: str, *, region: str, endpoint_url: str | None = None, clients: AwsClients | None = None
    ) -> None:
        """``queue``: the queue's URL, or its name (looked up on first poll)."""
        self.queue = queue
        self.queue_url: str | None = queue if "://" in queue else None
        self.client = clients.client("sqs", region) if clients else aws_client("sqs", region, endpoint_url)
        self.last: BillingAlert | None = None
        self.ignored = 0

    def latest(self, now: float) -> BillingAlert | None:
        """Drain what arrived since the last poll, delete it, and return the newest alert."""
        with port_errors(f"budget alert queue {self.queue}"):
            if self.queue_url is None:
                self.queue_url = str(self.client.get_queue_url(QueueName=self.queue)["QueueUrl"])
            reply = self.client.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            for message in reply.get("Messages", []):
                self._take(message.get("Body", ""), now)
                self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return self.last

    def _take(self, body: str, now: float) -> None:
        alert = parse_budget_notification(body, now)
        if alert is None:
            self.ignored += 1
        else:
            self.last = alert


class SnsNotifier:
    """Publishes notifications to one SNS topic per channel (topic ARNs, or names in this account)."""

    def __init__(
        self,
        topics: Mapping[Channel, str],
        *,
        region: str,
        endpoint_url: str | None = None,
        clients: AwsClients | None = None,
    ) -> None:
        self.topics = dict(topics)
        self.region = region
        self.client = clients.client("sns", region) if clients else aws_client("sns", region, endpoint_url)
        self.sts = clients.client("sts", region) if clients else aws_client("sts", region, endpoint_url)
        self.account: str | None = None

    def topic_arn(self, topic: str) -> str:
        """An ARN as is; a name becomes this account's topic of that name in ``region``."""
        if topic.startswith("arn:"):
            return topic
        if self.account is None:
            with port_errors("STS GetCallerIdentity (the account of the SNS topics)"):
                self.account = str(self.sts.get_caller_identity()["Account"])
        return f"arn:aws:sns:{self.region}:{self.account}:{topic}"

    def notify(self, channel: Channel, message: str, *, dry_run: bool) -> None:
        topic = self.topics.get(channel)
        if topic is None or dry_run:
            return
        with port_errors(f"SNS publish to {topic} ({channel})"):
            arn = self.topic_arn(topic)
            self.client.publish(TopicArn=arn, Message=message, Subject=f"reelops budget breaker ({channel})")


class MemoryBreakerStore:
    """BreakerMemory kept in the process (simulations, benchmarks)."""

    def __init__(self, memory: BreakerMemory | None = None) -> None:
        self.memory = memory or BreakerMemory()

    def load(self) -> BreakerMemory:
        return self.memory

    def save(self, memory: BreakerMemory, *, dry_run: bool) -> None:
        self.memory = memory


class MemoryNotifier:
    """Keeps notifications in a list (simulations, benchmarks)."""

    def __init__(self) -> None:
        self.sent: list[tuple[Channel, str, bool]] = []

    def notify(self, channel: Channel, message: str, *, dry_run: bool) -> None:
        self.sent.append((channel, message, dry_run))

"""boto3 clients for adapters that need only a client and its fault types, imported on first use.

boto3 and botocore cost about a second to import; the CLI's file-based commands (breaker status,
finance reports from FOCUS files) never touch AWS and should not pay for it. Timeouts and retries are
bounded so that a hung endpoint becomes a PortError within seconds, not a stuck control loop.
"""

from __future__ import annotations

from typing import Any


def aws_client(service: str, region: str, endpoint_url: str | None = None, timeout_s: float = 5.0) -> Any:
    """A boto3 client with bounded connect/read timeouts and standard-mode retries."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=timeout_s, read_timeout=timeout_s, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.client(service, region_name=region, endpoint_url=endpoint_url, config=config)  # type: ignore[call-overload]


def aws_errors() -> tuple[type[Exception], ...]:
    """The exceptions a boto3 call raises for service and transport faults (use in ``except``)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)

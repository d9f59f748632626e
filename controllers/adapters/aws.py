"""The one place reelops builds boto3 clients: bounded timeouts, bounded retries, endpoint overrides.

Every AWS adapter (pool scaling, routing, cache warming, DynamoDB tables, the budget breaker, FinOps
billing, the chaos actions) gets its clients here, so that a hung endpoint becomes a PortError within
seconds instead of a stuck control loop, and so that tests point everything at moto's server with one
``endpoint_url``. boto3 and botocore cost about a second to import; the CLI's file-based commands
(breaker status, finance reports from FOCUS files) never touch AWS and should not pay for it, so they
are imported on first use.

- ``client_config``: the botocore ``Config`` (timeouts, retries) every adapter starts from;
- ``AwsClients``: clients cached per (service, region) on one boto3 session, with an endpoint per
  service (``"*"`` for all: moto in tests, or VPC endpoints);
- ``aws_client``: one client from a process-wide ``AwsClients`` per (endpoint, timeout, retries);
- ``port_errors``: AWS, transport and parsing faults inside a block become ``PortError``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ports.interfaces import PortError

if TYPE_CHECKING:
    from botocore.config import Config

DEFAULT_TIMEOUT_S = 5.0
DEFAULT_CONNECT_TIMEOUT_S = 2.0  # AwsClients' default: an endpoint that does not answer fails fast
DEFAULT_RETRIES = 2  # retries after the first attempt, standard mode (exponential backoff with jitter)


def client_config(
    timeout_s: float = DEFAULT_TIMEOUT_S, *, retries: int = DEFAULT_RETRIES, connect_timeout_s: float | None = None
) -> Config:
    """Connect/read timeouts and standard-mode retries (``retries`` = attempts after the first one)."""
    from botocore.config import Config

    if timeout_s <= 0 or retries < 0:
        raise ValueError(f"timeout_s must be > 0 and retries >= 0, got {timeout_s}, {retries}")
    return Config(
        connect_timeout=connect_timeout_s if connect_timeout_s is not None else timeout_s,
        read_timeout=timeout_s,
        retries={"total_max_attempts": retries + 1, "mode": "standard"},
    )


class AwsClients:
    """boto3 clients per (service, region), created once on one session and reused (thread-safe)."""

    def __init__(self, endpoints: Mapping[str, str] | None = None, config: Config | None = None) -> None:
        import boto3

        self.session = boto3.session.Session()
        self.endpoints = dict(endpoints or {})
        self.config = config if config is not None else client_config(connect_timeout_s=DEFAULT_CONNECT_TIMEOUT_S)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def at(cls, endpoint_url: str | None, config: Config | None = None) -> AwsClients:
        """Every service at one endpoint (moto's server), or AWS's own endpoints when None."""
        return cls({"*": endpoint_url} if endpoint_url else None, config)

    def endpoint(self, service: str) -> str | None:
        return self.endpoints.get(service, self.endpoints.get("*"))

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:  # boto3 sessions are not safe to create clients from concurrently
            if key not in self._clients:
                self._clients[key] = self.session.client(
                    service,  # type: ignore[call-overload]
                    region_name=region,
                    endpoint_url=self.endpoint(service),
                    config=self.config,
                )
            return self._clients[key]


_SHARED: dict[tuple[str | None, float, int], AwsClients] = {}
_SHARED_LOCK = threading.Lock()


def shared_clients(endpoint_url: str | None, timeout_s: float, retries: int) -> AwsClients:
    """The process-wide ``AwsClients`` for this endpoint and timeout/retry policy."""
    key = (endpoint_url, timeout_s, retries)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = AwsClients.at(endpoint_url, client_config(timeout_s, retries=retries))
        return _SHARED[key]


def aws_client(
    service: str,
    region: str,
    endpoint_url: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    *,
    retries: int = 3,
) -> Any:
    """A cached boto3 client with bounded connect/read timeouts and standard-mode retries."""
    return shared_clients(endpoint_url, timeout_s, retries).client(service, region)


def aws_errors() -> tuple[type[Exception], ...]:
    """The exceptions a boto3 call raises for service and transport faults (use in ``except``)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError (``ThrottlingException``...), or the exception's type name."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", "?"))
    return type(exc).__name__


@contextmanager
def port_errors(what: str) -> Iterator[None]:
    """Turn any AWS, transport or parsing failure inside the block into PortError naming the call."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    try:
        yield
    except PortError:
        raise
    except ClientError as exc:
        raise PortError(f"{what}: AWS refused ({error_code(exc)}): {exc}") from exc
    except (BotoCoreError, ResponseParserError) as exc:
        raise PortError(f"{what}: {type(exc).__name__}: {exc}") from exc
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise PortError(f"{what}: malformed answer ({type(exc).__name__}: {exc})") from exc

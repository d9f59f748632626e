"""MetricsSource over a Prometheus server (``prometheus-api-client``), running the contract's PromQL.

Each logical signal's query comes from ``ports.metrics.SIGNALS``; label filters are applied to the
result (the queries aggregate, so a matcher could not always be injected). Anything the controllers
could not trust becomes :class:`PortError`: connection failures and timeouts, HTTP errors, an
answer that is not an instant vector, NaN or infinite values, values that are not numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.util.retry import Retry

from ports.interfaces import PortError
from ports.metrics import SIGNALS, SignalName
from ports.types import Sample


def parse_sample(signal: SignalName, item: Any) -> Sample:
    """One element of an instant vector -> Sample, or PortError naming the signal and the problem."""
    try:
        labels = {str(k): str(v) for k, v in item["metric"].items() if k != "__name__"}
        timestamp, raw = item["value"]
        value = float(raw)
        at = float(timestamp)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PortError(f"{signal}: malformed answer from Prometheus: {item!r} ({exc})") from None
    if not math.isfinite(value):
        raise PortError(f"{signal}: {value} for {labels}")
    return Sample(labels=labels, value=value, timestamp=at)


class PrometheusMetrics:
    """Reads logical signals from a Prometheus server."""

    def __init__(self, url: str, *, timeout_s: float = 5.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        # no retries here: the runner's next reconcile is the retry (the loop is the only place that waits)
        self._client = PrometheusConnect(url=url, disable_ssl=True, timeout=timeout_s, retry=Retry(total=0))

    def query(self, promql: str, signal: SignalName) -> list[Any]:
        try:
            result = self._client.custom_query(promql, timeout=self.timeout_s)
        except (requests.RequestException, PrometheusApiClientException, ValueError) as exc:
            raise PortError(f"{signal}: Prometheus at {self.url} failed: {type(exc).__name__}: {exc}") from None
        if not isinstance(result, list):
            raise PortError(f"{signal}: expected an instant vector from Prometheus, got {type(result).__name__}")
        return result

    def read(self, signal: SignalName, match: Mapping[str, str] | None = None) -> Sequence[Sample]:
        spec = SIGNALS[signal]
        samples = [parse_sample(signal, item) for item in self.query(spec.promql, signal)]
        wanted = dict(match or {})
        return [s for s in samples if all(s.labels.get(k) == v for k, v in wanted.items())]

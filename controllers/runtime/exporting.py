"""Prometheus metrics of the controllers (``reelops_controller_*``), on a private registry.

Names, kinds and labels come from the metric contract (``ports/metrics.py``); nothing is invented
here. A private registry keeps several runners (tests, the sandbox server) from colliding in the
process-wide default registry; ``render()`` gives the text exposition for a ``/metrics`` endpoint.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest, start_http_server

from ports.metrics import METRICS_BY_NAME, Kind

DECISIONS = "reelops_controller_decisions_total"
ERRORS = "reelops_controller_errors_total"
LAST_SUCCESS = "reelops_controller_last_success_timestamp_seconds"


def _counter(name: str, registry: CollectorRegistry) -> Counter:
    spec = METRICS_BY_NAME[name]
    assert spec.kind is Kind.COUNTER, f"{name} is a {spec.kind} in ports/metrics.py"
    return Counter(name, spec.help, list(spec.labels), registry=registry)


def _gauge(name: str, registry: CollectorRegistry) -> Gauge:
    spec = METRICS_BY_NAME[name]
    assert spec.kind is Kind.GAUGE, f"{name} is a {spec.kind} in ports/metrics.py"
    return Gauge(name, spec.help, list(spec.labels), registry=registry)


class ControllerMetrics:
    """Counters and gauges the runner updates after each reconcile."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._decisions = _counter(DECISIONS, self.registry)
        self._errors = _counter(ERRORS, self.registry)
        self._last_success = _gauge(LAST_SUCCESS, self.registry)

    def count_decision(self, controller: str, action: str, reason: str) -> None:
        self._decisions.labels(controller=controller, action=action, reason=reason).inc()

    def count_error(self, controller: str, stage: str) -> None:
        self._errors.labels(controller=controller, stage=stage).inc()

    def mark_success(self, controller: str, at: float) -> None:
        self._last_success.labels(controller=controller).set(at)

    def value(self, name: str, labels: dict[str, str]) -> float | None:
        """A sample's current value (for tests and `ops controllers run` summaries)."""
        return self.registry.get_sample_value(name, labels)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def serve(self, port: int, address: str = "127.0.0.1") -> None:
        """Expose ``/metrics`` on a background thread (loopback by default)."""
        start_http_server(port, addr=address, registry=self.registry)

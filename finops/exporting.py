"""Prometheus exposition of the spend estimate and the breaker state (names from ports/metrics.py).

A collector, not client-library counters: ``reelops_spend_usd_total`` restarts at each UTC midnight
(a counter reset, which Prometheus handles) and every value is read from the latest estimate at
scrape time, so the exporter never disagrees with what the breaker decided on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from finops.spending import SpendEstimate
from ports.metrics import METRICS_BY_NAME

SPEND = "reelops_spend_usd_total"
PROJECTED = "reelops_projected_daily_spend_usd"
AGE = "reelops_spend_data_age_seconds"
BREAKER = "reelops_breaker_state"
BREAKER_STATES = ("closed", "warn", "page", "open", "half_open")


def help_of(name: str) -> str:
    return METRICS_BY_NAME[name].help


class SpendCollector(Collector):
    """Reads ``latest()`` (estimate, breaker state) at every scrape; nothing is exported before the first."""

    def __init__(self, latest: Callable[[], tuple[SpendEstimate | None, str | None]]) -> None:
        self.latest = latest

    def collect(self) -> Iterator[Metric]:
        estimate, state = self.latest()
        if estimate is not None:
            yield from spend_families(estimate)
        if state is not None:
            gauge = GaugeMetricFamily(BREAKER, help_of(BREAKER), labels=["state"])
            for name in BREAKER_STATES:
                gauge.add_metric([name], 1.0 if name == state else 0.0)
            yield gauge


def spend_families(estimate: SpendEstimate) -> Iterator[Metric]:
    # the family name drops "_total"; the client library appends it to the sample
    spent = CounterMetricFamily(SPEND.removesuffix("_total"), help_of(SPEND), labels=["cost_center"])
    for center, usd in sorted(estimate.spent_today_by_cost_center.items()):
        spent.add_metric([center], usd)
    yield spent
    yield GaugeMetricFamily(PROJECTED, help_of(PROJECTED), value=estimate.projected_daily_usd)
    yield GaugeMetricFamily(AGE, help_of(AGE), value=estimate.data_age_s)

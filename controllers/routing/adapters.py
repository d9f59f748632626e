"""Encode routing on AWS: a ``RouterStore`` that enqueues jobs on the chosen pool's SQS queue.

Before anything is sent it re-checks the record against its own residency map and pool table
(``check_record``) and counts refusals in ``reelops_jurisdiction_guard_trips_total``. The queue is
addressed in the pool's own region, so an EU job can only ever land on an EU queue. CPU-fallback
jobs go to the home region's CPU queue; rate-limited jobs are not enqueued (the edge answers 429).
Backend faults become ``PortError``; dry-run sends nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from prometheus_client import Counter

from controllers.adapters.aws import AwsClients, port_errors
from controllers.routing.guarding import guard_record, guard_trips_counter
from ports.interfaces import PortError
from ports.types import RouteAction, RoutingRecord


class SqsRouterStore:
    """``RouterStore`` over SQS: pool queues by pool name, CPU-fallback queues by region."""

    def __init__(
        self,
        residency: Mapping[str, frozenset[str]],
        pool_queues: Mapping[str, tuple[str, str]],
        cpu_queues: Mapping[str, str],
        clients: AwsClients | None = None,
        trips: Counter | None = None,
    ) -> None:
        """``pool_queues``: pool -> (region, queue name); ``cpu_queues``: region -> queue name."""
        self.residency = dict(residency)
        self.pool_queues = dict(pool_queues)
        self.pool_regions = {pool: region for pool, (region, _) in pool_queues.items()}
        self.cpu_queues = dict(cpu_queues)
        self.clients = clients or AwsClients()
        self.trips = trips if trips is not None else guard_trips_counter()
        self._urls: dict[tuple[str, str], str] = {}

    def submit(self, record: RoutingRecord, *, dry_run: bool) -> None:
        guard_record(record, self.residency, self.pool_regions, self.trips)
        if record.action is RouteAction.RATE_LIMIT:
            return
        region, queue = self.destination(record)
        if dry_run:
            return
        sqs = self.clients.client("sqs", region)
        with port_errors(f"job {record.job_id}: SQS queue {queue} in {region}"):
            if (region, queue) not in self._urls:
                self._urls[(region, queue)] = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            body = json.dumps(record.model_dump(mode="json"))
            sqs.send_message(QueueUrl=self._urls[(region, queue)], MessageBody=body)

    def destination(self, record: RoutingRecord) -> tuple[str, str]:
        if record.pool is not None:
            return self.pool_queues[record.pool]
        queue = self.cpu_queues.get(record.region)
        if queue is None:
            raise PortError(f"job {record.job_id}: no CPU-fallback queue configured for {record.region}")
        return record.region, queue

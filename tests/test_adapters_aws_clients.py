"""The shared boto3 client helper: one client per (service, region), endpoint overrides, bounded retries.

Against moto's server over HTTP, plus a loopback endpoint that always throttles and counts what it
received (moto never throttles), so the retry bound is observed on the wire.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from controllers.adapters.aws import AwsClients, aws_client, client_config, port_errors
from ports.interfaces import PortError
from tests.loopback import QuietHandler, serve


class Throttling(QuietHandler):
    received = 0

    def do_POST(self) -> None:
        self.read_body()
        type(self).received += 1
        self.reply_json(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})


@pytest.fixture
def throttling() -> Iterator[tuple[str, type[Throttling]]]:
    handler = type("Handler", (Throttling,), {"received": 0})
    with serve(handler) as url:
        yield url, handler


def test_clients_are_cached_per_service_and_region(moto_reset: str) -> None:
    clients = AwsClients.at(moto_reset)
    sqs = clients.client("sqs", "eu-west-1")
    assert clients.client("sqs", "eu-west-1") is sqs
    assert clients.client("sqs", "eu-central-1") is not sqs
    assert clients.client("sqs", "eu-central-1").meta.region_name == "eu-central-1"
    sqs.create_queue(QueueName="q")
    assert [u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]] == ["q"]
    assert aws_client("sns", "us-east-1", moto_reset) is aws_client("sns", "us-east-1", moto_reset)


def test_a_service_endpoint_overrides_the_default(moto_reset: str) -> None:
    clients = AwsClients({"*": moto_reset, "sqs": "http://127.0.0.1:9"}, client_config(1, retries=0))
    assert clients.client("sqs", "us-east-1").meta.endpoint_url == "http://127.0.0.1:9"
    assert clients.client("sns", "us-east-1").meta.endpoint_url == moto_reset
    assert AwsClients.at(None).endpoint("sqs") is None


@pytest.mark.parametrize("retries", [0, 2])
def test_throttling_is_retried_a_bounded_number_of_times(
    throttling: tuple[str, type[Throttling]], retries: int
) -> None:
    url, handler = throttling
    sqs = AwsClients.at(url, client_config(1, retries=retries)).client("sqs", "us-east-1")
    refused = pytest.raises(PortError, match=r"GetQueueUrl q: AWS refused \(ThrottlingException\)")
    with refused, port_errors("GetQueueUrl q"):
        sqs.get_queue_url(QueueName="q")
    assert handler.received == retries + 1


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="timeout_s"):
        client_config(0)
    config = client_config(3, retries=1, connect_timeout_s=1)
    assert (config.connect_timeout, config.read_timeout, config.retries) == (
        1,
        3,
        {"total_max_attempts": 2, "mode": "standard"},
    )

"""AWS pool adapter over HTTP against moto's server: SQS depth, mixed-instances ASG, faults.

moto launches ASG instances straight into InService, so "starting" is exercised through the
adapter's other rule (InService for less than the pool's start-up time, from EC2 LaunchTime),
moved along with a fake clock. Faults moto cannot produce (throttling, timeouts, malformed
attributes) come from a loopback server answering like AWS would, through the same boto3 client.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from controllers.adapters.aws import AwsClients
from controllers.pool_scaling.adapters import AwsPoolActuator, PoolBinding
from controllers.pool_scaling.models import PoolScalingObservation
from controllers.pool_scaling.scaling import PoolScaler
from ports.clocks import FakeClock
from ports.interfaces import CrossJurisdictionError, PortError
from stacks.loading import load_prod_platforms
from tests.loopback import QuietHandler, serve

REGION = "eu-central-1"
POOL = "eu-central-1-gpu"
FAST = Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1, "mode": "standard"})


def make_pool(endpoint: str, min_size: int = 2, max_size: int = 10, queued: int = 0) -> PoolBinding:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint)
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
    asg = boto3.client("autoscaling", region_name=REGION, endpoint_url=endpoint)
    image = ec2.register_image(Name="encoder", RootDeviceName="/dev/xvda", Architecture="x86_64")["ImageId"]
    template = ec2.create_launch_template(
        LaunchTemplateName=f"{POOL}-template", LaunchTemplateData={"ImageId": image, "InstanceType": "g4dn.xlarge"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["AvailabilityZone"].startswith(REGION)]
    asg.create_auto_scaling_group(
        AutoScalingGroupName=f"{POOL}-group",
        MinSize=min_size,
        MaxSize=max_size,
        DesiredCapacity=min_size,
        VPCZoneIdentifier=",".join(subnets[:2]),
        MixedInstancesPolicy={
            "LaunchTemplate": {
                "LaunchTemplateSpecification": {"LaunchTemplateId": template, "Version": "$Latest"},
                "Overrides": [{"InstanceType": t} for t in ("g4dn.xlarge", "g6.xlarge", "g5.xlarge")],
            },
            "InstancesDistribution": {
                "OnDemandBaseCapacity": min_size,
                "OnDemandPercentageAboveBaseCapacity": 0,
                "SpotAllocationStrategy": "price-capacity-optimized",
            },
        },
    )
    url = sqs.create_queue(QueueName=f"{POOL}-encode")["QueueUrl"]
    for i in range(queued):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"job": i}))
    return PoolBinding(
        pool=POOL,
        region=REGION,
        jurisdiction="EU",
        asg_name=f"{POOL}-group",
        queue_name=f"{POOL}-encode",
        quota_instances=10,
        startup_seconds=180,
    )


@pytest.fixture
def moto_aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """moto emptied, with EC2's default AMI catalogue off (loading it costs ~8 s per region)."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    return moto_endpoint


def actuator(endpoint: str, binding: PoolBinding, clock: FakeClock, **endpoints: str) -> AwsPoolActuator:
    return AwsPoolActuator([binding], clock, AwsClients({"*": endpoint, **endpoints}, FAST))


def desired_in_moto(endpoint: str) -> int:
    asg = boto3.client("autoscaling", region_name=REGION, endpoint_url=endpoint)
    return int(
        asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{POOL}-group"])["AutoScalingGroups"][0][
            "DesiredCapacity"
        ]
    )


def test_describe_reads_queue_depth_and_mixed_instances_group(moto_aws: str) -> None:
    binding = make_pool(moto_aws, queued=7)
    clock = FakeClock(start=time.time())
    (state,) = actuator(moto_aws, binding, clock).describe_pools()
    assert (state.queue_depth, state.in_flight) == (7, 0)
    assert (state.desired, state.min_size, state.max_size, state.quota_instances) == (2, 2, 10, 10)
    assert (state.running, state.starting) == (0, 2), "just launched: still booting"
    clock.advance(181)
    (later,) = actuator(moto_aws, binding, clock).describe_pools()
    assert (later.running, later.starting) == (2, 0)


def test_in_flight_messages_are_counted(moto_aws: str) -> None:
    binding = make_pool(moto_aws, queued=5)
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=moto_aws)
    url = sqs.get_queue_url(QueueName=binding.queue_name)["QueueUrl"]
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=300)
    (state,) = actuator(moto_aws, binding, FakeClock(start=time.time())).describe_pools()
    assert (state.queue_depth, state.in_flight) == (3, 2)


def test_set_desired_capacity_and_dry_run(moto_aws: str) -> None:
    binding = make_pool(moto_aws)
    pools = actuator(moto_aws, binding, FakeClock(start=time.time()))
    pools.set_desired_capacity(POOL, 6, dry_run=True)
    assert desired_in_moto(moto_aws) == 2
    pools.set_desired_capacity(POOL, 6, dry_run=False)
    assert desired_in_moto(moto_aws) == 6
    (state,) = pools.describe_pools()
    assert state.running + state.starting == 6


def test_refused_capacity_is_a_port_error_and_changes_nothing(moto_aws: str) -> None:
    binding = make_pool(moto_aws)
    wrong = binding.model_copy(update={"asg_name": "no-such-group"})
    with pytest.raises(PortError, match="SetDesiredCapacity"):
        actuator(moto_aws, wrong, FakeClock(start=time.time())).set_desired_capacity(POOL, 5, dry_run=False)
    assert desired_in_moto(moto_aws) == 2
    pools = actuator(moto_aws, binding, FakeClock(start=time.time()))
    with pytest.raises(CrossJurisdictionError):
        pools.set_desired_capacity("us-east-1-gpu", 3, dry_run=False)


def test_scaler_end_to_end_on_moto(moto_aws: str) -> None:
    binding = make_pool(moto_aws, queued=30)
    clock = FakeClock(start=time.time())
    pools = actuator(moto_aws, binding, clock)
    scaler = PoolScaler.from_platforms(load_prod_platforms().values())
    observation = PoolScalingObservation(states=tuple(pools.describe_pools()))
    decision = scaler.decide(observation, clock.now())
    (verdict,) = decision.pools
    assert (verdict.action, verdict.desired) == ("scale_out", 9), verdict.requirements  # ceil(30 / 3.33)
    scaler.apply(decision, type("Ports", (), {"pools": pools})(), dry_run=False)
    assert desired_in_moto(moto_aws) == 9


# --- faults moto cannot produce: a loopback endpoint that answers like a throttled/broken AWS ------
class FaultHandler(QuietHandler):
    mode = "throttle"

    def do_POST(self) -> None:
        self.read_body()
        if self.mode == "hang":
            time.sleep(1.5)
            return
        if self.mode == "throttle":
            body, status = {"__type": "ThrottlingException", "message": "Rate exceeded"}, 400
        else:
            body = {
                "QueueUrl": "http://x/q",
                "Attributes": {"ApproximateNumberOfMessages": "NaN", "ApproximateNumberOfMessagesNotVisible": "0"},
            }
            status = 200
        self.reply_json(status, body)


@pytest.fixture
def faulty_sqs() -> Iterator[tuple[str, type[FaultHandler]]]:
    handler = type("Handler", (FaultHandler,), {})
    with serve(handler) as url:
        yield url, handler


@pytest.mark.parametrize("mode", ["throttle", "hang", "malformed"])
def test_sqs_faults_are_port_errors_and_capacity_is_unchanged(
    moto_aws: str, faulty_sqs: tuple[str, type[FaultHandler]], mode: str
) -> None:
    url, handler = faulty_sqs
    handler.mode = mode
    binding = make_pool(moto_aws)
    pools = actuator(moto_aws, binding, FakeClock(start=time.time()), sqs=url)
    with pytest.raises(PortError, match="SQS queue"):
        pools.describe_pools()
    assert desired_in_moto(moto_aws) == 2


def test_unreachable_endpoint_is_a_port_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    binding = PoolBinding(pool=POOL, region=REGION, jurisdiction="EU", asg_name="g", queue_name="q", quota_instances=1)
    with pytest.raises(PortError):
        actuator(dead, binding, FakeClock()).describe_pools()

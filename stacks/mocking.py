"""Plausible cloud answers for Pulumi's mock runtime, so the real program runs offline end to end.

Under mocks nothing is created: every resource registration and every provider function call is
answered here. The answers are what AWS would return in shape (ARNs carrying the resource's region,
bucket domain names, queue URLs, EKS endpoints, CloudFront domains), so that the program's
``apply`` chains run and the policy pack can check the values that flow between resources.
Physical names are deterministic (the logical name, or the name the program set), which makes
plans reproducible and lets stack policies join resources by name the way the engine would.

``StackReference`` outputs come from :func:`stack_outputs_for`, the same naming rules the
jurisdiction program exports, computed from that stack's own configuration file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

from stacks import naming
from stacks.loading import ConfigError, list_stacks, load_platform

ACCOUNT = "123456789012"
StateFn = Callable[[str, str, dict[str, Any]], dict[str, Any]]


def short_hash(text: str, length: int = 12) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def service_of(type_token: str) -> str:
    """``aws:sqs/queue:Queue`` -> ``sqs``."""
    return type_token.split(":")[1].split("/")[0]


def physical_name(type_token: str, name: str, inputs: dict[str, Any]) -> str:
    """The name AWS would know the resource by: the one the program set, else the logical name."""
    if type_token == "aws:s3/bucket:Bucket":
        return str(inputs.get("bucket") or name)
    return str(inputs.get("name") or name)


def generic_arn(type_token: str, name: str, region: str) -> str:
    kind = type_token.rsplit(":", 1)[-1].lower()
    return f"arn:aws:{service_of(type_token)}:{region}:{ACCOUNT}:{kind}/{name}"


def bucket_state(name: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "bucket": name,
        "arn": f"arn:aws:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        "region": region,
    }


def queue_state(name: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "arn": f"arn:aws:sqs:{region}:{ACCOUNT}:{name}",
        "url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{name}",
    }


def role_state(name: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "uniqueId": f"AROA{short_hash(name)}"}


def instance_profile_state(name: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{name}"}


def key_state(name: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    key_id = (
        f"{short_hash(name + region, 8)}-{short_hash(name, 4)}-4{short_hash(region, 3)}-8000-{short_hash(name, 12)}"
    )
    return {"keyId": key_id, "arn": f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"}


def table_state(name: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    arn = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"
    state: dict[str, Any] = {"name": name, "arn": arn}
    if inputs.get("streamEnabled"):
        state["streamArn"] = f"{arn}/stream/2026-01-01T00:00:00.000"
        state["streamLabel"] = "2026-01-01T00:00:00.000"
    return state


def topic_state(name: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "arn": f"arn:aws:sns:{region}:{ACCOUNT}:{name}"}


def cluster_state(name: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "arn": f"arn:aws:eks:{region}:{ACCOUNT}:cluster/{name}",
        "endpoint": f"https://{short_hash(name, 32).upper()}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="},
    }


def distribution_state(name: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    dist_id = "E" + short_hash(name, 13).upper()
    return {
        "arn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/{dist_id}",
        "domainName": f"d{short_hash(name, 13)}.cloudfront.net",
        "hostedZoneId": "Z2FDTNDATAQYW2",
    }


def certificate_state(name: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    domain = str(inputs.get("domainName", name))
    return {
        "arn": f"arn:aws:acm:{region}:{ACCOUNT}:certificate/{short_hash(name, 32)}",
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_{short_hash(domain, 32)}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{short_hash(domain + 'v', 32)}.acm-validations.aws.",
            }
        ],
    }


def launch_template_state(name: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"arn": generic_arn("aws:ec2/launchTemplate:LaunchTemplate", name, region), "latestVersion": 1.0}


STATES: dict[str, StateFn] = {
    "aws:s3/bucket:Bucket": bucket_state,
    "aws:sqs/queue:Queue": queue_state,
    "aws:iam/role:Role": role_state,
    "aws:iam/instanceProfile:InstanceProfile": instance_profile_state,
    "aws:kms/key:Key": key_state,
    "aws:dynamodb/table:Table": table_state,
    "aws:sns/topic:Topic": topic_state,
    "aws:eks/cluster:Cluster": cluster_state,
    "aws:cloudfront/distribution:Distribution": distribution_state,
    "aws:acm/certificate:Certificate": certificate_state,
    "aws:ec2/launchTemplate:LaunchTemplate": launch_template_state,
}

# Resources whose cloud id is not their name.
ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:route53/healthCheck:HealthCheck": "hc-",
    "aws:cloudfront/cachePolicy:CachePolicy": "cp-",
    "aws:cloudfront/originAccessControl:OriginAccessControl": "oac-",
}


def resource_id(type_token: str, name: str, state: dict[str, Any]) -> str:
    if type_token in ID_PREFIXES:
        return ID_PREFIXES[type_token] + short_hash(name, 17)
    if type_token == "aws:sqs/queue:Queue":
        return str(state["url"])
    if type_token == "aws:kms/key:Key":
        return str(state["keyId"])
    if type_token == "aws:cloudfront/distribution:Distribution":
        return str(state["arn"]).rsplit("/", 1)[-1]
    return name


def stack_outputs_for(stack: str) -> dict[str, Any]:
    """What a referenced stack exports, from its own configuration (empty if it has no file)."""
    if stack not in list_stacks():
        return {}
    try:
        return naming.jurisdiction_exports(load_platform(stack))
    except ConfigError:
        return {}


class PlatformMocks(Mocks):
    """Answers registrations and calls; ``region_of`` maps a provider reference to its region."""

    def __init__(self, region_of: Callable[[str | None], str | None]) -> None:
        self.region_of = region_of

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            stack = str(args.inputs.get("name", args.name)).rsplit("/", 1)[-1]
            return args.name, {"name": args.inputs.get("name"), "outputs": stack_outputs_for(stack)}
        if args.typ.startswith("pulumi:providers:") or not args.custom:
            return f"{args.name}-id", dict(args.inputs)
        region = str(args.inputs.get("region") or self.region_of(args.provider) or "us-east-1")
        name = physical_name(args.typ, args.name, args.inputs)
        make_state = STATES.get(args.typ)
        extra = make_state(name, region, args.inputs) if make_state else {"arn": generic_arn(args.typ, name, region)}
        state = {**args.inputs, **extra}
        return resource_id(args.typ, name, state), state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "aws:route53/getZone:getZone":
            zone = str(args.args.get("name", "")).rstrip(".")
            zone_id = "Z" + short_hash(zone, 20).upper()
            return {"id": zone_id, "zoneId": zone_id, "name": zone, "privateZone": False}, []
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/plan", "userId": "plan"}, []
        return {}, []


def parse_json_values(inputs: dict[str, Any]) -> dict[str, Any]:
    """Provider inputs arrive with nested values as JSON strings; decode those for reading."""
    decoded: dict[str, Any] = {}
    for key, value in inputs.items():
        if isinstance(value, str) and value[:1] in "{[":
            try:
                decoded[key] = json.loads(value)
                continue
            except ValueError:
                pass
        decoded[key] = value
    return decoded

"""RegionNetwork: the VPC a region's GPU pool and EKS cluster run in.

One VPC per region with one subnet per availability zone of the model (so pools and node groups
spread over every AZ, SPEC section 7's AZ-loss headroom), an internet gateway for image pulls, and
free gateway endpoints for S3 and DynamoDB so that data traffic stays on the AWS network in-region.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.tagging import cost_tags

SUBNET_PREFIX = 20


@dataclass(frozen=True)
class RegionNetworkArgs:
    region: str
    azs: tuple[str, ...]
    cidr: str
    cost_center: str = "app"


class RegionNetwork(pulumi.ComponentResource):
    """VPC, per-AZ subnets, routing and S3/DynamoDB gateway endpoints for one region."""

    vpc_id: pulumi.Output[str]
    subnet_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: RegionNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("reelops:network:RegionNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = cost_tags(args.cost_center)
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**tags, "Name": name},
            opts=child,
        )
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags, opts=child)
        routes = aws.ec2.RouteTable(
            f"{name}-routes",
            vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}],
            tags=tags,
            opts=child,
        )
        blocks = list(ipaddress.ip_network(args.cidr).subnets(new_prefix=SUBNET_PREFIX))
        self.subnet_ids = []
        for az, block in zip(args.azs, blocks, strict=False):
            subnet = aws.ec2.Subnet(
                f"{name}-{az}",
                vpc_id=vpc.id,
                cidr_block=str(block),
                availability_zone=az,
                map_public_ip_on_launch=True,
                tags={**tags, "Name": f"{name}-{az}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-{az}-routes", subnet_id=subnet.id, route_table_id=routes.id, opts=child
            )
            self.subnet_ids.append(subnet.id)
        for service in ("s3", "dynamodb"):
            aws.ec2.VpcEndpoint(
                f"{name}-{service}-endpoint",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=[routes.id],
                tags=cost_tags("data"),
                opts=child,
            )
        self.vpc_id = vpc.id
        self.register_outputs({"vpc_id": vpc.id, "subnet_ids": self.subnet_ids})

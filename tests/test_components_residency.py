"""Every stack, planned under Pulumi's mock runtime, stays inside its jurisdiction and passes the pack.

Also pins the mock-runtime discipline: the canonical pattern (mocks set before the program is
imported, ``preview=False``) on a component, asserting that resources were really registered and that
no resource was created with the default provider (empty provider reference).
"""

from __future__ import annotations

import json

import pulumi
import pytest

from stacks.loading import list_stacks, load_platform
from tests.planned_stacks import planned


@pytest.mark.parametrize("stack", list_stacks())
def test_every_regional_resource_is_inside_the_stack_jurisdiction(stack: str) -> None:
    model = load_platform(stack)
    plan = planned(stack)
    aws = [r for r in plan.resources if r.custom and r.type.startswith("aws:")]
    assert len(aws) > 20, "the program registered (almost) nothing"
    assert all(r.region in model.allowed_regions for r in aws), {r.region for r in aws}
    if model.settings.kind == "jurisdiction":
        assert {r.region for r in aws} == {model.home_region, model.overflow_region}


@pytest.mark.parametrize("stack", list_stacks())
def test_no_resource_uses_a_default_provider_and_the_pack_is_clean(stack: str) -> None:
    plan = planned(stack)
    custom = [r for r in plan.resources if r.custom and not r.type.startswith(("pulumi:providers:", "pulumi:pulumi:"))]
    assert custom and all(r.provider for r in custom), [r.name for r in custom if not r.provider]
    assert all(r.provider and "default" not in r.provider.rsplit("::", 1)[-1] for r in custom)
    assert plan.violations == []


@pytest.mark.parametrize("stack", ["prod-us", "prod-eu", "prod-apac"])
def test_providers_carry_the_jurisdiction_in_default_tags(stack: str) -> None:
    model = load_platform(stack)
    providers = [r for r in planned(stack).resources if r.type == "pulumi:providers:aws"]
    assert sorted(r.region or "" for r in providers) == sorted(model.allowed_regions)
    for provider in providers:
        tags = provider.inputs["defaultTags"]["tags"]
        assert tags["jurisdiction"] == model.settings.jurisdiction and tags["stack"] == stack


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.created: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, object]]:
        self.created.append(args)
        arn = f"arn:aws:{args.typ.split(':')[1].split('/')[0]}:eu-west-1:123456789012:{args.name}"
        return f"{args.name}-id", {**args.inputs, "arn": arn, "url": f"https://sqs/{args.name}", "name": args.name}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, object], list[tuple[str, str]]]:
        return {}, []


def test_component_under_plain_mocks_registers_resources_with_an_explicit_provider() -> None:
    mocks = RecordingMocks()
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project="reelops", stack="unit", preview=False)
    import pulumi_aws as aws

    from components.gpu_pool import GpuEncodePool, GpuEncodePoolArgs  # after set_mocks, on purpose
    from stacks.model import QueueSpec

    pool = load_platform("prod-eu").settings.pools[0]

    @pulumi.runtime.test
    def check() -> pulumi.Output[None]:
        provider = aws.Provider("eu", region="eu-west-1")
        component = GpuEncodePool(
            pool.name,
            GpuEncodePoolArgs(
                pool=pool,
                queue=QueueSpec(name="q", purpose="encode"),
                physical_prefix="t",
                jurisdiction="EU",
                vpc_id="vpc-1",
                subnet_ids=["subnet-a", "subnet-b"],
                read_bucket_arns=["arn:aws:s3:::up"],
                write_bucket_arns=["arn:aws:s3:::out"],
                key_arns=["arn:aws:kms:eu-west-1:1:key/k"],
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
        return component.queue_arn.apply(lambda _: None)

    check()
    registered = [a for a in mocks.created if a.custom and not a.typ.startswith("pulumi:providers:")]
    assert len(registered) >= 10
    assert all(a.provider for a in registered), "a resource fell back to the default provider"
    policy = next(a for a in registered if a.typ == "aws:iam/rolePolicy:RolePolicy").inputs["policy"]
    resources = {r for s in json.loads(policy)["Statement"] for r in s["Resource"]}
    assert resources == {
        f"arn:aws:sqs:eu-west-1:123456789012:{pool.name}-encode",
        "arn:aws:s3:::up/*",
        "arn:aws:s3:::out/*",
        "arn:aws:kms:eu-west-1:1:key/k",
    }

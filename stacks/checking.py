"""Run the policy pack over a planned stack the way the Pulumi engine would, without the engine.

Each captured resource becomes the ``PolicyResource`` / ``ResourceValidationArgs`` the engine hands
to a policy: camelCase properties (inputs plus the mocked outputs), URN, name, and the provider
resource it was created with (so policies read the region and default tags from it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pulumi_policy import (
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import PolicyCustomTimeouts

from components.policies import PolicyRules, build_policies
from stacks.mocking import parse_json_values
from stacks.model import PlatformModel

if TYPE_CHECKING:
    from stacks.planning import Registration, Violation

SKIPPED_PREFIXES = ("pulumi:providers:", "pulumi:pulumi:")


def rules_for(model: PlatformModel) -> PolicyRules:
    by_jurisdiction = {name: model.regions_of(name) for name in model.jurisdictions}
    return PolicyRules(regions_by_jurisdiction=by_jurisdiction)


def policy_options(parent: str) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=parent or None,
    )


def provider_resources(regs: Sequence[Registration]) -> dict[str, PolicyProviderResource]:
    """Provider references (``urn::id``) to the provider resources policies read."""
    return {
        f"{r.urn}::{r.resource_id}": PolicyProviderResource(r.type, parse_json_values(r.inputs), r.urn, r.name)
        for r in regs
        if r.type.startswith("pulumi:providers:")
    }


def to_policy_resources(regs: Sequence[Registration]) -> list[PolicyResource]:
    providers = provider_resources(regs)
    return [
        PolicyResource(
            resource_type=r.type,
            props={**r.inputs, **r.state},
            urn=r.urn,
            name=r.name,
            opts=policy_options(r.parent_urn),
            provider=providers.get(r.provider_ref),
            parent=None,
            dependencies=[],
            property_dependencies={},
        )
        for r in regs
        if r.custom and not r.type.startswith(SKIPPED_PREFIXES)
    ]


def check_policies(
    model: PlatformModel, regs: Sequence[Registration], regions: Mapping[str, str | None]
) -> list[Violation]:
    """Every violation the pack reports on the planned resources, in a stable order."""
    resources = to_policy_resources(regs)
    violations: list[Violation] = []
    for policy in build_policies(rules_for(model)):
        violations.extend(run_policy(policy, resources))
    return sorted(violations, key=lambda v: (v.policy, v.resource, v.message))


def run_policy(
    policy: ResourceValidationPolicy | StackValidationPolicy, resources: list[PolicyResource]
) -> list[Violation]:
    from stacks.planning import Violation

    found: list[Violation] = []
    level = policy.enforcement_level.value if policy.enforcement_level else "mandatory"
    enforcement = "advisory" if level == "advisory" else "mandatory"

    def collect(urn: str) -> Any:
        return lambda message, at=None: found.append(
            Violation(policy=policy.name, resource=at or urn, message=message, enforcement=enforcement)
        )

    if isinstance(policy, StackValidationPolicy):
        policy.validate(StackValidationArgs(resources), collect(""))
        return found
    for r in resources:
        args = ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, r.provider)
        policy.validate(args, collect(r.urn))
    return found

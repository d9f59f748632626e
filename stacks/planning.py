"""Plan a stack offline: run the real Pulumi program under the mock runtime and check the policy pack.

No Pulumi CLI, no provider plugin, no cloud account, no credentials. The program (the same
``build_stack`` that ``pulumi up`` runs) registers every resource with a recording mock monitor,
which keeps each resource's type, name, parent, provider and inputs. Each resource's region is the
region of the explicit provider it was created with. The policy pack's policies (plain objects from
``components.policies``) then run over those resources exactly as the engine would hand them over.

The runtime's ambient state (settings, root stack resource, configuration) is reset before each
plan, so several stacks can be planned one after another in one process. That state is global:
plans must not run concurrently in threads of one process (use processes for parallel plans).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.rpc import deserialize_properties
from pulumi.runtime.settings import ROOT
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await
from pydantic import BaseModel, ConfigDict

from stacks.mocking import PlatformMocks, parse_json_values
from stacks.model import PlatformModel


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlannedResource(Frozen):
    """One resource the stack would create. ``parent`` is the parent's logical name (None: the stack)."""

    type: str
    name: str
    parent: str | None
    region: str | None
    inputs: dict[str, Any]
    urn: str
    custom: bool
    provider: str | None = None


class Violation(Frozen):
    """A policy of the pack that a resource (by URN) breaks."""

    policy: str
    resource: str
    message: str
    enforcement: Literal["mandatory", "advisory"]


class PlanResult(Frozen):
    """Everything ``ops plan`` reports for one stack."""

    stack: str
    resources: list[PlannedResource]
    violations: list[Violation]
    outputs: dict[str, Any] = {}

    @property
    def mandatory_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    def to_json(self) -> dict[str, Any]:
        """The documented ``ops plan --json`` object, nothing more."""
        return {
            "stack": self.stack,
            "resources": [
                {"type": r.type, "name": r.name, "parent": r.parent, "region": r.region, "inputs": r.inputs}
                for r in self.resources
            ],
            "violations": [{"policy": v.policy, "resource": v.resource, "message": v.message} for v in self.violations],
        }


@dataclass
class Registration:
    """What the mock monitor saw for one resource."""

    urn: str
    type: str
    name: str
    parent_urn: str
    provider_ref: str
    inputs: dict[str, Any]
    custom: bool
    resource_id: str = ""
    state: dict[str, Any] = field(default_factory=dict)


# The SDK's mock monitor is untyped; call its methods through this Any-typed handle.
BASE_MONITOR: Any = pulumi_mocks.MockMonitor


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that also keeps each registration and each provider's region."""

    def __init__(self) -> None:
        super().__init__(PlatformMocks(self.region_of))
        self.registrations: list[Registration] = []
        self.provider_regions: dict[str, str | None] = {}
        self.lock = threading.Lock()

    def region_of(self, provider_ref: str | None) -> str | None:
        return self.provider_regions.get(provider_ref or "")

    def RegisterResource(self, request: Any) -> Any:
        response = BASE_MONITOR.RegisterResource(self, request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = deserialize_properties(request.object)
            self.record(request, inputs, response.urn, bool(request.custom))
        return response

    def ReadResource(self, request: Any) -> Any:
        response = BASE_MONITOR.ReadResource(self, request)
        inputs = deserialize_properties(request.properties)
        self.record(request, inputs, response.urn, True)
        return response

    def record(self, request: Any, inputs: Mapping[str, Any], urn: str, custom: bool) -> None:
        registered = self.resources[urn]
        resource_id = registered.id
        reg = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            parent_urn=request.parent,
            provider_ref=request.provider,
            inputs=dict(inputs),
            custom=custom,
            resource_id=resource_id,
            state=dict(registered.state),
        )
        with self.lock:
            self.registrations.append(reg)
            if reg.type.startswith("pulumi:providers:"):
                self.provider_regions[f"{urn}::{resource_id}"] = provider_region(reg.type, reg.inputs)


def provider_region(provider_type: str, inputs: Mapping[str, Any]) -> str | None:
    """An AWS provider's region; a Kubernetes provider's cluster region (from its kubeconfig)."""
    if provider_type == "pulumi:providers:aws":
        region = inputs.get("region")
        return str(region) if region else None
    if provider_type == "pulumi:providers:kubernetes":
        return kubeconfig_region(inputs.get("kubeconfig"))
    return None


def kubeconfig_region(kubeconfig: Any) -> str | None:
    """EKS kubeconfigs call ``aws eks get-token ... --region R``: that is the cluster's region."""
    config = json.loads(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    if not isinstance(config, dict):
        return None
    for user in config.get("users", []):
        args = list(((user.get("user") or {}).get("exec") or {}).get("args") or [])
        if "--region" in args and args.index("--region") + 1 < len(args):
            return str(args[args.index("--region") + 1])
    return None


def reset_runtime(monitor: RecordingMonitor, model: PlatformModel) -> None:
    """Fresh ambient Pulumi state for one plan: new settings, no root stack, no configuration."""
    ROOT.set(None)
    pulumi.runtime.set_all_config({})
    pulumi_mocks.set_mocks(monitor.mocks, project=model.project, stack=model.stack, preview=False, monitor=monitor)


def run_program(model: PlatformModel) -> tuple[RecordingMonitor, dict[str, Any]]:
    """Run ``build_stack(model)`` under mocks; return the monitor and the resolved stack outputs."""
    monitor = RecordingMonitor()
    reset_runtime(monitor, model)
    from stacks.program import build_stack  # imported only once mocks are set

    exports: dict[str, pulumi.Output[Any]] = {}

    def program() -> None:
        exports.update(build_stack(model))

    _sync_await(run_pulumi_func(program))
    outputs = {key: _sync_await(pulumi.Output.from_input(value).future()) for key, value in exports.items()}
    return monitor, outputs


def integral_numbers(value: Any) -> Any:
    """The wire format turns every number into a float; give whole numbers back as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral_numbers(v) for v in value]
    return value


def to_planned(
    reg: Registration, by_urn: Mapping[str, Registration], regions: Mapping[str, str | None]
) -> PlannedResource:
    parent = by_urn.get(reg.parent_urn)
    is_provider = reg.type.startswith("pulumi:providers:")
    override = reg.inputs.get("region") if reg.type.startswith("aws:") else None  # pulumi-aws v7 per-resource region
    region = provider_region(reg.type, reg.inputs) if is_provider else (override or regions.get(reg.provider_ref))
    inputs = integral_numbers(parse_json_values(reg.inputs) if is_provider else reg.inputs)
    return PlannedResource(
        type=reg.type,
        name=reg.name,
        parent=parent.name if parent else None,
        region=region,
        inputs=inputs,
        urn=reg.urn,
        custom=reg.custom,
        provider=reg.provider_ref.rsplit("::", 1)[0] if reg.provider_ref else None,
    )


def plan_stack(model: PlatformModel) -> PlanResult:
    """Run the stack's program offline and check every resource against the policy pack."""
    from stacks.checking import check_policies

    monitor, outputs = run_program(model)
    regs = sorted(monitor.registrations, key=lambda r: r.urn)
    by_urn = {r.urn: r for r in regs}
    resources = [to_planned(r, by_urn, monitor.provider_regions) for r in regs]
    violations = check_policies(model, regs, monitor.provider_regions)
    return PlanResult(stack=model.stack, resources=resources, violations=violations, outputs=outputs)

"""`ops plan`: what a stack would create, and whether it breaks a policy, before touching AWS.

Runs the real Pulumi program in-process under the mock runtime (``stacks.planning``): no Pulumi
CLI, no cloud, no credentials. Prints a tree grouped by component, or with ``--json`` the documented
object. Exit 0 clean, 1 on a mandatory policy violation, 2 on invalid configuration (nothing planned).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.tree import Tree

from cli.common import EXIT_FAILED, EXIT_OK, err, fail_invalid, out, print_json
from stacks.loading import PROD_STACKS, ConfigError, load_platform
from stacks.model import PlatformModel

if TYPE_CHECKING:  # the planner pulls in the Pulumi SDK: import it only when a plan runs
    from stacks.planning import PlannedResource, PlanResult


def load_model(stack: str | None, config: Path | None) -> PlatformModel:
    """The validated model, or exit 2 naming the file and key."""
    if stack is None and config is None:
        fail_invalid("--stack NAME or --config PATH is required")
    try:
        return load_platform(stack, config_path=config)
    except ConfigError as exc:
        fail_invalid(str(exc))


def plan_command(
    stack: Annotated[str | None, typer.Option("--stack", help="stack name (stacks/Pulumi.<stack>.yaml)")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="plan this stack file instead")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="print the plan as one JSON object")] = False,
    all_prod: Annotated[
        bool, typer.Option("--all-prod", help="plan the four prod stacks in one process (--json: a list)")
    ] = False,
) -> None:
    """Plan a stack offline under Pulumi's mock runtime and check it against the policy pack."""
    from stacks.planning import plan_stack

    if all_prod and (stack or config):
        fail_invalid("--all-prod plans the prod stacks: give no --stack or --config with it")
    models = [load_model(name, None) for name in PROD_STACKS] if all_prod else [load_model(stack, config)]
    results = [plan_stack(model) for model in models]
    if json_output:
        print_json([r.to_json() for r in results] if all_prod else results[0].to_json())
    else:
        for result in results:
            out.print(render_tree(result))
            report_violations(result)
    failed = any(r.mandatory_violations for r in results)
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def owning_component(resource: PlannedResource, by_name: dict[str, PlannedResource]) -> str | None:
    """The nearest component above a resource (None: it sits directly in the stack)."""
    owner = resource.parent
    while owner is not None and owner in by_name and by_name[owner].custom:
        owner = by_name[owner].parent
    return owner


def components_of(result: PlanResult) -> dict[str | None, list[PlannedResource]]:
    """Resources grouped under the component they belong to."""
    by_name = {r.name: r for r in result.resources}
    groups: dict[str | None, list[PlannedResource]] = {}
    for r in result.resources:
        if r.custom:
            groups.setdefault(owning_component(r, by_name), []).append(r)
    return groups


def short_type(type_token: str) -> str:
    """``aws:s3/bucketVersioning:BucketVersioning`` -> ``s3:BucketVersioning``."""
    package, module, kind = [*type_token.split(":"), "", ""][:3]
    return f"{module.split('/')[0] or package}:{kind}"


def render_tree(result: PlanResult) -> Tree:
    components = {r.name: r for r in result.resources if not r.custom}
    groups = components_of(result)
    custom = sum(len(v) for v in groups.values())
    tree = Tree(f"[bold]{result.stack}[/]: {custom} resources in {len(components)} components")
    for owner in sorted(groups, key=lambda o: (o is not None, o or "")):
        members = groups[owner]
        regions = sorted({r.region for r in members if r.region})
        label = "stack" if owner not in components else f"{short_type(components[owner].type)} [cyan]{owner}[/]"
        branch = tree.add(f"{label} ({len(members)} resources; {', '.join(regions) or 'no region'})")
        for kind, count in sorted(Counter(short_type(r.type) for r in members).items()):
            branch.add(f"{count} x {kind}")
    return tree


def report_violations(result: PlanResult) -> None:
    if not result.violations:
        out.print(f"[green]policy pack: 0 violations[/] ({result.stack})")
        return
    out.print(f"[red]policy pack: {len(result.violations)} violations[/]")
    for v in result.violations:
        out.print(f"  [{v.enforcement}] {v.policy}: {v.message}", highlight=False, markup=False)
    err.print(f"{len(result.mandatory_violations)} mandatory violations in {result.stack}")

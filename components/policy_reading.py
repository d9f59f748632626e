"""How policies read the engine's view of a resource: decoded properties, provider region and tags.

Shared by the resource policies (``components/policies.py``) and the stack policies
(``components/stack_policies.py``); nothing here reports a violation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from components.tagging import REQUIRED_TAGS
from stacks.model import COST_CENTERS

GLOBAL = "global"
ARN_REGION = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}-[a-z]+-\d):")


@dataclass(frozen=True)
class PolicyRules:
    """What the policies need from the platform model: which regions each jurisdiction owns."""

    regions_by_jurisdiction: Mapping[str, tuple[str, ...]]
    required_tags: tuple[str, ...] = REQUIRED_TAGS
    cost_centers: tuple[str, ...] = COST_CENTERS

    def allowed_regions(self, jurisdiction: str | None) -> tuple[str, ...]:
        if jurisdiction == GLOBAL:
            return tuple(r for regions in self.regions_by_jurisdiction.values() for r in regions)
        return tuple(self.regions_by_jurisdiction.get(jurisdiction or "", ()))


def decoded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def provider_props(provider: Any) -> Mapping[str, Any]:
    return {k: decoded(v) for k, v in (getattr(provider, "props", None) or {}).items()}


def provider_default_tags(provider: Any) -> dict[str, str]:
    tags = provider_props(provider).get("defaultTags") or {}
    return dict(tags.get("tags") or {}) if isinstance(tags, Mapping) else {}


def provider_region(provider: Any) -> str | None:
    region = provider_props(provider).get("region")
    return str(region) if region else None


def provider_jurisdiction(provider: Any) -> str | None:
    return provider_default_tags(provider).get("jurisdiction")


def resource_tags(resource_type: str, props: Mapping[str, Any]) -> dict[str, str]:
    """The resource's own tags; Auto Scaling groups carry a list of {key, value}."""
    tags = decoded(props.get("tags"))
    if isinstance(tags, list):
        return {str(t.get("key")): str(t.get("value")) for t in tags if isinstance(t, Mapping)}
    return dict(tags or {})


def effective_tags(resource_type: str, props: Mapping[str, Any], provider: Any) -> dict[str, str]:
    """Tags AWS would apply: provider defaults (not for ASGs, which AWS excludes) plus the resource's."""
    defaults = {} if resource_type == "aws:autoscaling/group:Group" else provider_default_tags(provider)
    return {**defaults, **resource_tags(resource_type, props)}


def arn_regions(value: Any) -> Iterable[str]:
    """Every region named by an ARN anywhere inside a property value."""
    if isinstance(value, str):
        match = ARN_REGION.match(value)
        if match:
            yield match.group(1)
        elif value[:1] in "{[":
            parsed = decoded(value)
            if not isinstance(parsed, str):
                yield from arn_regions(parsed)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from arn_regions(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from arn_regions(item)


def is_aws(resource_type: str) -> bool:
    return resource_type.startswith("aws:")

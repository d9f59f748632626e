"""Tag and IAM-document helpers shared by the components (no resources are created here).

``jurisdiction`` and the stack-wide tags come from each regional provider's ``default_tags``; a
resource only adds its own ``cost_center`` (and, where useful, ``pool`` or ``plane``). Auto Scaling
groups are the exception AWS documents: provider default tags do not reach them, so they get an
explicit tag list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

DATA_PLANE_TAG = ("plane", "data")
REQUIRED_TAGS = ("cost_center", "jurisdiction")


def cost_tags(cost_center: str, **extra: str) -> dict[str, str]:
    """Per-resource tags: the showback bucket plus anything specific (pool name, plane)."""
    return {"cost_center": cost_center, **extra}


def asg_tags(tags: Mapping[str, str]) -> list[dict[str, Any]]:
    """Auto Scaling group tags, propagated to the instances it launches."""
    return [{"key": k, "value": v, "propagate_at_launch": True} for k, v in sorted(tags.items())]


def assume_role_policy(service: str) -> str:
    """Trust policy letting one AWS service assume a role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def policy_document(statements: Sequence[tuple[str, Sequence[str], Sequence[str]]]) -> str:
    """An IAM policy from (sid, actions, resources) triples, all Allow."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": list(resources)}
                for sid, actions, resources in statements
                if resources
            ],
        },
        sort_keys=True,
    )

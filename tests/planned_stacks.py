"""One offline plan per stack per test process, shared by the infrastructure tests (plans are pure)."""

from __future__ import annotations

import functools

from stacks.loading import load_platform
from stacks.planning import PlanResult, plan_stack


@functools.cache
def planned(stack: str) -> PlanResult:
    """The plan of a stack file in stacks/, computed once per process."""
    return plan_stack(load_platform(stack))

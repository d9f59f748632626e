"""The pool scaler as a controller the runner drives: observe pools, decide (pure), set capacity.

Works against any backend whose ports bundle has a ``pools`` attribute (a ``PoolActuator``):
the sandbox's in-process pools or ``AwsPoolActuator`` (SQS depth + Auto Scaling). Only pools whose
observed region and jurisdiction match the platform model are ever acted on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from controllers.pool_scaling.decide import decide
from controllers.pool_scaling.estimating import estimate_arrivals_per_hour
from controllers.pool_scaling.models import (
    CONTROLLER,
    PEAKS_FILE,
    PoolScalingConfig,
    PoolScalingDecision,
    PoolScalingObservation,
    load_peak_schedule,
    pool_configs,
)
from ports.interfaces import PoolActuator
from ports.types import PoolState
from stacks.model import PlatformModel

# Queue wait beyond which the backlog rule takes over from the coarse step rules: at 200 videos/h per
# instance, 60 s is 3.3 queued messages per instance. Tighter targets fight the SPEC's hold band.
DRAIN_TARGET_S = 60.0


class PoolPorts(Protocol):
    """Any ports bundle with GPU pools."""

    @property
    def pools(self) -> PoolActuator: ...


class PoolScaler:
    """Controller: one decision per tick covering every pool of the configured jurisdictions."""

    name = CONTROLLER

    def __init__(self, configs: Iterable[PoolScalingConfig]) -> None:
        self.configs = {c.pool: c for c in configs}
        self.previous: dict[str, PoolState] = {}
        self.arrivals: dict[str, float] = {}

    @classmethod
    def from_platforms(
        cls, platforms: Iterable[PlatformModel], peaks_file: Path = PEAKS_FILE, drain_target_s: float = DRAIN_TARGET_S
    ) -> PoolScaler:
        schedule = load_peak_schedule(peaks_file)
        return cls(c for p in platforms for c in pool_configs(p, schedule, drain_target_s))

    def observe(self, ports: PoolPorts, now: float) -> PoolScalingObservation:
        """Pool states, and arrival rates estimated against the previous good observation."""
        states = tuple(ports.pools.describe_pools())
        for state in states:
            config, prev = self.configs.get(state.pool), self.previous.get(state.pool)
            if config is None or prev is None:
                continue
            estimate = estimate_arrivals_per_hour(
                prev, state, self.arrivals.get(state.pool), config.videos_per_hour_per_instance,
                config.target_utilisation,
            )  # fmt: skip
            if estimate is not None:
                self.arrivals[state.pool] = estimate
        self.previous = {s.pool: s for s in states}
        return PoolScalingObservation(states=states, arrivals_per_hour=dict(self.arrivals))

    def decide(self, observation: PoolScalingObservation, now: float) -> PoolScalingDecision:
        return decide(observation, self.configs, now)

    def apply(self, decision: PoolScalingDecision, ports: PoolPorts, *, dry_run: bool) -> None:
        for verdict in decision.pools:
            if verdict.action != "hold":
                ports.pools.set_desired_capacity(verdict.pool, verdict.desired, dry_run=dry_run)

"""What one war-game run observed, handed from the orchestrator to the judging and reporting steps.

Kept apart from the orchestrator so that judging and reporting can be exercised on recorded evidence
without starting the sandbox, Locust or Chaos Toolkit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wargames.loading import LoadEvidence
from wargames.measuring import Poll
from wargames.models import WarGameSpec


@dataclass
class RunRecord:
    """Everything observed during one run, handed to the judging and reporting steps."""

    spec: WarGameSpec
    mitigated: bool
    out_dir: Path
    started_model_s: float = 0.0
    marks: dict[str, float] = field(default_factory=dict)
    ended_model_s: float = 0.0
    journal: dict[str, Any] = field(default_factory=dict)
    recheck: dict[str, Any] = field(default_factory=dict)
    pairs: list[tuple[float, float]] = field(default_factory=list)
    polls: list[Poll] = field(default_factory=list)
    poll_errors: int = 0
    load: LoadEvidence | None = None
    reconcile: dict[str, Any] = field(default_factory=dict)
    outcome: dict[str, Any] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    controller_facts: dict[str, Any] = field(default_factory=dict)  # ControllersStrategy.facts()
    counterfactual_failures: int | None = None
    wall_time_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # wall seconds spent per step

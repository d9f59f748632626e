"""Running a war game's Chaos Toolkit experiment from Python, with rollbacks that always run.

chaostoolkit-lib skips rollbacks under its default strategy when a run failed or was interrupted
(e.g. by a safeguard); we pass the ``always`` strategy and, after the recovery phase, re-run the
steady-state hypothesis to verify that the rollbacks really restored the platform. An event handler
stamps the model time of the method's start and the rollbacks' end: the phase boundaries.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chaoslib.configuration import load_configuration
from chaoslib.experiment import run_experiment
from chaoslib.hypothesis import run_steady_state_hypothesis
from chaoslib.run import EventHandlerRegistry, RunEventHandler
from chaoslib.types import Strategy

logging.getLogger("chaostoolkit").setLevel(logging.ERROR)  # its warnings are in the journal; keep stderr for us
NO_DRY = None  # chaoslib: no Dry member means "run for real"
SETTINGS: dict[str, Any] = {"runtime": {"rollbacks": {"strategy": "always"}}}


@dataclass
class Marks(RunEventHandler):  # type: ignore[misc]
    """Model time at the experiment's milestones, read through ``now`` (the sandbox's clock)."""

    now: Callable[[], float]
    times: dict[str, float] = field(default_factory=dict)

    def start_method(self, experiment: Any) -> None:
        self.times["method_started"] = self.now()

    def method_completed(self, experiment: Any, state: Any) -> None:
        self.times["method_completed"] = self.now()

    def start_rollbacks(self, experiment: Any) -> None:
        self.times["rollbacks_started"] = self.now()

    def rollbacks_completed(self, experiment: Any, journal: Any) -> None:
        self.times["rollbacks_completed"] = self.now()


def target_experiment(experiment: dict[str, Any], sandbox_url: str) -> dict[str, Any]:
    """A copy of the experiment aimed at this war game's sandbox (not whatever the env says)."""
    aimed = copy.deepcopy(experiment)
    aimed.setdefault("configuration", {}).update({"sandbox_url": sandbox_url, "target": "sandbox"})
    return aimed


def run_with_rollbacks(experiment: dict[str, Any], marks: Marks, *, always_inject: bool = False) -> dict[str, Any]:
    """The journal of one run; rollbacks run whatever happened (strategy ``always``).

    ``always_inject`` skips the hypothesis before the method (chaoslib's ``after-method-only``): the
    unmitigated counterfactual must suffer the fault even when its baseline is already unsteady.
    """
    strategy = Strategy.AFTER_METHOD if always_inject else Strategy.DEFAULT
    journal: dict[str, Any] = run_experiment(
        experiment, settings=copy.deepcopy(SETTINGS), strategy=strategy, event_handlers=[marks]
    )
    return journal


def recheck_steady_state(experiment: dict[str, Any]) -> dict[str, Any]:
    """The steady-state hypothesis again, after the rollbacks: ``steady_state_met`` and the probes."""
    configuration = load_configuration(experiment.get("configuration", {}))
    state = run_steady_state_hypothesis(experiment, configuration, {}, NO_DRY, EventHandlerRegistry())
    return state or {"steady_state_met": None, "probes": []}

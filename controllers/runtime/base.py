"""What every controller is: observe -> pure decide -> apply, with a reason on every decision.

The runner (``controllers/runtime/running.py``) drives any object that satisfies
:class:`Controller`. Decisions are data: an action, a reason from a ``StrEnum`` and the numbers that
justify it, so that the audit log explains every change and a no-op is explicit.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Decision(BaseModel):
    """Base of every controller decision. ``action == "noop"`` means nothing to apply."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    controller: str
    action: str
    reason: str
    at: float = Field(description="model or wall time the decision was taken (epoch seconds)")
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_noop(self) -> bool:
        return self.action == "noop"


ObservationT = TypeVar("ObservationT")
DecisionT = TypeVar("DecisionT", bound=Decision)
PortsT = TypeVar("PortsT", contravariant=True)


class Controller(Protocol, Generic[ObservationT, DecisionT, PortsT]):
    """A controller as the runner sees it. ``observe`` and ``apply`` may raise ports.PortError."""

    name: str

    def observe(self, ports: PortsT, now: float) -> ObservationT: ...

    def decide(self, observation: ObservationT, now: float) -> DecisionT: ...

    def apply(self, decision: DecisionT, ports: PortsT, *, dry_run: bool) -> None: ...

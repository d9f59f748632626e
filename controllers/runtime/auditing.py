"""The audit trail: one JSON line per controller decision, with its reason and what became of it.

Operators read it to answer "why did capacity change at 16:02?" and the forecast scorer reads it to
compare predictions with what happened. Records are frozen pydantic models so that a line written
here is exactly what ``AuditRecord.model_validate_json`` reads back.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field

from controllers.runtime.base import Decision


class Outcome(StrEnum):
    """What the runner did with a decision."""

    APPLIED = "applied"
    DRY_RUN = "dry_run"
    NOOP = "noop"
    HELD = "held"  # the observation failed: the last good decision stands, nothing was changed
    APPLY_FAILED = "apply_failed"
    STANDBY = "standby"  # another replica holds the lease: decided, did not act
    DECIDE_FAILED = "decide_failed"


class AuditRecord(BaseModel):
    """One reconcile of one controller."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    at: float
    controller: str
    outcome: Outcome
    decision: dict[str, Any] | None = Field(description="the decision taken now, or the one held on a fault")
    error: str | None = None
    stage: str | None = Field(default=None, description="observe, decide or apply when something failed")
    observation: dict[str, Any] | None = None


def dump_decision(decision: Decision | None) -> dict[str, Any] | None:
    """A decision (of any controller's Decision subclass) as the JSON data kept in the audit record."""
    return None if decision is None else decision.model_dump(mode="json")


class AuditLog:
    """Appends records as JSON lines to a file or stream, and keeps the most recent ones in memory."""

    def __init__(self, path: Path | None = None, stream: IO[str] | None = None, keep: int = 10_000) -> None:
        self._path = path
        self._stream = stream
        self._recent: deque[AuditRecord] = deque(maxlen=keep)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: AuditRecord) -> None:
        line = record.model_dump_json()
        self._recent.append(record)
        if self._path is not None:
            with self._path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        if self._stream is not None:
            self._stream.write(line + "\n")
            self._stream.flush()

    @property
    def records(self) -> list[AuditRecord]:
        return list(self._recent)


def read_audit(path: Path) -> Iterator[AuditRecord]:
    """Records of an audit file, oldest first; a malformed line raises ValueError naming file and line."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield AuditRecord.model_validate(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not an audit record: {exc}") from None

"""Read the predictive scaler's audit trail back: latest forecasts, self-scores, lead times achieved.

``ops forecast show`` prints this. Everything comes from the JSON-lines audit log the runner wrote
(the scaler's decisions carry their forecasts, the scores of forecasts whose time has come, and the
lead time achieved per resource), so it works the same after a sandbox run or a production one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from controllers.predictive.decide import CONTROLLER
from controllers.predictive.models import ForecastPoint, ForecastScore
from controllers.runtime.auditing import AuditRecord


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScoreSummary(Frozen):
    """How one video's forecasts did at the scoring horizon."""

    video_id: str
    region: str
    scored: int
    mean_abs_log_error: float
    coverage: float = Field(description="share of outcomes at or under the upper quantile")
    last_predicted: float
    last_actual: float


class ForecastReport(Frozen):
    decisions: int
    held: int = Field(description="reconciles where an observation failed and the last decision stood")
    at: float | None
    forecasts: tuple[ForecastPoint, ...]
    scores: tuple[ScoreSummary, ...]
    lead_times_s: dict[str, float]
    changes_by_reason: dict[str, int]


def summarise_scores(scores: list[ForecastScore]) -> list[ScoreSummary]:
    by_video: dict[tuple[str, str], list[ForecastScore]] = {}
    for s in scores:
        by_video.setdefault((s.video_id, s.region), []).append(s)
    return [
        ScoreSummary(
            video_id=video,
            region=region,
            scored=len(items),
            mean_abs_log_error=sum(abs(s.log_error) for s in items) / len(items),
            coverage=sum(s.covered for s in items) / len(items),
            last_predicted=items[-1].predicted,
            last_actual=items[-1].actual,
        )
        for (video, region), items in sorted(by_video.items())
    ]


def build_report(records: Iterable[AuditRecord]) -> ForecastReport:
    """Fold the predictive scaler's records (others are ignored) into one report."""
    mine = [r for r in records if r.controller == CONTROLLER]
    decided = [r for r in mine if r.decision is not None and r.outcome.value != "held"]
    scores = [ForecastScore.model_validate(s) for r in decided for s in r.decision.get("scores", [])]  # type: ignore[union-attr]
    last = decided[-1] if decided else None
    reasons = Counter(c["reason"] for r in decided for c in r.decision.get("changes", []))  # type: ignore[union-attr]
    return ForecastReport(
        decisions=len(decided),
        held=sum(1 for r in mine if r.outcome.value == "held"),
        at=last.at if last else None,
        forecasts=tuple(ForecastPoint.model_validate(f) for f in (last.decision or {}).get("forecasts", []))
        if last
        else (),
        scores=tuple(summarise_scores(scores)),
        lead_times_s=dict((last.decision or {}).get("lead_times_s", {})) if last else {},
        changes_by_reason=dict(reasons),
    )

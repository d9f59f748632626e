"""Self-scoring: each forecast made for the scoring horizon is compared with what happened.

The scores go into every decision (so into the audit log and ``ops forecast show``), and their
realised log errors widen the upper quantile when the model has been over-confident: calibration
from the forecaster's own record, not a constant.
"""

from __future__ import annotations

import math

from controllers.predictive.forecasting import EPS
from controllers.predictive.models import ForecastPoint, ForecastScore, PendingScore, VideoSignal

SCORE_MEMORY = 0.8  # weight of the past in the realised-error EWMA, per scored forecast


def stream_key(video_id: str, region: str) -> str:
    return f"{region}/{video_id}"


def plan_score(point: ForecastPoint, now: float) -> PendingScore:
    return PendingScore(
        video_id=point.video_id,
        region=point.region,
        made_at=now,
        target_at=now + point.horizon_s,
        mean=point.views_mean,
        upper=point.views_upper,
    )


def score_due(
    pending: tuple[PendingScore, ...], videos: tuple[VideoSignal, ...], now: float
) -> tuple[list[ForecastScore], tuple[PendingScore, ...]]:
    """Score the forecasts whose target time has come (against this observation); keep the rest."""
    actual = {stream_key(v.video_id, v.region): v.views_per_min for v in videos}
    scores: list[ForecastScore] = []
    waiting: list[PendingScore] = []
    for p in pending:
        if p.target_at > now:
            waiting.append(p)
            continue
        seen = actual.get(stream_key(p.video_id, p.region), 0.0)
        scores.append(
            ForecastScore(
                video_id=p.video_id,
                region=p.region,
                made_at=p.made_at,
                target_at=p.target_at,
                predicted=p.mean,
                upper=p.upper,
                actual=seen,
                log_error=math.log(seen + 1.0) - math.log(p.mean + 1.0),
                covered=seen <= p.upper + EPS,
            )
        )
    return scores, tuple(waiting)


def fold_errors(previous: float | None, scores: list[ForecastScore]) -> float | None:
    """EWMA of squared realised log errors; None until something was scored."""
    value = previous
    for s in scores:
        sq = s.log_error * s.log_error
        value = sq if value is None else SCORE_MEMORY * value + (1 - SCORE_MEMORY) * sq
    return value

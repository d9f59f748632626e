"""Perfect foresight of the scenario's load, for the ``oracle`` strategy only.

The oracle is the upper bound a predictive controller is compared with: it reads what the next
``horizon_s`` will bring straight from the model's traffic functions and social stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from sandbox.engine import Sandbox

MAX_SAMPLES = 2000


class LoadForecast(BaseModel):
    """Peaks and totals over the horizon; keys are platform-model names."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    at: float
    horizon_s: float
    write_units: dict[str, dict[str, float]]
    video_starts_per_min: dict[str, float]
    uploads: dict[str, float]
    mentions: dict[str, float]
    video_views: dict[str, float]


def forecast_load(sb: Sandbox, horizon_s: float) -> LoadForecast:
    """Peak write units per table and region, peak starts per region, expected uploads and social."""
    t0 = sb.now
    step = max(sb.dt, horizon_s / MAX_SAMPLES)
    times = np.arange(t0, t0 + max(horizon_s, sb.dt), step)
    writes = np.max([sb.traffic.writes(float(t)) for t in times], axis=0)
    starts = np.max([sb.traffic.views(float(t)) for t in times], axis=0) * 60.0
    uploads = np.sum([sb.traffic.uploads(float(t)) for t in times], axis=0) * step
    first, last = sb.tick, min(sb.tick + int(horizon_s / sb.dt), sb.ticks)
    mentions = sb.social.mentions[:, first:last].sum(axis=1)
    views = sb.social.views[:, first:last].sum(axis=1)
    return LoadForecast(
        at=sb.clock.now(),
        horizon_s=horizon_s,
        write_units={
            table: {r: float(writes[i, k]) for i, r in enumerate(sb.region_names)}
            for k, table in enumerate(sb.table_names)
        },
        video_starts_per_min={r: float(starts[i]) for i, r in enumerate(sb.region_names)},
        uploads={j: float(uploads[i]) for i, j in enumerate(sb.jurisdiction_names)},
        mentions={v: float(mentions[i]) for i, v in enumerate(sb.social.video_ids)},
        video_views={v: float(views[i]) for i, v in enumerate(sb.social.video_ids)},
    )

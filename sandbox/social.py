"""Social signals (SPEC 7): mention streams from self-exciting cascades, and the views they bring.

Each tracked video's mentions follow a discrete Hawkes process: an exogenous burst (a forum share),
background noise, and every mention triggering ``branching`` more with an exponential kernel whose
reach fades as attention saturates (the memory decay of SEISMIC-style models). Views follow mentions
after a log-normal delay of median ``lead_s``, so the mention stream leads the views by tens of
minutes; cascades with low branching are the false alarms: a burst, then nothing. The whole stream is
drawn up front from the seed (it does not depend on what controllers do).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sandbox.scenarios import Social

FloatArray = NDArray[np.float64]
SHOCK_SPREAD_S = 300.0
MINUTE_S = 60.0
HOUR_S = 3600.0
VIEW_DELAY_SIGMA = 0.5


class SocialStream:
    """Mentions and views per tick for each tracked video (rows in ``video_ids`` order)."""

    def __init__(self, social: Social, ticks: int, tick_s: float, rng: np.random.Generator) -> None:
        self.video_ids = [v.video_id for v in social.videos]
        self.regions = [v.region for v in social.videos]
        self.tick_s = tick_s
        self.mentions = draw_mentions(social, ticks, tick_s, rng)
        self.views = expected_views(social, self.mentions, tick_s)

    def trending_at(self, video_id: str, views_per_hour: float) -> float | None:
        """When the video trends (seconds from the start), or None if it never does: the trending list
        is recomputed at each whole minute from the views of the minute before, and features the video
        once they reach ``views_per_hour``."""
        row = self.views[self.video_ids.index(video_id)]
        span = max(1, round(MINUTE_S / self.tick_s))
        minutes = len(row) // span
        per_minute = row[: minutes * span].reshape(minutes, span).sum(axis=1)
        hits = np.nonzero(per_minute * (HOUR_S / MINUTE_S) >= views_per_hour)[0]
        return float((hits[0] + 1) * span * self.tick_s) if len(hits) else None

    def at(self, tick: int) -> tuple[FloatArray, FloatArray]:
        """(mentions, views) during tick ``tick``; zeros past the end."""
        if tick >= self.mentions.shape[1]:
            zeros = np.zeros(len(self.video_ids))
            return zeros, zeros
        return self.mentions[:, tick], self.views[:, tick]


def draw_mentions(social: Social, ticks: int, dt: float, rng: np.random.Generator) -> FloatArray:
    """Discrete Hawkes: lambda = noise + burst + branching * attention * excitation."""
    vids = social.videos
    n = len(vids)
    out = np.zeros((n, ticks))
    if n == 0:
        return out
    decay = np.asarray([v.decay_s for v in vids])
    branching = np.asarray([v.branching for v in vids])
    shock_at = np.asarray([v.shock_s for v in vids])
    shock_rate = np.asarray([v.shock_mentions for v in vids]) / SHOCK_SPREAD_S
    saturation = np.asarray([v.saturation_s for v in vids])
    noise = social.noise_mentions_per_min / 60.0
    keep = np.exp(-dt / decay)
    excitation = np.zeros(n)
    for k in range(ticks):
        t = k * dt
        since = t - shock_at
        burst = np.where((since >= 0) & (since < SHOCK_SPREAD_S), shock_rate, 0.0)
        attention = np.where(since >= 0, np.exp(-np.maximum(since, 0.0) / saturation), 1.0)
        rate = noise + burst + branching * attention * excitation
        counts = rng.poisson(rate * dt).astype(float)
        out[:, k] = counts
        excitation = excitation * keep + counts / decay
    return out


def expected_views(social: Social, mentions: FloatArray, dt: float) -> FloatArray:
    """Views per tick: a baseline plus each mention's views spread over a log-normal delay."""
    views = np.zeros_like(mentions)
    ticks = mentions.shape[1]
    for i, v in enumerate(social.videos):
        views[i] = v.base_views_per_hour * dt / 3600.0
        if v.views_per_mention <= 0 or ticks == 0:
            continue
        kernel = delay_kernel(v.lead_s, dt, ticks)
        views[i] += v.views_per_mention * np.convolve(mentions[i], kernel)[:ticks]
    return views


def delay_kernel(median_s: float, dt: float, ticks: int) -> FloatArray:
    """Probability that a view comes k ticks after its mention (log-normal, median ``median_s``)."""
    if median_s <= 0:
        return np.asarray([1.0])
    length = min(ticks, int(np.ceil(median_s * np.exp(3 * VIEW_DELAY_SIGMA) / dt)) + 1)
    t = (np.arange(length) + 0.5) * dt
    pdf = np.exp(-0.5 * (np.log(t / median_s) / VIEW_DELAY_SIGMA) ** 2) / t
    return np.asarray(pdf / pdf.sum())

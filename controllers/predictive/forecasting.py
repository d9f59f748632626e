"""Forecast a video's views from its mention stream: self-exciting mentions, in log space, with decay.

Mentions are modelled as a Hawkes-style process: the rate now is the branching ratio ``n`` times the
exponentially decayed sum of past mentions (decay ``1/beta``). Both are fitted online: each decay in
a small grid keeps a recursive least-squares estimate of ``n`` and its one-step log error, and the
best-scoring decay is used. Growth in log space is ``beta * (n - 1)``; the branching ratio fades
towards a long-run value below 1 (infectiousness decays, as in SEISMIC/HIP), so a forecast bends
over instead of growing in a straight line. Views follow mentions after a lag with a ratio, both
fitted online the same way. Uncertainty is the fitted one-step log error, widened with the horizon;
capacity is sized on an upper quantile. Pure functions only: the state goes in and comes out.
"""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist

from controllers.predictive.models import ForecastConfig, ForecastPoint, KernelFit, LagFit, StreamState

EPS = 1e-6


def log_rate(rate: float, floor: float) -> float:
    return math.log(max(rate, 0.0) + max(floor, EPS))


def start_stream(
    video_id: str, region: str, at: float, mentions: float, views: float, cfg: ForecastConfig
) -> StreamState:
    """A new stream at the priors: every decay equally unproven, the prior lag preferred."""
    prior = cfg.log_sigma_prior**2
    kernels = tuple(KernelFit(decay_s=d, excitation=mentions * d, sq_error=prior) for d in cfg.decay_grid_s)
    ratio = math.log(cfg.views_per_mention_prior)
    lags = tuple(
        LagFit(lag_s=lag, log_ratio=ratio, sq_error=prior if lag == cfg.lag_prior_s else 2 * prior)
        for lag in cfg.lag_grid_s
    )
    return StreamState(
        video_id=video_id,
        region=region,
        last_at=at,
        mentions_per_min=mentions,
        views_per_min=views,
        kernels=kernels,
        lags=lags,
        history=((at, mentions),),
    )


def branching_ratio(fit: KernelFit, cfg: ForecastConfig) -> float:
    """The fitted n, within [0, cap]; 1 (critical) until there is data."""
    if fit.sxx <= EPS:
        return 1.0
    return min(max(fit.sxy / fit.sxx, 0.0), cfg.branching_cap)


def update_kernel(fit: KernelFit, prev_rate: float, rate: float, dt: float, cfg: ForecastConfig) -> KernelFit:
    """Decay the excitation over dt, score the one-step prediction, then refit n by forgetting RLS."""
    decay = math.exp(-dt / fit.decay_s)
    excitation = fit.excitation * decay + prev_rate * fit.decay_s * (1 - decay)
    drive = excitation / fit.decay_s
    predicted = branching_ratio(fit, cfg) * drive
    error = log_rate(rate, cfg.min_mentions_per_min) - log_rate(predicted, cfg.min_mentions_per_min)
    keep = math.exp(-dt / cfg.memory_s)
    return KernelFit(
        decay_s=fit.decay_s,
        excitation=excitation,
        sxy=keep * fit.sxy + drive * rate,
        sxx=keep * fit.sxx + drive * drive,
        sq_error=keep * fit.sq_error + (1 - keep) * error * error,
    )


def mentions_at(history: tuple[tuple[float, float], ...], at: float) -> float | None:
    """Mentions/min at a past time, interpolated; None before the history starts."""
    if not history or at < history[0][0]:
        return None
    for (t0, m0), (t1, m1) in itertools.pairwise(history):
        if t0 <= at <= t1:
            return m0 if t1 == t0 else m0 + (m1 - m0) * (at - t0) / (t1 - t0)
    return history[-1][1]


def update_lag(
    fit: LagFit, history: tuple[tuple[float, float], ...], at: float, views: float, keep: float, cfg: ForecastConfig
) -> LagFit:
    past = mentions_at(history, at - fit.lag_s)
    if past is None:
        return fit
    observed = log_rate(views, cfg.min_mentions_per_min) - log_rate(past, cfg.min_mentions_per_min)
    if fit.samples == 0:  # the first pair sets the ratio; the prior error stands until there is evidence
        return fit.model_copy(update={"log_ratio": observed, "samples": 1})
    error = observed - fit.log_ratio
    return LagFit(
        lag_s=fit.lag_s,
        log_ratio=keep * fit.log_ratio + (1 - keep) * observed,
        sq_error=keep * fit.sq_error + (1 - keep) * error * error,
        samples=fit.samples + 1,
    )


def update_stream(stream: StreamState, mentions: float, views: float, at: float, cfg: ForecastConfig) -> StreamState:
    """Fold one observation into the stream's fits."""
    dt = at - stream.last_at
    if dt <= 0:
        return stream
    kernels = tuple(update_kernel(k, stream.mentions_per_min, mentions, dt, cfg) for k in stream.kernels)
    horizon = max(cfg.lag_grid_s) + cfg.step_s
    history = (*tuple(p for p in stream.history if p[0] >= at - horizon), (at, mentions))
    keep = math.exp(-dt / cfg.memory_s)
    lags = tuple(update_lag(lag, history, at, views, keep, cfg) for lag in stream.lags)
    return stream.model_copy(
        update={
            "last_at": at,
            "mentions_per_min": mentions,
            "views_per_min": views,
            "kernels": kernels,
            "lags": lags,
            "history": history,
        }
    )


def best_kernel(stream: StreamState) -> KernelFit:
    return min(stream.kernels, key=lambda k: k.sq_error)


def best_lag(stream: StreamState) -> LagFit:
    return min(stream.lags, key=lambda lag: lag.sq_error)


def log_growth(fit: KernelFit, ahead_s: float, cfg: ForecastConfig) -> float:
    """ln(m(t+s)/m(t)) = beta * integral of (n(u) - 1) du, with n(u) fading to the long-run ratio."""
    n = branching_ratio(fit, cfg)
    floor, tau = cfg.branching_floor, cfg.infectiousness_decay_s
    integral = (floor - 1) * ahead_s + (n - floor) * tau * (1 - math.exp(-ahead_s / tau))
    return integral / fit.decay_s


def forecast_mentions_log(stream: StreamState, ahead_s: float, cfg: ForecastConfig) -> tuple[float, float]:
    """(log mean, log variance) of mentions/min ``ahead_s`` after the last observation (<= 0: observed)."""
    if ahead_s <= 0:
        past = mentions_at(stream.history, stream.last_at + ahead_s)
        return log_rate(stream.mentions_per_min if past is None else past, cfg.min_mentions_per_min), 0.0
    fit = best_kernel(stream)
    base = log_rate(stream.mentions_per_min, cfg.min_mentions_per_min)
    return base + log_growth(fit, ahead_s, cfg), fit.sq_error * (1 + ahead_s / cfg.uncertainty_growth_s)


def forecast_views(
    stream: StreamState, ahead_s: float, cfg: ForecastConfig, realised_var_per_s: float = 0.0
) -> ForecastPoint:
    """Views/min ``ahead_s`` from now: mentions at (now + ahead - lag) times the fitted ratio.

    ``realised_var_per_s`` widens the spread by the errors the forecaster actually made (scoring).
    """
    lag, kernel = best_lag(stream), best_kernel(stream)
    log_mentions, variance = forecast_mentions_log(stream, ahead_s - lag.lag_s, cfg)
    log_mean = lag.log_ratio + log_mentions
    z = NormalDist().inv_cdf(cfg.quantile)
    spread = math.sqrt(variance + lag.sq_error + realised_var_per_s * max(ahead_s, 0.0))
    spread = min(spread, math.log(cfg.max_upper_ratio) / z)
    floor = math.log(max(cfg.min_mentions_per_min, EPS))
    return ForecastPoint(
        video_id=stream.video_id,
        region=stream.region,
        horizon_s=ahead_s,
        mentions_per_min=max(math.exp(log_mentions) - cfg.min_mentions_per_min, 0.0),
        views_mean=max(math.exp(log_mean) - math.exp(lag.log_ratio + floor), 0.0),
        views_upper=max(math.exp(log_mean + z * spread) - math.exp(lag.log_ratio + floor), 0.0),
        branching_ratio=branching_ratio(kernel, cfg),
        decay_s=kernel.decay_s,
        lag_s=lag.lag_s,
    )


def forecast_window(
    stream: StreamState, lead_s: float, cfg: ForecastConfig, realised_var_per_s: float = 0.0
) -> list[ForecastPoint]:
    """Forecast points from now to ``lead_s`` ahead, every ``cfg.step_s`` (both ends included)."""
    steps = max(1, math.ceil(lead_s / cfg.step_s))
    return [forecast_views(stream, min(i * cfg.step_s, lead_s), cfg, realised_var_per_s) for i in range(steps + 1)]

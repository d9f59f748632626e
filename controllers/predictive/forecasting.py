"""Forecast a video's views from its mention stream: self-exciting mentions, in log space, with decay.

Mentions are modelled as a Hawkes-style process: the rate now is the branching ratio ``n`` times the
exponentially decayed sum of past mentions (decay ``1/beta``). Both are fitted online: each decay in
a small grid keeps a recursive least-squares estimate of ``n`` (shrunk towards 1 by a prior) and its
one-step log error; the best-scoring decay is used. Growth in log space is ``beta * (n - 1)``; the
branching ratio fades as attention saturates (SEISMIC/HIP), so a forecast bends over instead of
growing in a straight line.

Views follow mentions through a delay kernel (log-normal, median ``lag``): the views of the next
half hour come mostly from mentions already seen, which is why social signals lead. The lag and the
views-per-mention ratio are fitted online over a grid, scored by their log error. Uncertainty comes
from the fitted errors, widened with the horizon; capacity is sized on an upper quantile. Pure
functions only: the state goes in and comes out.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from controllers.predictive.models import ForecastConfig, ForecastPoint, KernelFit, LagFit, StreamState

EPS = 1e-6
FloatArray = NDArray[np.float64]


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
        smoothed_mentions=mentions,
        views_per_min=views,
        kernels=kernels,
        lags=lags,
        history=((at, mentions, cfg.kernel_span_s),),  # before tracking: assume the rate seen now
    )


# --- mentions: the self-exciting part -------------------------------------------------------------
def branching_ratio(fit: KernelFit, cfg: ForecastConfig) -> float:
    """The fitted n, shrunk towards 1 (critical) by prior pseudo-observations, within [0, cap].

    The cap also bounds the implied growth rate ``(n - 1) / decay`` by ``max_growth_per_hour``: a
    kernel fitted on noisy counts must not extrapolate to absurd growth.
    """
    if fit.sxx <= EPS or fit.weight <= EPS:
        return 1.0
    prior = cfg.branching_prior_obs * fit.sxx / fit.weight
    n = (fit.sxy + prior) / (fit.sxx + prior)
    fastest = 1.0 + math.log(cfg.max_growth_per_hour) / 3600.0 * fit.decay_s
    return min(max(n, 0.0), cfg.branching_cap, fastest)


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
        weight=keep * fit.weight + 1.0,
        sq_error=keep * fit.sq_error + (1 - keep) * error * error,
    )


def best_kernel(stream: StreamState) -> KernelFit:
    return min(stream.kernels, key=lambda k: k.sq_error)


def log_growth(fit: KernelFit, ahead_s: FloatArray, cfg: ForecastConfig) -> FloatArray:
    """ln(m(t+s)/m(t)) = beta * integral of (n(u) - 1) du, with n(u) fading to the long-run ratio."""
    n = branching_ratio(fit, cfg)
    floor, tau = cfg.branching_floor, cfg.infectiousness_decay_s
    integral = (floor - 1) * ahead_s + (n - floor) * tau * (1 - np.exp(-ahead_s / tau))
    return np.asarray(integral / fit.decay_s)


def forecast_mentions(stream: StreamState, ahead_s: FloatArray, cfg: ForecastConfig) -> FloatArray:
    """Expected mentions/min at ``ahead_s`` (> 0) after the last observation."""
    fit = best_kernel(stream)
    base = log_rate(stream.smoothed_mentions, cfg.min_mentions_per_min)
    log_mean = base + log_growth(fit, ahead_s, cfg)
    return np.asarray(np.maximum(np.exp(log_mean) - max(cfg.min_mentions_per_min, EPS), 0.0))


# --- views: mentions through a delay kernel -------------------------------------------------------
def delay_density(ages_s: FloatArray, median_s: float, cfg: ForecastConfig) -> FloatArray:
    """Log-normal density (per second) of the delay from a mention to a view it brings."""
    ages = np.maximum(ages_s, EPS)
    z = np.log(ages / median_s) / cfg.delay_sigma
    density = np.exp(-0.5 * z * z) / (ages * cfg.delay_sigma * math.sqrt(2 * math.pi))
    return np.where((ages_s > 0) & (ages_s <= cfg.kernel_span_s), density, 0.0)


def history_arrays(stream: StreamState) -> tuple[FloatArray, FloatArray, FloatArray]:
    h = np.asarray(stream.history, dtype=float).reshape(-1, 3)
    return h[:, 0], h[:, 1], h[:, 2]


def views_from_seen(stream: StreamState, at: FloatArray, lag_s: float, cfg: ForecastConfig) -> FloatArray:
    """Views/min (ratio 1) at times ``at`` brought by the mentions already observed."""
    times, rates, spans = history_arrays(stream)
    mid = times - spans / 2
    ages = at[:, None] - mid[None, :]
    return np.asarray((delay_density(ages, lag_s, cfg) * rates[None, :] * spans[None, :]).sum(axis=1))


def update_lag(fit: LagFit, stream: StreamState, views: float, keep: float, cfg: ForecastConfig) -> LagFit:
    """Score the lag's one-step prediction in log space, then refit the ratio as sum(views)/sum(expected).

    A ratio of forgetting sums (least squares through the origin) is not dragged down by the early
    minutes when both sides are tiny, as an average of log ratios would be; one pseudo-observation
    at the prior ratio keeps it defined before the views arrive.
    """
    expected = float(views_from_seen(stream, np.asarray([stream.last_at]), fit.lag_s, cfg)[0])
    predicted = math.exp(fit.log_ratio) * expected
    error = log_rate(views, cfg.min_mentions_per_min) - log_rate(predicted, cfg.min_mentions_per_min)
    sum_views = keep * fit.sum_views + views
    sum_expected = keep * fit.sum_expected + expected
    pseudo = max(cfg.min_mentions_per_min, EPS)
    ratio = (sum_views + cfg.views_per_mention_prior * pseudo) / (sum_expected + pseudo)
    return LagFit(
        lag_s=fit.lag_s,
        log_ratio=math.log(ratio),
        sq_error=keep * fit.sq_error + (1 - keep) * error * error,
        sum_views=sum_views,
        sum_expected=sum_expected,
    )


def best_lag(stream: StreamState) -> LagFit:
    return min(stream.lags, key=lambda lag: lag.sq_error)


def update_stream(stream: StreamState, mentions: float, views: float, at: float, cfg: ForecastConfig) -> StreamState:
    """Fold one observation into the stream's fits."""
    dt = at - stream.last_at
    if dt <= 0:
        return stream
    kernels = tuple(update_kernel(k, stream.mentions_per_min, mentions, dt, cfg) for k in stream.kernels)
    blend = math.exp(-dt / cfg.smoothing_s)
    kept = tuple(p for p in stream.history if p[0] >= at - cfg.kernel_span_s)
    moved = stream.model_copy(
        update={
            "last_at": at,
            "mentions_per_min": mentions,
            "views_per_min": views,
            "kernels": kernels,
            "smoothed_mentions": blend * stream.smoothed_mentions + (1 - blend) * mentions,
            "history": (*kept, (at, mentions, dt)),
        }
    )
    keep = math.exp(-dt / cfg.memory_s)
    return moved.model_copy(update={"lags": tuple(update_lag(lag, moved, views, keep, cfg) for lag in stream.lags)})


def forecast_window(
    stream: StreamState, lead_s: float, cfg: ForecastConfig, realised_var_per_s: float | None = None
) -> list[ForecastPoint]:
    """Views/min from now to ``lead_s`` ahead, every ``cfg.step_s``: seen mentions through the delay
    kernel plus forecast mentions through it, times the fitted ratio; with an upper quantile.

    The spread is the lag fit's one-step log error plus the forecaster's own record: the realised
    squared log error of its scored forecasts, per second of horizon (``realised_var_per_s``; before
    anything was scored, the prior ``log_sigma_prior`` over ``uncertainty_growth_s``).
    """
    lag, kernel = best_lag(stream), best_kernel(stream)
    z = NormalDist().inv_cdf(cfg.quantile)
    per_s = cfg.log_sigma_prior**2 / cfg.uncertainty_growth_s if realised_var_per_s is None else realised_var_per_s
    steps = max(1, math.ceil(lead_s / cfg.step_s))
    ahead = np.minimum(np.arange(steps + 1) * cfg.step_s, lead_s)
    seen = views_from_seen(stream, stream.last_at + ahead, lag.lag_s, cfg)
    coming_at = np.asarray(np.arange(1, steps + 1) * cfg.step_s - cfg.step_s / 2, dtype=float)
    coming = forecast_mentions(stream, coming_at, cfg)
    weights = delay_density(ahead[:, None] - coming_at[None, :], lag.lag_s, cfg) * cfg.step_s
    mean = math.exp(lag.log_ratio) * (seen + weights @ coming)
    spread = np.minimum(np.sqrt(lag.sq_error + per_s * ahead), math.log(cfg.max_upper_ratio) / z)
    upper = mean * np.exp(z * spread)
    n = branching_ratio(kernel, cfg)
    return [
        ForecastPoint(
            video_id=stream.video_id,
            region=stream.region,
            horizon_s=float(ahead[i]),
            mentions_per_min=float(coming[i - 1]) if i else stream.smoothed_mentions,
            views_mean=float(mean[i]),
            views_upper=float(upper[i]),
            branching_ratio=n,
            decay_s=kernel.decay_s,
            lag_s=lag.lag_s,
        )
        for i in range(len(ahead))
    ]


def forecast_views(
    stream: StreamState, ahead_s: float, cfg: ForecastConfig, realised_var_per_s: float | None = None
) -> ForecastPoint:
    """Views/min ``ahead_s`` from the last observation (the last point of the window)."""
    return forecast_window(stream, ahead_s, cfg, realised_var_per_s)[-1]

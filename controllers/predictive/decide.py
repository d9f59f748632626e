"""The predictive scaler's decision: pure, from (observation, config, now) to capacity changes.

1. Fold the new mention/view readings into each video's forecaster (``forecasting.py``) and score
   forecasts whose time has come (``scoring.py``).
2. Per resource, over its lead window (tables' warm throughput ~30 min, provisioned capacity and
   pods ~1 min):
   - tables (writes): a video trends once its views reach the viral threshold (SPEC 7), and the
     platform's writes then surge by SPEC 8's profile (``TrendingRule``). The onset is the one seen,
     else the first point where the upper-quantile forecast reaches the threshold (the earliest
     likely onset). The need is the pre-surge demand times the highest multiplier over the window,
     at the target utilisation; with no surge in the window, the demand served now;
   - pods (views): the demand served now minus the tracked videos' share, plus their upper-quantile
     views, times API calls per view;
   divided by 0.67 when an AZ of the resource's region is impaired.
3. Raise to the need at once. Lower only when the need stayed below ``scale_in_below`` x current for
   ``scale_in_after_s`` (hysteresis), never for warm throughput (it cannot be lowered). In shadow
   mode everything is computed and reported, nothing is changed.
"""

from __future__ import annotations

import math

from controllers.predictive.forecasting import forecast_views, forecast_window, start_stream, update_stream
from controllers.predictive.models import (
    CapacityChange,
    CurrentCapacity,
    Demand,
    ForecastPoint,
    ForecastScore,
    Observation,
    PredictiveConfig,
    PredictiveDecision,
    Reason,
    ResourceKind,
    ResourceMemory,
    ResourceSpec,
    ScalerState,
    StreamState,
    TrendingRule,
    VideoSignal,
)
from controllers.predictive.scoring import fold_errors, plan_score, score_due, stream_key

CONTROLLER = "predictive"


def track_streams(
    streams: dict[str, StreamState], videos: tuple[VideoSignal, ...], now: float, cfg: PredictiveConfig
) -> dict[str, StreamState]:
    """Update known streams, start new ones above the mention threshold, drop those no longer reported."""
    out: dict[str, StreamState] = {}
    for v in videos:
        key = stream_key(v.video_id, v.region)
        known = streams.get(key)
        if known is not None:
            out[key] = update_stream(known, v.mentions_per_min, v.views_per_min, now, cfg.forecast)
        elif v.mentions_per_min >= cfg.forecast.min_mentions_per_min:
            out[key] = start_stream(v.video_id, v.region, now, v.mentions_per_min, v.views_per_min, cfg.forecast)
        else:
            continue
        if out[key].trending_at is None and v.views_per_min >= cfg.trending.views_per_min:
            out[key] = out[key].model_copy(update={"trending_at": now})
    return out


Windows = dict[tuple[str, float], list[ForecastPoint]]


def window_s(spec: ResourceSpec, cfg: PredictiveConfig) -> float:
    """How far ahead a resource is sized: its lead time, plus for warm throughput the wait before it
    can be raised again (a new request restarts a pending one)."""
    return spec.lead_time_s + (cfg.warm_settle_s if spec.kind is ResourceKind.TABLE_WARM else 0.0)


def forecast_windows(streams: dict[str, StreamState], cfg: PredictiveConfig, var_per_s: float | None) -> Windows:
    """Each stream's forecast over each distinct window of the resources (computed once)."""
    leads = {window_s(spec, cfg) for spec in cfg.resources}
    return {
        (key, lead): forecast_window(s, lead, cfg.forecast, var_per_s) for key, s in streams.items() for lead in leads
    }


def peak_views(
    streams: list[StreamState], spec: ResourceSpec, windows_by_stream: Windows, cfg: PredictiveConfig
) -> float:
    """The tracked videos' highest summed upper-quantile views/min over [now, now + the resource's window]."""
    span = window_s(spec, cfg)
    windows = [windows_by_stream[(stream_key(s.video_id, s.region), span)] for s in streams]
    if not windows:
        return 0.0
    return max(sum(w[i].views_upper for w in windows) for i in range(len(windows[0])))


def clamp_units(spec: ResourceSpec, units: float) -> float:
    """Within the resource's [min_units, max_units]."""
    if spec.max_units is not None:
        units = min(units, float(spec.max_units))
    return max(units, float(spec.min_units))


def need_views_units(
    spec: ResourceSpec, current: CurrentCapacity, streams: list[StreamState], headroom: float, peak: float
) -> float:
    """Units a views-driven resource needs: (baseline + forecast tracked demand) x headroom / per unit."""
    tracked_now = sum(s.views_per_min for s in streams) * spec.per_event
    baseline = max(current.demand_per_min - tracked_now, 0.0)
    return clamp_units(spec, (baseline + peak * spec.per_event) * headroom / spec.events_per_unit_per_min)


def trending_multiplier(
    streams: list[StreamState], span: float, windows_by_stream: Windows, rule: TrendingRule, now: float
) -> tuple[float, float | None]:
    """(multiplier, onset): 1 plus each tracked video's extra write multiplier over ``[now, now + span]``,
    from the onset seen, else from the first point where its upper forecast reaches the threshold; and
    the earliest onset that counts."""
    extra, first = 0.0, None
    for s in streams:
        onset = s.trending_at
        if onset is None:
            points = windows_by_stream[(stream_key(s.video_id, s.region), span)]
            onset = next((now + p.horizon_s for p in points if p.views_upper >= rule.views_per_min), None)
        if onset is None:
            continue
        more = rule.peak_multiplier(now - onset, span) - 1.0
        if more > 0:
            extra += more
            first = onset if first is None else min(first, onset)
    return 1.0 + extra, first


def surging_now(streams: list[StreamState], rule: TrendingRule, now: float) -> bool:
    """Is a trending surge under way (its demand is not the base any more)?"""
    return any(s.trending_at is not None and s.trending_at <= now < s.trending_at + rule.duration_s for s in streams)


def size_writes(
    spec: ResourceSpec,
    current: CurrentCapacity,
    streams: list[StreamState],
    windows_by_stream: Windows,
    headroom: float,
    memory: ResourceMemory,
    cfg: PredictiveConfig,
    now: float,
) -> tuple[float, ResourceMemory, tuple[float, float | None]]:
    """(units, memory, (multiplier, onset)): the pre-surge demand times the trending multiplier over
    the window, at the target utilisation; the demand served now when no surge is in the window."""
    surging = surging_now(streams, cfg.trending, now)
    base = memory.base_demand_per_min if surging and memory.base_demand_per_min is not None else current.demand_per_min
    multiplier, onset = trending_multiplier(streams, window_s(spec, cfg), windows_by_stream, cfg.trending, now)
    if multiplier > 1.0:
        units = base * multiplier * headroom / (spec.events_per_unit_per_min * cfg.write_target_utilisation)
    elif spec.kind is ResourceKind.TABLE_WARM:
        units = 0.0  # warm throughput is for a planned surge; with none ahead there is nothing to pre-warm
    else:
        units = current.demand_per_min * headroom / spec.events_per_unit_per_min
    kept = memory.model_copy(update={"base_demand_per_min": base})
    return clamp_units(spec, units), kept, (multiplier, onset)


def explain_surge(change: CapacityChange | None, surge: tuple[float, float | None]) -> CapacityChange | None:
    """A table raised for a trending surge says so, with the multiplier and the onset it sized for."""
    multiplier, onset = surge
    if change is None or multiplier <= 1.0:
        return change
    reason = Reason.TRENDING_SURGE if change.reason is Reason.FORECAST_RISE else change.reason
    return change.model_copy(update={"reason": reason, "surge_multiplier": multiplier, "surge_onset_at": onset})


def current_units(spec: ResourceSpec, current: CurrentCapacity, memory: ResourceMemory) -> float:
    """Units now; for warm throughput also what was asked and may still be applying (it cannot go back)."""
    if spec.kind is ResourceKind.TABLE_WARM:
        return max(current.warm_units, memory.requested_units)
    return current.units


def plan_resource(
    spec: ResourceSpec,
    current: CurrentCapacity,
    need: float,
    az_bound: bool,
    memory: ResourceMemory,
    cfg: PredictiveConfig,
    now: float,
) -> tuple[CapacityChange | None, CapacityChange | None, ResourceMemory]:
    """(change, held, memory): raise to the need; after a quiet spell scale back what we raised; or hold."""
    have = current_units(spec, current, memory)
    target = math.ceil(need - 1e-9)
    if need >= cfg.scale_in_below * have:
        memory = memory.model_copy(update={"last_high_at": now})
    if target > have and warm_pending(spec, memory, cfg, now):
        held = CapacityChange(
            resource=spec, current_units=have, units=int(have), need_units=need, reason=Reason.WAIT_PENDING
        )
        return None, held, memory
    if target > have:
        return raise_to(spec, current, have, target, need, az_bound, memory, now)
    if memory.baseline_units is None or target >= cfg.scale_in_below * have:
        return None, None, memory
    if spec.kind is ResourceKind.TABLE_WARM and memory.lead_achieved_s is None:
        return None, None, memory  # raised for a surge that has not come yet: keep counting its lead
    if spec.kind is ResourceKind.TABLE_WARM:  # cannot be lowered: the episode ends here
        return (
            None,
            None,
            ResourceMemory(
                last_high_at=memory.last_high_at,
                lead_achieved_s=memory.lead_achieved_s,
                requested_units=memory.requested_units,
                base_demand_per_min=memory.base_demand_per_min,
            ),
        )
    quiet = memory.last_high_at is None or now - memory.last_high_at >= cfg.scale_in_after_s
    units = max(math.ceil(need * cfg.margin), math.ceil(memory.baseline_units), spec.min_units)
    if not quiet or units >= have:
        held = CapacityChange(
            resource=spec, current_units=have, units=int(have), need_units=need, reason=Reason.HOLD_HYSTERESIS
        )
        return None, held, memory
    change = CapacityChange(
        resource=spec, current_units=have, units=units, need_units=need, reason=Reason.SCALE_IN_AFTER_PEAK
    )
    done = units <= memory.baseline_units
    kept = ResourceMemory(
        last_high_at=memory.last_high_at,
        lead_achieved_s=memory.lead_achieved_s,
        base_demand_per_min=memory.base_demand_per_min,
    )
    return change, None, kept if done else memory


def warm_pending(spec: ResourceSpec, memory: ResourceMemory, cfg: PredictiveConfig, now: float) -> bool:
    """Warm throughput asked for less than ``warm_settle_s`` ago is still applying: wait for it."""
    if spec.kind is not ResourceKind.TABLE_WARM or not memory.raises:
        return False
    return now - memory.raises[-1][0] < cfg.warm_settle_s


def raise_to(
    spec: ResourceSpec,
    current: CurrentCapacity,
    have: float,
    target: int,
    need: float,
    az_bound: bool,
    memory: ResourceMemory,
    now: float,
) -> tuple[CapacityChange, None, ResourceMemory]:
    reason = Reason.AZ_HEADROOM if az_bound else Reason.FORECAST_RISE
    # before the episode: for warm throughput, what the table served (its warm level may be unset)
    before = max(have, current.units) if spec.kind is ResourceKind.TABLE_WARM else have
    base = before if memory.baseline_units is None else memory.baseline_units
    memory = memory.model_copy(
        update={
            "baseline_units": base,
            "raises": (*memory.raises, (now, float(target))),
            "requested_units": max(memory.requested_units, float(target)),
        }
    )
    change = CapacityChange(
        resource=spec,
        current_units=have,
        units=target,
        need_units=need,
        reason=reason,
        read_units=int(current.warm_read_units),
    )
    return change, None, memory


def record_lead_time(
    spec: ResourceSpec, current: CurrentCapacity, memory: ResourceMemory, now: float
) -> ResourceMemory:
    """While demand exceeds the pre-surge units: how long ago did we first have enough? (0 = late)."""
    if memory.baseline_units is None or not memory.raises:
        return memory
    demand_units = current.demand_per_min / spec.events_per_unit_per_min
    if demand_units <= memory.baseline_units:
        return memory
    covering = [at for at, units in memory.raises if units >= demand_units]
    lead = now - covering[0] if covering else 0.0
    worst = lead if memory.lead_achieved_s is None else min(memory.lead_achieved_s, lead)
    return memory.model_copy(update={"lead_achieved_s": worst})


def az_headroom(spec: ResourceSpec, observation: Observation, cfg: PredictiveConfig) -> float:
    return 1.0 / cfg.az_loss_capacity_fraction if spec.region in observation.impaired_regions else 1.0


def decide(observation: Observation, cfg: PredictiveConfig, now: float) -> PredictiveDecision:
    """Forecast, size every resource, and say why; the next state rides on the decision."""
    state = observation.state
    streams = track_streams(state.streams, observation.videos, now, cfg)
    scores, pending = score_due(state.pending, observation.videos, now)
    realised = fold_errors(state.realised_sq_log_error, scores)
    var_per_s = None if realised is None else realised / cfg.score_horizon_s
    horizon = [forecast_views(s, cfg.score_horizon_s, cfg.forecast, var_per_s) for s in streams.values()]
    fitted = {(s.video_id, s.region) for s in streams.values() if len(s.history) > 1}
    pending = (*pending, *(plan_score(p, now) for p in horizon if (p.video_id, p.region) in fitted))
    changes: list[CapacityChange] = []
    held: list[CapacityChange] = []
    memories = dict(state.resources)
    leads: dict[str, float] = {}
    windows = forecast_windows(streams, cfg, var_per_s)
    for spec in cfg.resources:
        current = observation.capacity.get(spec.key)
        if current is None or (spec.kind is ResourceKind.TABLE_PROVISIONED and current.on_demand):
            continue  # not observed, or an on-demand table: its warm throughput is the lever
        in_scope = [s for s in streams.values() if spec.video_regions is None or s.region in spec.video_regions]
        headroom = az_headroom(spec, observation, cfg)
        memory = record_lead_time(spec, current, memories.get(spec.key, ResourceMemory()), now)
        surge: tuple[float, float | None] = (1.0, None)
        if spec.demand is Demand.WRITES:
            need, memory, surge = size_writes(spec, current, in_scope, windows, headroom, memory, cfg, now)
        else:
            need = need_views_units(spec, current, in_scope, headroom, peak_views(in_scope, spec, windows, cfg))
        az_bound = headroom > 1 and need / headroom <= current_units(spec, current, memory)
        change, hold, memories[spec.key] = plan_resource(spec, current, need, az_bound, memory, cfg, now)
        change = explain_surge(change, surge)
        changes += [change] if change else []
        held += [hold] if hold else []
        lead = memories[spec.key].lead_achieved_s
        if lead is not None:
            leads[spec.key] = lead
    next_state = ScalerState(streams=streams, pending=pending, resources=memories, realised_sq_log_error=realised)
    return build_decision(changes, held, horizon, scores, leads, next_state, cfg, now, bool(streams))


def build_decision(
    changes: list[CapacityChange],
    held: list[CapacityChange],
    forecasts: list[ForecastPoint],
    scores: list[ForecastScore],
    leads: dict[str, float],
    state: ScalerState,
    cfg: PredictiveConfig,
    now: float,
    tracking: bool,
) -> PredictiveDecision:
    if cfg.shadow and changes:
        action, reason, held, changes = "noop", Reason.SHADOW, held + changes, []
    elif changes:
        action, reason = "scale", changes[0].reason
    else:
        action = "noop"
        reason = Reason.HOLD_HYSTERESIS if held else (Reason.WITHIN_CAPACITY if tracking else Reason.NO_SIGNAL)
    return PredictiveDecision(
        controller=CONTROLLER,
        action=action,
        reason=reason,
        at=now,
        changes=tuple(changes),
        held=tuple(held),
        forecasts=tuple(forecasts),
        scores=tuple(scores),
        lead_times_s=leads,
        state=state,
    )

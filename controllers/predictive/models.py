"""Data of the predictive scaler: its configuration, what it observes, what it decides, what it remembers.

Every number the scaler uses is a field here, filled from the platform model by
``controllers/predictive/configuring.py`` (lead times, per-unit capacities, headroom), never a
literal inside the decision code. All models are frozen so ``decide()`` can be a pure function:
the previous :class:`ScalerState` comes in with the observation and the next one goes out with
the decision.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from controllers.runtime.base import Decision


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ResourceKind(StrEnum):
    """What capacity the scaler can move, each with its own lead time."""

    TABLE_WARM = "table_warm"  # DynamoDB warm throughput (WCU/s); can only rise
    TABLE_PROVISIONED = "table_provisioned"  # provisioned write capacity (WCU)
    DEPLOYMENT = "deployment"  # pods


class Demand(StrEnum):
    VIEWS = "views"
    WRITES = "writes"


class ResourceSpec(Frozen):
    """One resource the scaler sizes: demand it serves, how much per unit, how far ahead it must act."""

    kind: ResourceKind
    name: str = Field(description="table or service name")
    region: str
    demand: Demand
    per_event: float = Field(default=1.0, gt=0, description="views resources: demand events/min per tracked view")
    events_per_unit_per_min: float = Field(gt=0, description="events/min one unit serves (1 WCU = 60 writes/min)")
    lead_time_s: float = Field(ge=0, description="from the request to capacity being usable")
    min_units: int = Field(default=0, ge=0)
    max_units: int | None = Field(default=None, ge=0)
    video_regions: tuple[str, ...] | None = Field(
        default=None, description="regions whose tracked videos drive this resource (None: every region)"
    )

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.region}:{self.name}"


class ForecastConfig(Frozen):
    """The self-exciting (Hawkes-style) mention model and the mention -> views delay model."""

    decay_grid_s: tuple[float, ...] = Field(default=(300.0, 900.0, 1800.0), min_length=1)
    lag_grid_s: tuple[float, ...] = Field(
        default=(300.0, 600.0, 900.0, 1200.0, 1500.0, 1800.0, 2400.0),
        min_length=1,
        description="candidate median delays from a mention to the views it brings",
    )
    delay_sigma: float = Field(default=0.5, gt=0, description="log-normal spread of the mention -> view delay")
    kernel_span_s: float = Field(default=3600.0, gt=0, description="mentions older than this bring no more views")
    memory_s: float = Field(default=900.0, gt=0, description="forgetting time of the online fits")
    smoothing_s: float = Field(default=300.0, gt=0, description="time constant of the smoothed mention rate")
    infectiousness_decay_s: float = Field(default=3600.0, gt=0, description="how fast the branching ratio fades")
    branching_floor: float = Field(default=0.0, ge=0, description="long-run branching ratio (< 1: cascades end)")
    branching_cap: float = Field(default=4.0, gt=0)
    branching_prior_obs: float = Field(default=10.0, ge=0, description="pseudo-observations of n = 1 (critical)")
    max_growth_per_hour: float = Field(default=100.0, gt=1, description="fastest plausible growth of mentions")
    views_per_mention_prior: float = Field(default=5.0, gt=0)
    lag_prior_s: float = Field(default=900.0, ge=0)
    log_sigma_prior: float = Field(default=0.5, gt=0)
    uncertainty_growth_s: float = Field(default=600.0, gt=0, description="log-variance doubles over this horizon")
    quantile: float = Field(default=0.95, gt=0.5, lt=1)
    max_upper_ratio: float = Field(default=3.0, gt=1, description="the upper quantile is at most this x the mean")
    min_mentions_per_min: float = Field(default=1.0, ge=0, description="below this a video is not tracked")
    step_s: float = Field(default=30.0, gt=0, description="spacing of forecast points over a lead window")


class TrendingRule(Frozen):
    """SPEC 7 + 8: a video trends once its views reach ``views_per_hour`` (the viral threshold); the
    platform is then featuring it and its writes surge by ``write_multipliers``, one per ``window_s``
    (12x, 8x, 5x, 3x, 2x per 2 minutes), then return to normal."""

    views_per_hour: float = Field(default=5000.0, gt=0)
    write_multipliers: tuple[float, ...] = Field(default=(12.0, 8.0, 5.0, 3.0, 2.0), min_length=1)
    window_s: float = Field(default=120.0, gt=0)

    @property
    def views_per_min(self) -> float:
        return self.views_per_hour / 60.0

    @property
    def duration_s(self) -> float:
        return self.window_s * len(self.write_multipliers)

    def peak_multiplier(self, since_onset_s: float, span_s: float) -> float:
        """Highest write multiplier over ``[since_onset_s, since_onset_s + span_s]`` (1 outside the surge)."""
        first = max(since_onset_s, 0.0)
        last = since_onset_s + span_s
        if last < 0 or first >= self.duration_s:
            return 1.0
        windows = range(
            int(first // self.window_s), min(int(last // self.window_s), len(self.write_multipliers) - 1) + 1
        )
        return max(1.0, *(self.write_multipliers[k] for k in windows))


class PredictiveConfig(Frozen):
    """How the scaler turns forecasts into capacity."""

    resources: tuple[ResourceSpec, ...]
    forecast: ForecastConfig = ForecastConfig()
    trending: TrendingRule = TrendingRule()
    write_target_utilisation: float = Field(
        default=0.7, gt=0, le=1, description="tables sized for a trending surge run at most this busy"
    )
    az_loss_capacity_fraction: float = Field(default=0.67, gt=0, le=1, description="capacity left after an AZ loss")
    scale_in_below: float = Field(default=0.6, gt=0, lt=1, description="shrink only when need < this x current")
    scale_in_after_s: float = Field(default=900.0, ge=0, description="quiet time after the last rise")
    margin: float = Field(default=1.1, ge=1, description="units kept above the forecast when scaling in")
    warm_settle_s: float = Field(default=300.0, ge=0, description="a warm-throughput request takes this to apply")
    shadow: bool = False
    score_horizon_s: float = Field(default=1800.0, gt=0, description="horizon whose forecasts are scored")


class VideoSignal(Frozen):
    """One tracked video in one region: the social listener's mentions and the views it gets."""

    video_id: str
    region: str
    mentions_per_min: float = Field(ge=0)
    views_per_min: float = Field(ge=0)


class CurrentCapacity(Frozen):
    """What a resource has now (units) and the demand it serves now (events/min)."""

    key: str
    units: float = Field(ge=0)
    demand_per_min: float = Field(ge=0)
    warm_units: float = Field(default=0, ge=0, description="tables: warm write throughput already set")
    warm_read_units: float = Field(default=0, ge=0, description="tables: warm read throughput (kept as is)")
    on_demand: bool = Field(default=False, description="tables: on-demand mode (never switched to provisioned)")


class KernelFit(Frozen):
    """One candidate decay rate of the mention kernel with its online branching-ratio fit."""

    decay_s: float
    excitation: float = 0.0
    sxy: float = 0.0
    sxx: float = 0.0
    weight: float = Field(default=0.0, description="forgetting-weighted count of observations")
    sq_error: float


class LagFit(Frozen):
    """One candidate lead of mentions over views with its online views-per-mention ratio (log)."""

    lag_s: float
    log_ratio: float
    sq_error: float
    sum_views: float = Field(default=0.0, ge=0, description="forgetting sum of observed views/min")
    sum_expected: float = Field(default=0.0, ge=0, description="same, predicted with ratio 1")


class StreamState(Frozen):
    """Everything the forecaster remembers about one (video, region)."""

    video_id: str
    region: str
    last_at: float
    mentions_per_min: float
    smoothed_mentions: float = Field(description="mentions/min, exponentially smoothed (counts are noisy)")
    views_per_min: float
    kernels: tuple[KernelFit, ...]
    lags: tuple[LagFit, ...]
    history: tuple[tuple[float, float, float], ...] = Field(
        description="(time, mentions/min, seconds covered) over the delay kernel's span, oldest first"
    )
    trending_at: float | None = Field(default=None, description="when its views were first seen at the threshold")


class PendingScore(Frozen):
    """A forecast waiting for its target time, to be scored against what happened."""

    video_id: str
    region: str
    made_at: float
    target_at: float
    mean: float
    upper: float


class ForecastScore(Frozen):
    """A forecast compared with the actual views at its target time."""

    video_id: str
    region: str
    made_at: float
    target_at: float
    predicted: float
    upper: float
    actual: float
    log_error: float
    covered: bool


class ResourceMemory(Frozen):
    """Per resource and surge episode: what it had before, when it was raised to what, the lead achieved.

    An episode starts with the first raise and ends when the scaler has brought the resource back to
    its pre-surge units; the scaler only ever scales back what it raised itself.
    """

    last_high_at: float | None = Field(default=None, description="last time the need was near capacity")
    baseline_units: float | None = Field(default=None, description="units before the episode's first raise")
    raises: tuple[tuple[float, float], ...] = Field(default=(), description="(time, units) of each raise")
    requested_units: float = Field(default=0.0, ge=0, description="highest units asked for (warm: still pending)")
    lead_achieved_s: float | None = Field(default=None, description="worst lead of capacity over demand so far")
    base_demand_per_min: float | None = Field(
        default=None, description="tables: demand before the trending surge (its multipliers apply to this)"
    )


class ScalerState(Frozen):
    streams: dict[str, StreamState] = Field(default_factory=dict)
    realised_sq_log_error: float | None = Field(default=None, description="EWMA over scored forecasts")
    pending: tuple[PendingScore, ...] = ()
    resources: dict[str, ResourceMemory] = Field(default_factory=dict)


class Observation(Frozen):
    at: float
    videos: tuple[VideoSignal, ...]
    capacity: dict[str, CurrentCapacity]
    impaired_regions: frozenset[str] = frozenset()
    state: ScalerState = ScalerState()


class Reason(StrEnum):
    FORECAST_RISE = "forecast_rise"
    TRENDING_SURGE = "trending_surge"  # tables: a tracked video trends (or is forecast to) within the window
    AZ_HEADROOM = "az_headroom"
    SCALE_IN_AFTER_PEAK = "scale_in_after_peak"
    HOLD_HYSTERESIS = "hold_hysteresis"
    WITHIN_CAPACITY = "within_capacity"
    NO_SIGNAL = "no_signal"
    SHADOW = "shadow"
    WAIT_PENDING = "wait_pending"  # a warm-throughput request is still applying; asking again restarts it


class ForecastPoint(Frozen):
    video_id: str
    region: str
    horizon_s: float
    mentions_per_min: float
    views_mean: float
    views_upper: float
    branching_ratio: float
    decay_s: float
    lag_s: float


class CapacityChange(Frozen):
    """Set a resource to ``units`` (tables: warm throughput and/or provisioned WCU)."""

    resource: ResourceSpec
    current_units: float
    units: int
    need_units: float = Field(description="forecast upper quantile over the lead window, with headroom")
    reason: Reason
    read_units: int = Field(default=0, ge=0, description="tables: read units kept as they are")
    surge_multiplier: float = Field(default=1.0, ge=1, description="tables: trending write multiplier sized for")
    surge_onset_at: float | None = Field(
        default=None, description="tables: when the surge starts (seen, or the earliest forecast onset)"
    )


class PredictiveDecision(Decision):
    changes: tuple[CapacityChange, ...] = ()
    held: tuple[CapacityChange, ...] = Field(default=(), description="needs that did not lead to a change")
    forecasts: tuple[ForecastPoint, ...] = ()
    scores: tuple[ForecastScore, ...] = ()
    lead_times_s: dict[str, float] = Field(default_factory=dict, description="per resource, achieved before surge")
    state: ScalerState = Field(default=ScalerState(), exclude=True)

"""Property: route() never sends a job outside its jurisdiction, whatever the state or config.

Configs are built with ``model_construct`` (skipping validation) so that misconfigured and hostile
lanes reach the router: pools pointing at other jurisdictions' regions, home regions abroad, pool
states claiming the wrong jurisdiction or region, absurd limits. The residency map is the truth
from the project's region table; every decision must stay inside it.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controllers.routing.decide import route, route_batch
from controllers.routing.guarding import check_record
from controllers.routing.models import EncodeJob, Lane, PoolLimits, RouterConfig
from ports.types import PoolState, RouteAction
from stacks.loading import load_prod_platforms

TRUTH = RouterConfig.from_platforms(load_prod_platforms().values()).residency
REGIONS = sorted({r for regions in TRUTH.values() for r in regions} | {"mars-north-1", ""})
JURISDICTIONS = [*sorted(TRUTH), "MARS", ""]
POOL_NAMES = [f"{r}-gpu" for r in REGIONS if r] + ["rogue-pool"]

counts = st.integers(min_value=0, max_value=5_000)
small = st.integers(min_value=0, max_value=400)


@st.composite
def limits(draw: st.DrawFn) -> PoolLimits:
    return PoolLimits.model_construct(
        pool=draw(st.sampled_from(POOL_NAMES)),
        region=draw(st.sampled_from(REGIONS)),
        route_depth_limit=draw(st.integers(min_value=-5, max_value=2_000)),
        saturation_depth=draw(st.integers(min_value=-5, max_value=3_000)),
        quota_instances=draw(st.integers(min_value=0, max_value=400)),
        videos_per_hour_per_instance=draw(st.floats(min_value=0.001, max_value=10_000)),
        pipeline_seconds=draw(st.floats(min_value=0.001, max_value=1_000)),
        cpu_fallback_seconds=draw(st.floats(min_value=0.001, max_value=10_000)),
        startup_seconds=draw(st.floats(min_value=0, max_value=1_000)),
    )


@st.composite
def configs(draw: st.DrawFn) -> RouterConfig:
    lanes = {}
    for name in draw(st.lists(st.sampled_from(JURISDICTIONS), unique=True)):
        lanes[name] = Lane.model_construct(
            jurisdiction=draw(st.sampled_from(JURISDICTIONS)),
            home_region=draw(st.sampled_from(REGIONS)),
            home=draw(st.none() | limits()),
            overflow=draw(st.none() | limits()),
        )
    return RouterConfig.model_construct(lanes=lanes, residency=TRUTH, max_upload_mb=500.0)


@st.composite
def pool_states(draw: st.DrawFn) -> dict[str, PoolState]:
    out = {}
    for key in draw(st.lists(st.sampled_from(POOL_NAMES), unique=True)):
        out[key] = PoolState(
            pool=draw(st.sampled_from([key, *POOL_NAMES])),
            region=draw(st.sampled_from(REGIONS)),
            jurisdiction=draw(st.sampled_from(JURISDICTIONS)),
            queue_depth=draw(counts),
            running=draw(small),
            starting=draw(small),
            desired=draw(small),
            min_size=draw(small),
            max_size=draw(small),
            quota_instances=draw(small),
            in_flight=draw(small),
            observed_at=0.0,
        )
    return out


jobs = st.builds(EncodeJob, job_id=st.just("job"), jurisdiction=st.sampled_from([j for j in JURISDICTIONS if j]))
FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_inside(job: EncodeJob, decision_region: str, pool: str | None, action: RouteAction) -> None:
    allowed = TRUTH.get(job.jurisdiction, frozenset())
    if action is not RouteAction.RATE_LIMIT or decision_region:
        assert decision_region in allowed, f"{job.jurisdiction} job sent to {decision_region!r}"
    if pool is not None:
        assert action in (RouteAction.HOME, RouteAction.OVERFLOW)


@FAST
@given(job=jobs, states=pool_states(), config=configs())
def test_route_never_leaves_the_jurisdiction(
    job: EncodeJob, states: dict[str, PoolState], config: RouterConfig
) -> None:
    decision = route(job, states, config)
    assert_inside(job, decision.region, decision.pool, decision.action)
    if decision.pool is not None:
        observed = states[decision.pool]
        assert (observed.jurisdiction, observed.region) == (job.jurisdiction, decision.region)
    pool_regions = {p.pool: p.region for p in states.values()}
    check_record(decision.to_record(), TRUTH, pool_regions)  # the actuator guard agrees
    assert decision.reason and decision.expected_upload_to_live_s > 0


@FAST
@given(batch=st.lists(jobs, max_size=20), states=pool_states(), config=configs())
def test_batches_never_leave_the_jurisdiction(
    batch: list[EncodeJob], states: dict[str, PoolState], config: RouterConfig
) -> None:
    for job, decision in zip(batch, route_batch(batch, states, config), strict=True):
        assert_inside(job, decision.region, decision.pool, decision.action)

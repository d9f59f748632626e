"""Cache warming decisions (SPEC section 4) on the prod platform model's shields, with a fake clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controllers.cache_warming.decide import decide, plan_encoded, plan_views
from controllers.cache_warming.models import (
    EncodedVideo,
    ViewWindow,
    WarmingConfig,
    WarmingObservation,
    WarmReason,
)
from ports.clocks import FakeClock
from stacks.loading import load_platform

RESIDENCY = WarmingConfig.from_platform(load_platform("prod-global"))
ALL_SHIELDS = tuple(sorted({s for shields in RESIDENCY.allowed_shields.values() for s in shields}))
GLOBAL = RESIDENCY.model_copy(update={"allowed_shields": {j: ALL_SHIELDS for j in RESIDENCY.allowed_shields}})


def video(jurisdiction: str = "EU", **followers: int) -> EncodedVideo:
    return EncodedVideo(
        video_id="v1",
        jurisdiction=jurisdiction,
        followers_by_region={k.replace("_", "-"): v for k, v in followers.items()},
    )


ENCODED = [
    pytest.param(GLOBAL, video(us_east_1=700, eu_west_1=200, ap_southeast_1=100), WarmReason.FOLLOWER_GEOGRAPHY,
                 ("us-east-1", "eu-west-1"), id="two-regions-cover-90-percent"),
    pytest.param(GLOBAL, video(us_east_1=400, eu_west_1=300, ap_southeast_1=200, ap_northeast_1=100),
                 WarmReason.FOLLOWER_GEOGRAPHY, ("us-east-1", "eu-west-1", "ap-southeast-1"), id="top-three-at-most"),
    pytest.param(GLOBAL, video(us_east_1=5000), WarmReason.FOLLOWER_GEOGRAPHY, ("us-east-1",),
                 id="one-region-covers-all"),
    pytest.param(GLOBAL, video(eu_west_1=10), WarmReason.NEW_CREATOR, ("eu-west-1", "eu-central-1", "us-east-1"),
                 id="new-eu-creator-origin-plus-two-nearest"),
    pytest.param(RESIDENCY, video(eu_west_1=10), WarmReason.NEW_CREATOR, ("eu-west-1", "eu-central-1"),
                 id="new-eu-creator-residency-policy-has-two-shields"),
    pytest.param(RESIDENCY, video(us_east_1=500, us_west_2=100, eu_central_1=400), WarmReason.FOLLOWER_GEOGRAPHY,
                 ("eu-west-1", "eu-central-1"), id="us-followers-served-by-nearest-eu-shield"),
    pytest.param(RESIDENCY, video(jurisdiction="MARS", us_east_1=700), WarmReason.NO_ALLOWED_SHIELD, None,
                 id="unknown-jurisdiction-warms-nothing"),
]  # fmt: skip


@pytest.mark.parametrize(("config", "encoded", "reason", "shields"), ENCODED)
def test_plan_encoded(
    config: WarmingConfig, encoded: EncodedVideo, reason: WarmReason, shields: tuple[str, ...] | None
) -> None:
    plan = plan_encoded(encoded, config)
    assert plan.reason == reason, plan.detail
    assert (plan.request.shields if plan.request else None) == shields


VIEWS = [
    pytest.param(ViewWindow(video_id="v", jurisdiction="US", views_last=1000, views_before=100), True,
                 id="ten-x-in-five-minutes-is-viral"),
    pytest.param(ViewWindow(video_id="v", jurisdiction="US", views_last=999, views_before=100), False,
                 id="just-under-ten-x"),
    pytest.param(ViewWindow(video_id="v", jurisdiction="US", views_last=50, views_before=0), False,
                 id="tiny-blip-from-zero-is-not-viral"),
    pytest.param(ViewWindow(video_id="v", jurisdiction="US", views_last=150, views_before=0), True,
                 id="first-views-above-minimum-are-viral"),
]  # fmt: skip


@pytest.mark.parametrize(("window", "viral"), VIEWS)
def test_plan_views(window: ViewWindow, viral: bool) -> None:
    plan = plan_views(window, RESIDENCY)
    assert (plan.reason == WarmReason.VIRAL) is viral
    if viral:
        assert plan.request is not None and plan.request.global_push
        assert plan.request.shields == RESIDENCY.allowed_shields["US"]


def test_decide_collects_plans_at_the_clock_time() -> None:
    clock = FakeClock()
    observation = WarmingObservation(
        encoded=(video(us_east_1=5),),
        views=(ViewWindow(video_id="v2", jurisdiction="EU", views_last=10, views_before=10),),
    )
    decision = decide(observation, RESIDENCY, clock.now())
    assert (decision.action, decision.reason, decision.at) == ("warm", "new_creator_origin_and_nearest", clock.now())
    assert [p.reason for p in decision.plans] == [WarmReason.NEW_CREATOR, WarmReason.NOT_VIRAL]


regions = st.sampled_from([*ALL_SHIELDS, "sa-east-1", "mars-1"])
policies = st.dictionaries(
    st.sampled_from(["EU", "US", "APAC"]), st.lists(regions, unique=True, max_size=4).map(tuple), min_size=0
)


@settings(max_examples=200, deadline=None)
@given(
    policy=policies,
    jurisdiction=st.sampled_from(["EU", "US", "APAC", "MARS"]),
    followers=st.dictionaries(regions, st.integers(min_value=-5, max_value=10_000)),
    views=st.tuples(st.floats(0, 1e6), st.floats(0, 1e6)),
)
def test_never_warms_outside_policy(
    policy: dict[str, tuple[str, ...]], jurisdiction: str, followers: dict[str, int], views: tuple[float, float]
) -> None:
    config = RESIDENCY.model_copy(update={"allowed_shields": policy})
    allowed = set(policy.get(jurisdiction, ()))
    encoded = EncodedVideo(video_id="v", jurisdiction=jurisdiction, followers_by_region=followers)
    window = ViewWindow(video_id="v", jurisdiction=jurisdiction, views_last=views[0], views_before=views[1])
    for plan in decide(WarmingObservation(encoded=(encoded,), views=(window,)), config, 0.0).plans:
        if plan.request is not None:
            assert set(plan.request.shields) <= allowed and plan.request.shields
            assert len(plan.request.shields) <= max(config.top_shields, 1 + config.nearest_for_new, len(allowed))

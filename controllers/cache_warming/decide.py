"""Pure warming decisions (SPEC section 4): which shields get a video, and when to push globally.

- On encode completion: map each follower region (last 30 days) to the nearest shield the policy
  allows for the video's jurisdiction, then take shields by followers until they cover
  ``follower_coverage`` of them or ``top_shields`` are chosen.
- A new creator (fewer than ``new_creator_followers``): the origin's shield plus the
  ``nearest_for_new`` allowed shields nearest to it.
- Viral (views in the last ``viral_window_s`` >= ``viral_factor`` x the window before, and at least
  ``viral_min_views``): a global push to every allowed shield and the edges.
Every request names only shields in ``allowed_shields[jurisdiction]``: nothing outside policy.
"""

from __future__ import annotations

from controllers.cache_warming.models import (
    CONTROLLER,
    EncodedVideo,
    Location,
    ViewWindow,
    WarmingConfig,
    WarmingDecision,
    WarmingObservation,
    WarmPlan,
    WarmReason,
    distance_km,
)
from ports.types import WarmRequest


def nearest_shields(region: str, candidates: tuple[str, ...], config: WarmingConfig) -> list[str]:
    """Allowed shields ordered by distance from ``region`` (the region itself first; unknown: none)."""
    here = config.locations.get(region)
    if region in candidates:
        rest = [s for s in candidates if s != region]
        return [region, *sorted(rest, key=lambda s: distance_or_far(here, s, config))]
    if here is None:
        return []
    return sorted(candidates, key=lambda s: (distance_or_far(here, s, config), s))


def distance_or_far(here: Location | None, shield: str, config: WarmingConfig) -> float:
    there = config.locations.get(shield)
    if here is None or there is None:
        return float("inf")
    return distance_km(here, there)


def followers_per_shield(video: EncodedVideo, allowed: tuple[str, ...], config: WarmingConfig) -> dict[str, int]:
    """Followers counted at the allowed shield nearest to their region."""
    per_shield: dict[str, int] = {}
    for region, count in video.followers_by_region.items():
        nearest = nearest_shields(region, allowed, config)
        if count > 0 and nearest:
            per_shield[nearest[0]] = per_shield.get(nearest[0], 0) + count
    return per_shield


def plan_encoded(video: EncodedVideo, config: WarmingConfig) -> WarmPlan:
    """Shields to pre-warm when a video's encode completes."""
    allowed = config.allowed_shields.get(video.jurisdiction, ())
    if not allowed:
        return WarmPlan(video_id=video.video_id, reason=WarmReason.NO_ALLOWED_SHIELD, request=None)
    ranked = sorted(followers_per_shield(video, allowed, config).items(), key=lambda kv: (-kv[1], kv[0]))
    total = sum(count for _, count in ranked)
    if total < config.new_creator_followers:
        origin = config.origin_shield.get(video.jurisdiction, "")
        chosen = nearest_shields(origin, allowed, config)[: 1 + config.nearest_for_new] or list(allowed[:1])
        detail = f"{total} located followers < {config.new_creator_followers}: origin {origin} + nearest"
        return WarmPlan(video_id=video.video_id, reason=WarmReason.NEW_CREATOR, request=request_for(video, chosen),
                        detail=detail)  # fmt: skip
    chosen, covered = [], 0
    for shield, count in ranked[: config.top_shields]:
        chosen.append(shield)
        covered += count
        if covered >= config.follower_coverage * total:
            break
    return WarmPlan(
        video_id=video.video_id,
        reason=WarmReason.FOLLOWER_GEOGRAPHY,
        request=request_for(video, chosen),
        coverage=round(covered / total, 4),
        detail=", ".join(f"{s}: {c}" for s, c in ranked),
    )


def request_for(video: EncodedVideo, shields: list[str]) -> WarmRequest:
    return WarmRequest(video_id=video.video_id, jurisdiction=video.jurisdiction, shields=tuple(shields))


def is_viral(window: ViewWindow, config: WarmingConfig) -> bool:
    return (
        window.views_last >= config.viral_min_views and window.views_last >= config.viral_factor * window.views_before
    )


def plan_views(window: ViewWindow, config: WarmingConfig) -> WarmPlan:
    """Global push when views jumped ``viral_factor`` times within the window."""
    allowed = config.allowed_shields.get(window.jurisdiction, ())
    detail = f"{window.views_last:g} views vs {window.views_before:g} in the {config.viral_window_s:g} s before"
    if not is_viral(window, config):
        return WarmPlan(video_id=window.video_id, reason=WarmReason.NOT_VIRAL, request=None, detail=detail)
    if not allowed:
        return WarmPlan(video_id=window.video_id, reason=WarmReason.NO_ALLOWED_SHIELD, request=None, detail=detail)
    request = WarmRequest(video_id=window.video_id, jurisdiction=window.jurisdiction, shields=allowed, global_push=True)
    return WarmPlan(video_id=window.video_id, reason=WarmReason.VIRAL, request=request, detail=detail)


def decide(observation: WarmingObservation, config: WarmingConfig, now: float) -> WarmingDecision:
    """Plans for every completed encode and every tracked video's view window."""
    plans = (
        *(plan_encoded(v, config) for v in observation.encoded),
        *(plan_views(w, config) for w in observation.views),
    )
    warm = [p for p in plans if p.request is not None]
    reasons = sorted({str(p.reason) for p in warm})
    return WarmingDecision(
        controller=CONTROLLER,
        action="warm" if warm else "noop",
        reason=",".join(reasons) if warm else "nothing_to_warm",
        at=now,
        plans=plans,
    )

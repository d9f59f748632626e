"""Cache-warming data: policy (which shields may hold a jurisdiction's videos), observations, decisions.

Shields are the platform model's ``shield_region`` of each region; their locations come from
``region_locations.yaml``. The policy is residency by default: a video is warmed only on shields in
its own jurisdiction (the sandbox and the actuators refuse anything else), and follower regions
elsewhere are served by the allowed shield nearest to them.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from controllers.runtime.base import Decision
from ports.types import WarmRequest
from stacks.loading import ConfigError
from stacks.model import PlatformModel

CONTROLLER = "cache-warmer"
LOCATIONS_FILE = Path(__file__).with_name("region_locations.yaml")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Location(Frozen):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


def load_locations(path: Path = LOCATIONS_FILE) -> dict[str, Location]:
    """Region locations; errors name the file and the key."""
    try:
        raw: Any = yaml.safe_load(path.read_text())
        if not isinstance(raw, dict):
            raise ConfigError(str(path), "-", "expected a mapping of region -> {lat, lon}")
        return {str(region): Location.model_validate(value) for region, value in raw.items()}
    except FileNotFoundError:
        raise ConfigError(str(path), "-", "file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), "-", f"not valid YAML: {exc}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(str(path), ".".join(str(p) for p in err["loc"]) or "-", err["msg"]) from None


def distance_km(a: Location, b: Location) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


class WarmingConfig(Frozen):
    """Policy and thresholds (SPEC section 4)."""

    allowed_shields: dict[str, tuple[str, ...]] = Field(description="jurisdiction -> shields it may warm")
    origin_shield: dict[str, str] = Field(description="jurisdiction -> shield of its home region (origin)")
    region_jurisdiction: dict[str, str]
    locations: dict[str, Location]
    top_shields: int = Field(default=3, gt=0, description="SPEC 4: top 3 regions")
    follower_coverage: float = Field(default=0.8, gt=0, le=1, description="stop once this share is covered")
    nearest_for_new: int = Field(default=2, ge=0, description="SPEC 4: origin + 2 nearest shields")
    new_creator_followers: int = Field(default=100, ge=0, description="fewer followers = new creator")
    viral_factor: float = Field(default=10.0, gt=1, description="SPEC 4: 10x views")
    viral_window_s: float = Field(default=300.0, gt=0, description="SPEC 4: in 5 min")
    viral_min_views: float = Field(default=100.0, ge=0, description="ignore 0 -> 10 views blips")

    @classmethod
    def from_platform(cls, platform: PlatformModel, locations: dict[str, Location] | None = None) -> Self:
        """Residency policy from the platform model: each jurisdiction's own regions' shields."""
        locations = load_locations() if locations is None else locations
        allowed: dict[str, tuple[str, ...]] = {}
        for name in platform.jurisdictions:
            shields = [r.shield_region for r in platform.regions.values() if r.jurisdiction == name and r.shield_region]
            allowed[name] = tuple(dict.fromkeys(s for s in shields if s is not None))
        origin = {
            name: platform.regions[j.home_region].shield_region or j.home_region
            for name, j in platform.jurisdictions.items()
        }
        owners = {r.name: r.jurisdiction for r in platform.regions.values()}
        return cls(allowed_shields=allowed, origin_shield=origin, region_jurisdiction=owners, locations=locations)


class EncodedVideo(Frozen):
    """An encode completion: the video, its creator's jurisdiction and 30-day follower geography."""

    video_id: str
    jurisdiction: str
    followers_by_region: dict[str, int] = Field(default_factory=dict)


class ViewWindow(Frozen):
    """Views of a tracked video in the last window and the window before it."""

    video_id: str
    jurisdiction: str
    views_last: float = Field(ge=0)
    views_before: float = Field(ge=0)


class WarmReason(StrEnum):
    FOLLOWER_GEOGRAPHY = "top_follower_regions"
    NEW_CREATOR = "new_creator_origin_and_nearest"
    VIRAL = "viral_views_jump_global_push"
    NOT_VIRAL = "views_below_viral_threshold"
    NO_ALLOWED_SHIELD = "no_shield_allowed_for_jurisdiction"


class WarmPlan(Frozen):
    """One video's warming verdict with what justified it."""

    video_id: str
    reason: WarmReason
    request: WarmRequest | None
    coverage: float | None = None
    detail: str = ""


class WarmingObservation(Frozen):
    encoded: tuple[EncodedVideo, ...] = ()
    views: tuple[ViewWindow, ...] = ()


class WarmingDecision(Decision):
    """Every video's plan; ``action`` is ``warm`` when any request is to be sent, else ``noop``."""

    plans: tuple[WarmPlan, ...] = ()

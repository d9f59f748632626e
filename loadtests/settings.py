"""Load-test settings from environment variables, so that plain ``locust -f`` runs and the war game
share one definition. No Locust import: the war game reads these in its own (unpatched) process.

Defaults: the sandbox on its default port, region weights from the platform model's traffic shares
(prod-global sees every region), the SLOs of SPEC section 10 (video start p95 < 300 ms).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

VIDEO_START_P95_SLO_MS = 300.0  # SPEC section 10
VIDEO_START_ERROR_RATIO_SLO = 0.01  # availability budget for a plain load test (war games set their own)
VIDEOS_PER_SESSION = 20  # SPEC section 1: ~20 thirty-second videos per session (plain load tests)
BACK_SWIPE_PROBABILITY = 0.15
WRITE_RETRY_BACKOFF_S = (0.1, 0.5, 2.0)  # SPEC section 8: client retry 100 ms, 500 ms, 2 s
# P2 interaction writes are "delayed, never lost" (SPEC 5): the app keeps them in its outbox and keeps
# retrying every 2 s (after the backoff above) for up to 5 model minutes before giving up.
WRITE_OUTBOX_MODEL_S = 300.0


class SettingsError(ValueError):
    """An environment variable had a value the load test cannot use."""


@dataclass(frozen=True)
class LoadSettings:
    regions: dict[str, float]
    jurisdictions: dict[str, str]
    think_time_s: float = 0.2
    speed: float = 1.0
    out_dir: Path | None = None
    p95_slo_ms: float = VIDEO_START_P95_SLO_MS
    error_ratio_slo: float = VIDEO_START_ERROR_RATIO_SLO
    base_users: int = 10
    duration_s: float = 900.0
    surge_at_s: float = 120.0
    ramp_s: float = 600.0
    start_wall: float | None = None
    weights: dict[str, int] = field(default_factory=lambda: {"learner": 6, "creator": 1, "writer": 3})
    views_per_session: int = VIDEOS_PER_SESSION  # war games: SPEC 6's 3 views per session (platform model)
    client_retry: bool = True  # the app retries failed video starts (SPEC 8); off in unmitigated war games
    upload_interval_s: float | None = None  # model seconds between one creator's uploads (None: think time)


def parse_weights(text: str, name: str) -> dict[str, float]:
    """``"a=1,b=2"`` -> {"a": 1.0, "b": 2.0}, or a SettingsError naming the variable."""
    pairs: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = item.partition("=")
        try:
            pairs[key.strip()] = float(value)
        except ValueError:
            raise SettingsError(f"{name}: expected NAME=NUMBER pairs separated by commas, got {item!r}") from None
        if not sep or pairs[key.strip()] < 0:
            raise SettingsError(f"{name}: expected NAME=NUMBER with a number >= 0, got {item!r}")
    if not pairs:
        raise SettingsError(f"{name}: expected at least one NAME=NUMBER pair")
    return pairs


def read_number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected a number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name}: expected a number >= 0, got {raw!r}")
    return value


def default_regions() -> tuple[dict[str, float], dict[str, str]]:
    """Region weights and jurisdictions from the platform model (global stack: every region)."""
    from stacks.loading import load_platform

    platform = load_platform("prod-global")
    return (
        {name: r.traffic_share for name, r in platform.regions.items()},
        {name: r.jurisdiction for name, r in platform.regions.items()},
    )


def read_settings(env: Mapping[str, str] | None = None) -> LoadSettings:
    """Settings from ``REELOPS_*`` variables (see docs/wargames.md), defaults from the model."""
    env = os.environ if env is None else env
    regions, jurisdictions = default_regions()
    if env.get("REELOPS_REGIONS"):
        regions = parse_weights(env["REELOPS_REGIONS"], "REELOPS_REGIONS")
        unknown = sorted(set(regions) - set(jurisdictions))
        if unknown:
            raise SettingsError(f"REELOPS_REGIONS: unknown regions {unknown}; expected some of {sorted(jurisdictions)}")
    weights = {"learner": 6, "creator": 1, "writer": 3}
    if env.get("REELOPS_USER_WEIGHTS"):
        weights = {k: int(v) for k, v in parse_weights(env["REELOPS_USER_WEIGHTS"], "REELOPS_USER_WEIGHTS").items()}
    out = env.get("REELOPS_LOAD_DIR")
    return LoadSettings(
        regions=regions,
        jurisdictions=jurisdictions,
        think_time_s=read_number(env, "REELOPS_THINK_TIME_S", 0.2),
        speed=read_number(env, "REELOPS_SPEED", 1.0) or 1.0,
        out_dir=Path(out) if out else None,
        p95_slo_ms=read_number(env, "REELOPS_SLO_P95_MS", VIDEO_START_P95_SLO_MS),
        error_ratio_slo=read_number(env, "REELOPS_SLO_ERROR_RATIO", VIDEO_START_ERROR_RATIO_SLO),
        base_users=int(read_number(env, "REELOPS_BASE_USERS", 10)),
        duration_s=read_number(env, "REELOPS_DURATION_S", 900.0),
        surge_at_s=read_number(env, "REELOPS_SURGE_AT_S", 120.0),
        ramp_s=read_number(env, "REELOPS_RAMP_S", 600.0) or 600.0,
        start_wall=read_number(env, "REELOPS_START_WALL", 0.0) or None,
        weights=weights,
        views_per_session=read_count(env, "REELOPS_VIEWS_PER_SESSION", VIDEOS_PER_SESSION),
        client_retry=read_flag(env, "REELOPS_CLIENT_RETRY", True),
        upload_interval_s=read_number(env, "REELOPS_UPLOAD_INTERVAL_S", 0.0) or None,
    )


def read_count(env: Mapping[str, str], name: str, default: int) -> int:
    value = read_number(env, name, default)
    if value < 1 or value != int(value):
        raise SettingsError(f"{name}: expected a whole number >= 1, got {env.get(name)!r}")
    return int(value)


def read_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw not in ("0", "1"):
        raise SettingsError(f"{name}: expected 0 or 1, got {raw!r}")
    return raw == "1"

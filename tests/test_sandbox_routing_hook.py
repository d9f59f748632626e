"""The sandbox's routing hook: an installed router decides, and the fleet refuses to cross a jurisdiction."""

from __future__ import annotations

from sandbox.pools import Pool
from sandbox.running import build_sandbox


def test_installed_router_is_followed_inside_the_jurisdiction() -> None:
    sb = build_sandbox("saturday-upload-peak")
    _, overflow = sb.pools.pools_of("EU")
    assert overflow is not None
    sb.pools.set_router(lambda jurisdiction: ("overflow", overflow))
    assert sb.pools.route("EU") == ("overflow", overflow)
    assert sb.pools.cross_jurisdiction_routes == 0


def test_a_router_naming_another_jurisdictions_pool_is_refused_and_counted() -> None:
    sb = build_sandbox("saturday-upload-peak")
    us_home, _ = sb.pools.pools_of("US")

    def hostile(jurisdiction: str) -> tuple[str, Pool | None]:
        return "home", us_home

    sb.pools.set_router(hostile)
    before = us_home.depth
    sb.pools.accept("EU", jobs=10.0, t=sb.now, dedupe_share=0.0)
    assert us_home.depth == before, "an EU job reached a US pool"
    assert sb.pools.cross_jurisdiction_routes == 1
    assert sb.outcome().cross_jurisdiction_routes == 1


def test_clearing_the_router_restores_the_spec_rule() -> None:
    sb = build_sandbox("saturday-upload-peak")
    sb.pools.set_router(lambda jurisdiction: ("cpu_fallback", None))
    sb.pools.set_router(None)
    action, pool = sb.pools.route("EU")
    assert action == "home" and pool is not None and pool.jurisdiction == "EU"

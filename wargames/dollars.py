"""Dollars at risk, with SPEC section 8's arithmetic and the platform model's business figures.

Scenario 1 of the spec: 123,750 failed starts / 3 views per session = 41,250 affected users;
x $1.00 revenue per DAU = $41,250 direct; 3% of them churn = 1,238 users x $120 LTV = $148,560;
total $189,810. A partial user or churner counts as a whole one (rounded up). Scenario 2 values a
disrupted session at ``session_value_usd`` instead of a day's revenue: the war game says which.
"""

from __future__ import annotations

import math
from typing import Literal

from stacks.model import TrafficSpec
from wargames.models import DollarsAtRisk

LossBasis = Literal["revenue_per_dau", "session_value"]


def count_affected_users(failed_actions: int, views_per_session: float) -> int:
    """Failed starts (or lost writes) -> users who saw a failure, a session's worth of views each."""
    if failed_actions < 0:
        raise ValueError(f"failed actions cannot be negative ({failed_actions})")
    return math.ceil(failed_actions / views_per_session - 1e-9)


def count_churned_users(affected_users: int, churn_after_failure: float) -> int:
    return math.ceil(affected_users * churn_after_failure - 1e-9)


def estimate_dollars_at_risk(failed_actions: int, traffic: TrafficSpec, basis: LossBasis) -> DollarsAtRisk:
    """The spec's chain: failed actions -> affected users -> direct loss + churn x LTV."""
    users = count_affected_users(failed_actions, traffic.views_per_session)
    per_user = traffic.revenue_per_dau_usd if basis == "revenue_per_dau" else traffic.session_value_usd
    direct = round(users * per_user, 2)
    churned = count_churned_users(users, traffic.churn_after_failure)
    churn_usd = round(churned * traffic.ltv_usd, 2)
    return DollarsAtRisk(
        failed_actions=failed_actions,
        affected_users=users,
        direct_usd=direct,
        churned_users=churned,
        churn_usd=churn_usd,
        total_usd=round(direct + churn_usd, 2),
    )

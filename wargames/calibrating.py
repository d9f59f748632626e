"""A war game against its SPEC calibration (SPEC 8 scenario 1's exposed figures). Pure.

Two comparisons, both reported:
- the sandbox's full-scale counters against the published figures (123,750 failed starts and 41,250
  affected users unmitigated; 3,712 user-perceived failures with standby + client retry). They must
  agree within the calibration's tolerance, or the war game's dollars are not SPEC 8's and the run
  is invalid;
- the Locust sample's user-perceived failure ratio over the fault (sessions whose start failed
  after retries / sessions started, injection phase) next to the design's ratio for the same run:
  user-perceived failures (or, unmitigated, affected users) over the sessions of the fault, which
  are the affected users divided by the failed region's share of traffic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from wargames.models import Calibration, CalibrationReport, Metric


def within(value: int | None, design: int, tolerance: float) -> bool:
    return value is not None and abs(value - design) <= tolerance * design


def compare_to_calibration(
    calibration: Calibration,
    *,
    mitigated: bool,
    outcome: Mapping[str, Any],
    counterfactual_failures: int | None,
    views_per_session: float,
    injection: Mapping[Metric, float | None],
) -> CalibrationReport:
    """The run's calibration report (see the module docstring)."""
    c = calibration
    if mitigated:
        failed = counterfactual_failures
        perceived: int | None = int(float(outcome.get("user_perceived_failures") or 0)) if outcome else None
    else:
        failed = int(float(outcome.get("failed_starts") or 0)) if outcome else None
        perceived = None
    users = None if failed is None else math.floor(failed / views_per_session + 0.5)
    checks = [within(failed, c.failed_starts, c.tolerance), within(users, c.affected_users, c.tolerance)]
    if mitigated:
        checks.append(within(perceived, c.user_perceived_failures, c.tolerance))
    sessions_in_fault = c.affected_users / c.region_share
    design = (c.user_perceived_failures if mitigated else c.affected_users) / sessions_in_fault
    return CalibrationReport(
        source=c.source,
        design_failed_starts=c.failed_starts,
        design_affected_users=c.affected_users,
        design_user_perceived_failures=c.user_perceived_failures,
        sandbox_failed_starts=failed,
        sandbox_affected_users=users,
        sandbox_user_perceived_failures=perceived,
        within_tolerance=all(checks),
        design_session_failure_ratio=round(design, 4),
        measured_session_failure_ratio=injection.get(Metric.SESSION_FAILURE_RATIO),
        measured_request_error_ratio=injection.get(Metric.VIDEO_START_ERROR_RATIO),
    )


def describe_miss(report: CalibrationReport) -> str:
    """Why a calibration failed, with the figures."""
    return (
        f"the sandbox does not reproduce {report.source}: failed starts {report.sandbox_failed_starts} "
        f"(design {report.design_failed_starts:,}), affected users {report.sandbox_affected_users} "
        f"(design {report.design_affected_users:,}), user-perceived {report.sandbox_user_perceived_failures} "
        f"(design {report.design_user_perceived_failures:,})"
    )

"""Sessions as SPEC 8 counts them: retries in model time, user-perceived failures, outcome-blind pacing.

loadtests/sessions.py has no Locust import, so it runs here in-process with fakes for HTTP and sleep.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.sessions import pacing_s, retry_delays, watch_session, watch_view
from loadtests.settings import SettingsError, read_settings


def test_retry_delays_are_spec_8_backoff_in_model_time() -> None:
    assert retry_delays(1.0, True) == (0.1, 0.5, 2.0)
    assert retry_delays(10.0, True) == pytest.approx((0.01, 0.05, 0.2))
    assert retry_delays(20.0, False) == ()
    with pytest.raises(ValueError, match="speed"):
        retry_delays(0.0, True)


def test_a_view_is_retried_until_it_succeeds_or_the_backoff_runs_out() -> None:
    slept: list[float] = []
    answers = iter([False, False, True])
    assert watch_view(lambda _: next(answers), (0.1, 0.5, 2.0), slept.append) == 3
    assert slept == [0.1, 0.5]
    slept.clear()
    assert watch_view(lambda _: False, (0.1, 0.5, 2.0), slept.append) == 0
    assert slept == [0.1, 0.5, 2.0], "no sleep after the last attempt"
    assert watch_view(lambda _: False, (), slept.append) == 0


def test_a_session_whose_start_fails_after_retries_is_a_user_perceived_failure() -> None:
    calls: list[tuple[int, int]] = []

    def start(view: int, attempt: int) -> bool:
        calls.append((view, attempt))
        return False

    result = watch_session(3, start, (0.1, 0.5, 2.0), lambda _: None, lambda: None)
    assert (result.start_ok, result.views, result.failed_views, result.attempts) == (False, 1, 1, 4)
    assert calls == [(0, 0), (0, 1), (0, 2), (0, 3)], "the user gives up: no second view"


def test_a_retried_start_and_a_later_failed_view_keep_the_session() -> None:
    outcomes = {(0, 0): False, (0, 1): True, (1, 0): False, (1, 1): False, (2, 0): True}
    thinks: list[int] = []
    result = watch_session(3, lambda v, a: outcomes[(v, a)], (0.1,), lambda _: None, lambda: thinks.append(1))
    assert (result.start_ok, result.views, result.failed_views, result.attempts) == (True, 3, 1, 5)
    assert len(thinks) == 2, "a pause between views, none after the last"


def test_pacing_fits_a_session_of_views_within_the_slo() -> None:
    assert pacing_s(3, 0.2, 300.0) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="views_per_session"):
        pacing_s(0, 0.2, 300.0)


def test_session_settings_are_read_and_checked() -> None:
    s = read_settings({"REELOPS_VIEWS_PER_SESSION": "3", "REELOPS_CLIENT_RETRY": "0"})
    assert (s.views_per_session, s.client_retry) == (3, False)
    assert read_settings({}).views_per_session == 20 and read_settings({}).client_retry
    with pytest.raises(SettingsError, match="REELOPS_VIEWS_PER_SESSION: expected a whole number"):
        read_settings({"REELOPS_VIEWS_PER_SESSION": "2.5"})
    with pytest.raises(SettingsError, match="REELOPS_CLIENT_RETRY: expected 0 or 1"):
        read_settings({"REELOPS_CLIENT_RETRY": "yes"})


def test_war_game_creators_add_a_tenth_of_the_modelled_uploads() -> None:
    from wargames.loading import build_env, creator_upload_interval_s
    from wargames.models import LoadSpec

    assert creator_upload_interval_s(1, 7_000) == pytest.approx(86_400 / 700)
    assert creator_upload_interval_s(2, 7_000) == pytest.approx(2 * 86_400 / 700)
    spec = LoadSpec(shape="steady", learners=12, creators=1, writers=4)
    env = build_env(spec, 10, Path("/tmp/x"), 0.0, views_per_session=3, client_retry=False, uploads_per_day=7_000)
    settings = read_settings(env)
    assert settings.upload_interval_s == pytest.approx(123.4)
    assert (settings.views_per_session, settings.client_retry) == (3, False)
    assert read_settings({}).upload_interval_s is None

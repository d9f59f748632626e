"""The platform's users as Locust sees them: learners, creators and interaction writers.

- A learner watches sessions of ``REELOPS_VIEWS_PER_SESSION`` videos (plain runs: ~20, SPEC section 1;
  war games: SPEC 6's 3 views per session), swiping back now and then; a failed video start is
  retried by the app (SPEC 8: 100 ms, 500 ms, 2 s of model time), and a session whose start still
  fails is a user-perceived failure (loadtests/sessions.py). Sessions start at a constant pace
  whatever their outcome, each in the next region by traffic share. Each video watched writes a
  "view" interaction with a client-generated id, in the background (the app does not block the
  next swipe on it).
- A creator uploads a 60-second video in their jurisdiction (SPEC section 3), every
  ``REELOPS_UPLOAD_INTERVAL_S`` model seconds when set (war games: Locust's uploads become real jobs
  in the full-scale model's pools, so they are paced to a small share of the modelled uploads).
- A writer likes, comments and emits ML events: writes with client-generated ids, retried on 429/503
  with the spec's backoff (100 ms, 500 ms, 2 s) and then from the app's outbox every 2 s for up to 5
  model minutes. Every write's final fate is recorded so that the war game can reconcile lost writes
  against what the platform stored and buffered.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from typing import Any

import gevent
from locust import FastHttpUser, between, constant_pacing, task

from loadtests.recording import record_session, record_write
from loadtests.regions import RegionPicker
from loadtests.sessions import pacing_s, retry_delays, watch_session
from loadtests.settings import (
    BACK_SWIPE_PROBABILITY,
    WRITE_OUTBOX_MODEL_S,
    WRITE_RETRY_BACKOFF_S,
    LoadSettings,
    read_settings,
)

SETTINGS: LoadSettings = read_settings()
THINK = SETTINGS.think_time_s
START_RETRY_DELAYS = retry_delays(SETTINGS.speed, SETTINGS.client_retry)


PICKERS: dict[str, RegionPicker] = {}


def pick_region(purpose: str) -> str:
    """The next region for a session of ``purpose`` (each purpose keeps its own exact shares)."""
    if purpose not in PICKERS:
        PICKERS[purpose] = RegionPicker(SETTINGS.regions)
    return PICKERS[purpose].pick()


def next_video(history: list[str]) -> str:
    """A new video, or (sometimes) a swipe back to the previous one."""
    if len(history) >= 2 and random.random() < BACK_SWIPE_PROBABILITY:
        return history[-2]
    return f"v{random.randrange(1_000_000)}"


class PlatformUser(FastHttpUser):
    abstract = True
    wait_time = between(THINK * 0.5, THINK * 1.5)

    def write(self, kind: str, region: str, user_id: str) -> None:
        """One write with a client-generated id, retried (backoff, then the outbox); its fate is recorded."""
        write_id = str(uuid.uuid4())
        body = {"id": write_id, "user_id": user_id, "kind": kind, "region": region}
        give_up_at = time.monotonic() + WRITE_OUTBOX_MODEL_S / SETTINGS.speed
        for attempt in itertools.count():
            status = self.post_write(body, attempt)
            if status in (200, 202):
                record_write(write_id, "acknowledged", status)
                return
            backoff = WRITE_RETRY_BACKOFF_S[min(attempt, len(WRITE_RETRY_BACKOFF_S) - 1)]
            if status not in (429, 503) or time.monotonic() + backoff > give_up_at:
                record_write(write_id, "rejected", status)
                return
            gevent.sleep(backoff)

    def post_write(self, body: dict[str, Any], attempt: int) -> int:
        name = "write" if attempt == 0 else "write (retry)"
        with self.client.post("/edge/write", json=body, name=name, catch_response=True) as resp:
            if resp.status_code in (200, 202):
                resp.success()
            else:
                resp.failure(f"HTTP {resp.status_code}")
            return int(resp.status_code or 0)


class LearnerUser(PlatformUser):
    """Viewing sessions: video starts with back-swipes and client retries; each video watched writes a view."""

    weight = SETTINGS.weights.get("learner", 6)
    wait_time = constant_pacing(pacing_s(SETTINGS.views_per_session, THINK, SETTINGS.p95_slo_ms))

    @task
    def watch_session(self) -> None:
        region, user_id = pick_region("learner"), f"u{random.randrange(10_000_000)}"
        history: list[str] = []
        started = time.time()

        def start(view: int, attempt: int) -> bool:
            if attempt == 0:
                history.append(next_video(history))
            body = {"region": region, "user_id": user_id, "video_id": history[-1]}
            name = "video-start" if attempt == 0 else "video-start (retry)"
            with self.client.post("/edge/video-start", json=body, name=name, catch_response=True) as resp:
                if resp.status_code != 200:
                    resp.failure(f"HTTP {resp.status_code}")
                    return False
            gevent.spawn(self.write, "view", region, user_id)  # the app records the view in the background
            return True

        result = watch_session(
            SETTINGS.views_per_session,
            start,
            START_RETRY_DELAYS,
            gevent.sleep,
            lambda: gevent.sleep(random.uniform(THINK * 0.5, THINK * 1.5)),
        )
        record_session(started, region, result)


class CreatorUser(PlatformUser):
    """A creator uploading a 60-second video in their own jurisdiction."""

    weight = SETTINGS.weights.get("creator", 1)
    if SETTINGS.upload_interval_s is not None:
        wait_time = constant_pacing(SETTINGS.upload_interval_s / SETTINGS.speed)

    @task
    def upload(self) -> None:
        region = pick_region("creator")
        body = {
            "jurisdiction": SETTINGS.jurisdictions[region],
            "creator_id": f"c{random.randrange(100_000)}",
            "size_mb": round(random.uniform(20, 120), 1),
        }
        with self.client.post("/edge/upload", json=body, name="upload", catch_response=True) as resp:
            if resp.status_code == 202:
                resp.success()
            elif resp.status_code == 429:
                resp.success()  # an honest rate limit with Retry-After is the designed answer
            else:
                resp.failure(f"HTTP {resp.status_code}")


class WriterUser(PlatformUser):
    """Likes, comments and ML events: interaction writes with client-generated ids."""

    weight = SETTINGS.weights.get("writer", 3)

    @task(3)
    def interact(self) -> None:
        self.write("interaction", pick_region("interaction"), f"u{random.randrange(10_000_000)}")

    @task(1)
    def ml_event(self) -> None:
        self.write("ml", pick_region("ml"), f"u{random.randrange(10_000_000)}")

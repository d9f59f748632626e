"""Locust as a library, in its own process: what the war game starts.

gevent's monkey-patching would turn the war game's threads (the sandbox server, the controllers,
Chaos Toolkit) into greenlets, so Locust runs in a child process started with ``spawn`` and only
this module's ``run_load`` imports it. The child reads its settings from the environment it is
given (``REELOPS_*``), runs the shape until told to stop (``stop`` event) or until the shape ends,
and leaves its evidence in ``REELOPS_LOAD_DIR``: samples.csv, writes.csv, cpu.json and Locust's own
stats CSV files (``locust_stats.csv``, ``locust_stats_history.csv``, ``locust_failures.csv``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from multiprocessing.synchronize import Event
from pathlib import Path

SHAPES = {"viral-surge": "ViralSurgeShape", "commute-peak": "CommutePeakShape", "steady": None}


def run_load(host: str, shape: str, users: int, env_vars: Mapping[str, str], stop: Event) -> None:
    """Run Locust until ``stop`` is set or the shape ends; write the evidence files."""
    os.environ.update(env_vars)
    import gevent
    from locust import events
    from locust.env import Environment
    from locust.stats import StatsCSVFileWriter

    from loadtests import recording, shapes
    from loadtests.users import CreatorUser, LearnerUser, WriterUser

    shape_name = SHAPES[shape]
    shape_class = getattr(shapes, shape_name) if shape_name else None
    env = Environment(
        user_classes=[LearnerUser, CreatorUser, WriterUser],
        shape_class=shape_class() if shape_class else None,
        host=host,
        events=events,
    )
    runner = env.create_local_runner()
    out = Path(env_vars["REELOPS_LOAD_DIR"])
    writer = StatsCSVFileWriter(env, [0.5, 0.95, 0.99], str(out / "locust"), full_history=False)
    writing = gevent.spawn(writer.stats_writer)
    events.init.fire(environment=env, runner=runner, web_ui=None)  # type: ignore[no-untyped-call]
    if shape_class:
        runner.start_shape()
    else:
        runner.start(users, spawn_rate=max(1, users))
    while not stop.is_set() and runner.state not in ("stopped", "quitting"):
        gevent.sleep(0.1)
    runner.quit()
    recording.flush()
    gevent.sleep(1.1)  # one more pass of the CSV writer over the final stats
    writing.kill()
    writer.close_files()

"""Locust as a library, in its own interpreter: what the war game starts (``python -m loadtests.library``).

gevent must monkey-patch before ``ssl`` and threads are imported, and it would turn the war game's
threads (the sandbox server, the controllers, Chaos Toolkit) into greenlets; so Locust runs in a
fresh child interpreter whose first import is Locust. The child reads its settings from
``REELOPS_*`` variables, runs the shape until the stop file appears (or the shape ends), and leaves
its evidence in ``REELOPS_LOAD_DIR``: samples.csv, writes.csv, cpu.json and Locust's own stats CSV
files (``locust_stats.csv``, ``locust_stats_history.csv``, ``locust_failures.csv``).

    python -m loadtests.library HOST SHAPE USERS STOP_FILE
"""

from __future__ import annotations

import sys
from pathlib import Path

SHAPES = {"viral-surge": "ViralSurgeShape", "commute-peak": "CommutePeakShape", "steady": None}


def run_load(host: str, shape: str, users: int, stop_file: Path, out: Path) -> None:
    """Run Locust until ``stop_file`` exists or the shape ends; write the evidence files."""
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
    writer = StatsCSVFileWriter(env, [0.5, 0.95, 0.99], str(out / "locust"), full_history=False)
    writing = gevent.spawn(writer.stats_writer)
    events.init.fire(environment=env, runner=runner, web_ui=None)  # type: ignore[no-untyped-call]
    if shape_class:
        runner.start_shape()
    else:
        runner.start(users, spawn_rate=max(1, users))
    while not stop_file.exists() and runner.state not in ("stopped", "quitting"):
        gevent.sleep(0.1)
    runner.quit()
    recording.flush()
    gevent.sleep(1.1)  # one more pass of the CSV writer over the final stats
    writing.kill()
    writer.close_files()


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[1] not in SHAPES:
        print(f"usage: python -m loadtests.library HOST SHAPE({'|'.join(SHAPES)}) USERS STOP_FILE", file=sys.stderr)
        return 2
    from loadtests.settings import read_settings

    out = read_settings().out_dir
    if out is None:
        print("REELOPS_LOAD_DIR must name the folder for the evidence files", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    run_load(argv[0], argv[1], int(argv[2]), Path(argv[3]), out)
    return 0


if __name__ == "__main__":
    import locust  # noqa: F401  (first: gevent patches before anything imports ssl or threading)

    sys.exit(main(sys.argv[1:]))

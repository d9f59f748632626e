"""The war-game catalogue: ``wargames/wargames.yaml`` validated, with errors naming file and key.

War games are data so that an SRE can add one (or tighten an SLO) without touching the orchestrator.
The experiment and the sandbox scenario each war game names are checked to exist here, before any
process starts.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from wargames.models import WarGameSpec

REPO_ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_FILE = Path(__file__).with_name("wargames.yaml")


class WarGameError(ValueError):
    """Invalid war-game input: the message names the file or argument and what was expected."""


def parse_catalogue(data: Any, source: str) -> dict[str, WarGameSpec]:
    if not isinstance(data, dict):
        raise WarGameError(f"{source}: expected a mapping of war-game name -> definition")
    games: dict[str, WarGameSpec] = {}
    for name, body in data.items():
        try:
            games[name] = WarGameSpec.model_validate({"name": name, **(body or {})})
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(p) for p in err["loc"])
            raise WarGameError(f"{source}: {name}.{key}: {err['msg']}") from None
    return games


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> dict[str, WarGameSpec]:
    """Every war game, validated."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise WarGameError(f"{path}: cannot read the war-game catalogue ({exc})") from None
    return parse_catalogue(data, str(path))


def find_wargame(name: str) -> WarGameSpec:
    """One war game by name, or WarGameError listing the known ones."""
    games = load_catalogue()
    if name not in games:
        raise WarGameError(f"SCENARIO: unknown war game {name!r}; expected one of {sorted(games)}")
    return games[name]


def load_experiment(spec: WarGameSpec) -> dict[str, Any]:
    """The Chaos Toolkit experiment of a war game, parsed and checked by chaoslib."""
    from chaoslib.exceptions import ChaosException
    from chaoslib.experiment import ensure_experiment_is_valid

    path = REPO_ROOT / spec.experiment
    try:
        experiment: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise WarGameError(f"{path}: cannot read the experiment ({exc})") from None
    try:
        ensure_experiment_is_valid(experiment)
    except ChaosException as exc:
        raise WarGameError(f"{path}: invalid Chaos Toolkit experiment: {exc}") from None
    return experiment

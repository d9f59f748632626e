"""Read a YAML file into a frozen pydantic model, with errors that name the file and the key.

Every FinOps input file (catalogue, usage assumptions, billing exports' options, breaker policy) goes
through here so that a typo is reported as ``<file>: <dotted.key>: <what was expected>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class FinopsInputError(ValueError):
    """An input file is missing or invalid; the message names the file and the key."""


def load_yaml_model(path: Path, model: type[ModelT]) -> ModelT:
    """Parse ``path`` and validate it into ``model``; raise FinopsInputError naming file and key."""
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise FinopsInputError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise FinopsInputError(f"{path}: not valid YAML: {exc}") from None
    return validate_model(raw, model, str(path))


def validate_model(raw: object, model: type[ModelT], source: str) -> ModelT:
    """Validate already-parsed data; errors name ``source`` and the dotted key."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise FinopsInputError(describe_error(exc, source)) from None


def describe_error(exc: ValidationError, source: str) -> str:
    """``<source>: <dotted.key>: <message> (got <input>)`` for pydantic's first error."""
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "<top level>"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif err["type"] == "missing":
        message = "required key is missing"
    elif "input" in err and not isinstance(err["input"], dict | list):
        message = f"{message} (got {err['input']!r})"
    return f"{source}: {key}: {message}"

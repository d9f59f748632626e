"""Load the platform model from Pulumi configuration files, with errors that name file and key.

Pulumi keeps project-wide values in ``Pulumi.yaml`` (``config: reelops:<key>: value: ...``) and
per-stack values in ``stacks/Pulumi.<stack>.yaml`` (``stackConfigDir: stacks``). We read the same
files the Pulumi CLI reads, merge them the way it does (stack values win), and validate the result
into a :class:`PlatformModel`. Under Pulumi's mock runtime the files are not read by Pulumi, so the
program and ``ops plan`` both go through this loader.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from stacks.model import PlatformModel
from stacks.validation import PlatformRuleError

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILE = REPO_ROOT / "Pulumi.yaml"
STACKS_DIR = REPO_ROOT / "stacks"
NAMESPACE = "reelops"
PROJECT_KEYS = {"jurisdictions": "jurisdictions", "regions": "regions", "traffic": "traffic"}
PROD_STACKS = ("prod-us", "prod-eu", "prod-apac", "prod-global")


@dataclass(frozen=True)
class ConfigError(Exception):
    """Invalid configuration: which file, which key, what was expected."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


def list_stacks(stacks_dir: Path = STACKS_DIR) -> list[str]:
    """Stack names that have a configuration file, in a stable order."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml"))


def stack_file(stack: str, stacks_dir: Path = STACKS_DIR) -> Path:
    return stacks_dir / f"Pulumi.{stack}.yaml"


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML mapping or raise ConfigError naming the file."""
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(str(path), "-", "file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), "-", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), "-", "expected a YAML mapping at the top level")
    return data


def read_project_config(project_file: Path = PROJECT_FILE) -> dict[str, Any]:
    """Project-level ``reelops:*`` values from Pulumi.yaml, without the namespace."""
    config = read_yaml(project_file).get("config") or {}
    values: dict[str, Any] = {}
    for key, entry in config.items():
        if key.startswith(f"{NAMESPACE}:"):
            values[key.split(":", 1)[1]] = entry.get("value") if isinstance(entry, dict) else entry
    return values


def read_stack_config(path: Path) -> dict[str, Any]:
    """The ``reelops:*`` values of a stack file, without the namespace."""
    config = read_yaml(path).get("config")
    if not isinstance(config, dict):
        raise ConfigError(str(path), "config", "expected a mapping of Pulumi config keys")
    return {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{NAMESPACE}:")}


def load_platform(
    stack: str | None = None, config_path: Path | None = None, project_file: Path = PROJECT_FILE
) -> PlatformModel:
    """Load and validate one stack, by name (from ``stacks/``) or from any stack file path."""
    if config_path is None:
        if stack is None:
            raise ValueError("load_platform needs a stack name or a config path")
        config_path = stack_file(stack)
    name = stack or config_path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    merged = {**read_project_config(project_file), **read_stack_config(config_path)}
    return build_platform(merged, name, source=str(config_path), project_source=str(project_file))


def build_platform(
    values: dict[str, Any], stack: str, source: str = "<config>", project_source: str = "Pulumi.yaml"
) -> PlatformModel:
    """Validate merged ``reelops:*`` values (namespace stripped) into a PlatformModel."""
    if "platform" not in values:
        raise ConfigError(source, f"{NAMESPACE}:platform", "expected the stack's platform settings")
    raw = {
        "project": NAMESPACE,
        "stack": stack,
        **{field: values.get(key) for key, field in PROJECT_KEYS.items()},
        "settings": merge_defaults(values["platform"], values.get("jurisdiction_defaults") or {}),
    }
    try:
        return PlatformModel.model_validate(raw)
    except ValidationError as exc:
        raise to_config_error(exc, source, project_source) from None


def merge_defaults(platform: Any, defaults: dict[str, Any]) -> Any:
    """Jurisdiction stacks inherit ``reelops:jurisdiction_defaults`` key by key (stack keys win)."""
    if not isinstance(platform, dict) or platform.get("kind") != "jurisdiction":
        return platform
    return {**defaults, **platform}


def load_prod_platforms() -> dict[str, PlatformModel]:
    """The four production stacks, validated."""
    return {name: load_platform(name) for name in PROD_STACKS}


def to_config_error(exc: ValidationError, source: str, project_source: str) -> ConfigError:
    """Turn pydantic's first error into file + dotted config key + expectation."""
    err = exc.errors()[0]
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, PlatformRuleError):
        file = project_source if cause.key.startswith(("reelops:jurisdictions", "reelops:regions")) else source
        return ConfigError(file, cause.key, cause.detail)
    loc = list(err["loc"])
    head = str(loc.pop(0)) if loc else "platform"
    top = {"settings": "platform"}.get(head, head)
    key = f"{NAMESPACE}:{top}" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
    file = source if top == "platform" else project_source
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        message = "required key is missing"
    elif "input" in err and err["type"] != "extra_forbidden":
        message = f"{message} (got {err['input']!r})"
    if err["type"] == "extra_forbidden":
        message = "unknown key (check the spelling against stacks/model.py)"
    return ConfigError(file, key, message)

"""Pulumi program entry: the only place that reads Pulumi configuration.

``pulumi up`` (Pulumi.yaml ``main: stacks/``) runs this file. It reads the ``reelops:*`` configuration
the CLI merged from Pulumi.yaml and ``stacks/Pulumi.<stack>.yaml``, validates it into the platform
model (the same validation ``ops plan`` applies), builds the stack and exports its outputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pulumi

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the language host starts us from stacks/; the packages live one level up
    sys.path.insert(0, str(ROOT))

from stacks.loading import NAMESPACE, ConfigError, build_platform  # noqa: E402
from stacks.program import build_stack  # noqa: E402

CONFIG_KEYS = ("platform", "jurisdictions", "regions", "traffic", "jurisdiction_defaults")


def read_config() -> dict[str, object]:
    """Every ``reelops:*`` object the model needs, as the Pulumi CLI resolved it."""
    config = pulumi.Config(NAMESPACE)
    return {key: value for key in CONFIG_KEYS if (value := config.get_object(key)) is not None}


stack = pulumi.get_stack()
try:
    model = build_platform(read_config(), stack, source=f"stacks/Pulumi.{stack}.yaml", project_source="Pulumi.yaml")
except ConfigError as exc:
    raise pulumi.RunError(str(exc)) from None
for name, value in build_stack(model).items():
    pulumi.export(name, value)

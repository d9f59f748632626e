"""Entry of the reelops policy pack; the only module that constructs the PolicyPack.

Constructing ``PolicyPack`` starts the policy gRPC server and blocks, so nothing else imports this
file: tests and ``ops plan`` use ``components.policies`` directly. Which regions belong to which
jurisdiction comes from the project configuration (``reelops:regions`` in Pulumi.yaml), the same
source the platform model is built from.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the policy host starts us from this folder
    sys.path.insert(0, str(ROOT))

from components.policies import build_policies, rules_from_regions  # noqa: E402
from stacks.loading import read_project_config  # noqa: E402

regions = read_project_config(ROOT / "Pulumi.yaml").get("regions") or {}
rules = rules_from_regions({name: str(spec["jurisdiction"]) for name, spec in regions.items()})

PolicyPack(
    name="reelops-platform",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(rules),
)

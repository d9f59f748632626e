"""Chaos Toolkit extension for reelops: actions and probes on the sandbox (admin API) and AWS.

``chaos discover chaos --no-install`` lists the activities of ``chaos.actions``, ``chaos.probes``
and ``chaos.aws_adapters``; experiments live in ``chaos/experiments/*.json``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["discover"]
__version__ = "0.1.0"
MODULES = {"chaos.actions": "action", "chaos.probes": "probe", "chaos.aws_adapters": "action"}


def discover(discover_system: bool = True) -> Any:
    """The Discovery document ``chaos discover`` writes (activities with their arguments)."""
    from chaoslib.discovery.discover import discover_activities, initialize_discovery_result

    discovery = initialize_discovery_result("chaos", __version__, "reelops")
    for module, kind in MODULES.items():
        discovery["activities"].extend(discover_activities(module, kind))
    return discovery

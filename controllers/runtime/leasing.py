"""Leader election seam: only the replica holding the lease acts; the others decide and stand by.

In Kubernetes the gate is a coordination.k8s.io Lease (``controllers/adapters/kubernetes.py``);
outside it (the sandbox, a single process) every replica is the leader. The runner asks the gate once
per reconcile, passing the time it read from its clock, so gates never read clocks themselves.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class LeaseGate(Protocol):
    """Answers "may this replica act now?" and renews its lease when it may."""

    identity: str

    def try_acquire(self, now: float) -> bool: ...


class SoleReplica:
    """The gate when nothing else can run: always the leader."""

    identity = "sole-replica"

    def try_acquire(self, now: float) -> bool:
        return True

"""Which region a simulated user's session belongs to, in exact proportion to the traffic shares.

Kept apart from the locustfiles (no Locust import) so that it is testable in-process: importing
Locust monkey-patches with gevent, which must not happen inside the test runner.
"""

from __future__ import annotations


class RegionPicker:
    """Regions for new sessions in exact proportion to the traffic shares (smooth weighted round robin).

    Random draws over the few dozen sessions of a war game phase put anywhere from 20% to 50% of the
    load on a 33% region, which turns a regional-failure gate into a coin toss; interleaving by
    weight keeps every window of sessions at the model's shares.
    """

    def __init__(self, weights: dict[str, float]) -> None:
        if not weights or min(weights.values()) < 0 or sum(weights.values()) <= 0:
            raise ValueError(f"expected non-negative region weights with a positive sum, got {weights}")
        self.weights = dict(weights)
        self.credit = dict.fromkeys(weights, 0.0)

    def pick(self) -> str:
        total = sum(self.weights.values())
        for name, weight in self.weights.items():
            self.credit[name] += weight
        chosen = max(self.credit, key=lambda name: self.credit[name])
        self.credit[chosen] -= total
        return chosen

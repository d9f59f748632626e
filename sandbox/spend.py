"""Running cost of what the modelled platform uses, priced from the FinOps catalogue (SPEC 9).

Usage is metered per tick (GB delivered, requests, instance-seconds, WCU-hours, caption minutes) and
priced with ``finops.catalogue``; tiered CDN egress is priced at the month's average tier price for
the scenario's volume (the tiers are monthly). ``capacity`` is the part that pays for capacity held
(GPU and app instances, provisioned write units), which controllers trade against failures.
"""

from __future__ import annotations

from finops.catalogue import Catalogue
from stacks.model import CostCenter

CENTRES = tuple(c.value for c in CostCenter)
DAYS_PER_MONTH = 30.0


class SpendMeter:
    """Dollars by cost centre since the start of the run, plus the capacity share."""

    def __init__(self, catalogue: Catalogue, daily_egress_gb: float) -> None:
        self.catalogue = catalogue
        self.by_centre = dict.fromkeys(CENTRES, 0.0)
        self.capacity = 0.0
        monthly = max(daily_egress_gb * DAYS_PER_MONTH, 1.0)
        self.egress_per_gb = catalogue.cost("cdn_egress", monthly) / monthly
        self.prices = {key: catalogue.price(key).unit_price() for key in PRICED_KEYS}

    def add(self, centre: str, usd: float, capacity: bool = False) -> None:
        self.by_centre[centre] += usd
        if capacity:
            self.capacity += usd

    def meter_delivery(self, gb: float, shield_requests: float) -> None:
        self.add("cdn", gb * self.egress_per_gb)
        self.add("cdn", shield_requests / 1e4 * self.prices["origin_shield_requests"])

    def meter_writes(self, on_demand_writes: float, sqs_requests: float, reads: float) -> None:
        self.add("data", on_demand_writes / 1e6 * self.prices["dynamodb_write_request"])
        self.add("data", sqs_requests / 1e6 * self.prices["sqs_request"])
        self.add("data", reads / 1e6 * self.prices["dynamodb_read_request"])

    def meter_provisioned(self, wcu_seconds: float) -> None:
        self.add("data", wcu_seconds / 3600 * self.prices["dynamodb_provisioned_wcu_hour"], capacity=True)

    def meter_gpu(self, on_demand_s: float, spot_s: float, cpu_fallback_s: float) -> None:
        usd = on_demand_s / 3600 * self.prices["gpu_g4dn_xlarge_on_demand"]
        usd += spot_s / 3600 * self.prices["gpu_g4dn_xlarge_spot"]
        self.add("encoding", usd, capacity=True)
        self.add("encoding", cpu_fallback_s / 3600 * self.prices["cpu_encode_fallback"])

    def meter_app(self, instance_seconds: float) -> None:
        self.add("app", instance_seconds / 3600 * self.prices["app_compute_on_demand"], capacity=True)

    def meter_captions(self, minutes: float) -> None:
        self.add("ml", minutes * self.prices["asr_captions"])

    def total(self) -> float:
        return sum(self.by_centre.values())


PRICED_KEYS = (
    "origin_shield_requests",
    "dynamodb_write_request",
    "dynamodb_read_request",
    "dynamodb_provisioned_wcu_hour",
    "sqs_request",
    "gpu_g4dn_xlarge_on_demand",
    "gpu_g4dn_xlarge_spot",
    "cpu_encode_fallback",
    "app_compute_on_demand",
    "asr_captions",
)

"""Running cost of what the modelled platform uses, priced from the FinOps catalogue (SPEC 9).

Usage is metered per tick (views delivered, edge misses, writes, instance-seconds, WCU-hours, uploads
gone live) and turned into catalogue quantities with the same conventions as FinOps' cost model, read
from the same places: MB -> GB from the catalogue's ``units``, SQS requests per buffered write, CDN
requests per view and caption minutes per upload from ``finops/usage.yaml``, days per month from there
too. So finance's estimate and this meter differ only where the sandbox's physics differ (load,
faults, capacity), never by a convention (``tests/test_finops_conventions.py`` holds them together).
CDN egress is bought as the cost model buys it at the scenario's monthly volume (``egress_item``: the
volume commit from its size, else tiered) and priced at that month's average price (tiers are
monthly). ``capacity`` is the part that pays for capacity held (GPU and app instances,
provisioned write units), which controllers trade against failures.
"""

from __future__ import annotations

from finops.catalogue import Catalogue
from finops.cost_model import egress_item
from finops.usage import UsageAssumptions
from stacks.model import CostCenter

CENTRES = tuple(c.value for c in CostCenter)
PER_10K = 1e4
PER_MILLION = 1e6
HOUR_S = 3600.0


class SpendMeter:
    """Dollars by cost centre since the start of the run, the capacity share, and catalogue quantities."""

    def __init__(self, catalogue: Catalogue, usage: UsageAssumptions, daily_views: float, avg_video_mb: float) -> None:
        self.catalogue = catalogue
        self.usage = usage
        self.avg_video_mb = avg_video_mb
        self.by_centre = dict.fromkeys(CENTRES, 0.0)
        self.quantities: dict[str, float] = {}
        self.capacity = 0.0
        monthly = max(self.gb_of(daily_views) * usage.days_per_month, 1.0)
        self.egress_item = egress_item(monthly, usage, catalogue.units)
        self.egress_per_gb = catalogue.cost(self.egress_item, monthly) / monthly
        self.prices = {key: catalogue.price(key).unit_price() for key in PRICED_KEYS}

    def gb_of(self, views: float) -> float:
        """GB delivered for ``views`` video starts, in the catalogue's units."""
        return self.catalogue.units.gb_from_mb(views * self.avg_video_mb)

    def add(self, centre: str, usd: float, capacity: bool = False) -> None:
        self.by_centre[centre] += usd
        if capacity:
            self.capacity += usd

    def charge(self, centre: str, item: str, quantity: float, capacity: bool = False) -> float:
        """Record ``quantity`` of a catalogue item (in its unit), add its price, return the quantity."""
        self.quantities[item] = self.quantities.get(item, 0.0) + quantity
        self.add(centre, quantity * self.prices[item], capacity)
        return quantity

    def meter_delivery(self, views: float, edge_misses: float) -> None:
        """Delivered video starts (egress) and starts that missed the edge (shield requests)."""
        gb = self.gb_of(views)
        self.quantities[self.egress_item] = self.quantities.get(self.egress_item, 0.0) + gb
        self.add("cdn", gb * self.egress_per_gb)
        requests = edge_misses * self.usage.drivers.cdn_requests_per_view
        self.charge("cdn", "origin_shield_requests", requests / PER_10K)

    def meter_writes(self, on_demand_writes: float, buffered_writes: float, reads: float) -> None:
        """On-demand table writes and reads, and the SQS requests of writes through the write buffer."""
        sqs = buffered_writes * self.usage.drivers.sqs_requests_per_buffered_write
        self.charge("data", "dynamodb_write_request", on_demand_writes / PER_MILLION)
        self.charge("data", "sqs_request", sqs / PER_MILLION)
        self.charge("data", "dynamodb_read_request", reads / PER_MILLION)

    def meter_provisioned(self, wcu_seconds: float) -> None:
        self.charge("data", "dynamodb_provisioned_wcu_hour", wcu_seconds / HOUR_S, capacity=True)

    def meter_gpu(self, on_demand_s: float, spot_s: float, cpu_fallback_s: float) -> None:
        self.charge("encoding", "gpu_g4dn_xlarge_on_demand", on_demand_s / HOUR_S, capacity=True)
        self.charge("encoding", "gpu_g4dn_xlarge_spot", spot_s / HOUR_S, capacity=True)
        self.charge("encoding", "cpu_encode_fallback", cpu_fallback_s / HOUR_S)

    def meter_app(self, instance_seconds: float) -> None:
        self.charge("app", "app_compute_on_demand", instance_seconds / HOUR_S, capacity=True)

    def meter_captions(self, uploads: float) -> None:
        """Captions for ``uploads`` that went live (minutes per upload from the usage assumptions)."""
        self.charge("ml", "asr_captions", uploads * self.usage.drivers.caption_minutes_per_upload)

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

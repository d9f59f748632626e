"""What a stack will cost per month, from its plan (the resource graph ``ops plan`` builds) and usage.

Infracost has no Pulumi support; this prices the planned resources instead. Pricing is per resource
*type* (a registry of rules, each declaring the catalogue items it uses), never per resource: each
rule reads the resource's own inputs (sizes, purchase options, billing mode, tags) and takes usage
from the platform model and the traffic model (the stack's jurisdiction's share of DAU, views,
uploads, table volumes), so a changed configuration changes the estimate. Types that cost nothing
are listed as free; chargeable types without a rule are reported as unpriced, never dropped.
``diff_estimates`` compares two configurations resource by resource, for pull requests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from finops.catalogue import Catalogue
from finops.cost_model import Drivers, egress_item
from finops.usage import UsageAssumptions
from stacks.model import COST_CENTERS, CostCenter, PlatformModel

if TYPE_CHECKING:  # the planner imports the Pulumi SDK (~2 s); pricing only reads its records
    from stacks.planning import PlannedResource

FREE_PREFIXES = (
    "pulumi:",
    "reelops:",
    "kubernetes:",
    "aws:iam/",
    "aws:ec2/vpc:",
    "aws:ec2/subnet:",
    "aws:ec2/routeTable",
    "aws:ec2/internetGateway:",
    "aws:ec2/securityGroup:",
    "aws:ec2/launchTemplate:",
    "aws:autoscaling/policy:",
    "aws:s3/bucketLifecycle",
    "aws:s3/bucketOwnership",
    "aws:s3/bucketPublicAccess",
    "aws:s3/bucketServerSide",
    "aws:s3/bucketVersioning",
    "aws:s3/bucketReplication",
    "aws:kms/alias:",
    "aws:acm/",
    "aws:cloudfront/cachePolicy",
    "aws:cloudfront/originAccessControl",
    "aws:costexplorer/",
    "aws:budgets/",
    "aws:sns/topicPolicy",
)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EstimateLine(Frozen):
    resource: str
    type: str
    region: str | None
    cost_center: CostCenter
    item: str
    quantity: float
    unit: str
    monthly_usd: float
    driver: str


class StackEstimate(Frozen):
    stack: str
    lines: tuple[EstimateLine, ...]
    monthly_usd_by_cost_center: dict[str, float]
    total_monthly_usd: float
    free: tuple[str, ...]
    unpriced: tuple[str, ...]


@dataclass(frozen=True)
class Context:
    """What rules may read: the stack, the project drivers, assumptions, prices."""

    model: PlatformModel
    drivers: Drivers
    usage: UsageAssumptions
    catalogue: Catalogue

    @property
    def hours(self) -> float:
        return self.usage.days_per_month * 24

    @property
    def share(self) -> float:
        """The stack's share of global traffic: its jurisdiction's regions (1 for the global stack)."""
        j = self.model.settings.jurisdiction
        if j is None:
            return 1.0
        return sum(r.traffic_share for r in self.model.regions.values() if r.jurisdiction == j)

    @property
    def dau(self) -> float:
        return self.drivers.traffic.dau


Usage = tuple[str, float, str]  # catalogue item, quantity per month, driver
Rule = Callable[["PlannedResource", "Context"], "list[Usage]"]
RULES: dict[str, Rule] = {}


def rule(type_token: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[type_token] = fn
        return fn

    return register


def number(inputs: dict[str, Any], *path: str, default: float = 0.0) -> float:
    node: Any = inputs
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return float(node) if isinstance(node, int | float) else default


def cost_center_of(resource: PlannedResource, default: CostCenter) -> CostCenter:
    tags = resource.inputs.get("tags")
    if isinstance(tags, list):
        tags = {t.get("key"): t.get("value") for t in tags if isinstance(t, dict)}
    value = tags.get("cost_center") if isinstance(tags, dict) else None
    return CostCenter(str(value)) if value in CostCenter._value2member_map_ else default


@rule("aws:autoscaling/group:Group")
def price_gpu_group(r: PlannedResource, ctx: Context) -> list[Usage]:
    """On-demand base all month; spot burst for the encode hours the pool's region share needs."""
    dist = r.inputs.get("mixedInstancesPolicy", {}).get("instancesDistribution", {})
    base = number(dist, "onDemandBaseCapacity")
    overrides = r.inputs.get("mixedInstancesPolicy", {}).get("launchTemplate", {}).get("overrides", [])
    stem = "gpu_" + str(overrides[0]["instanceType"] if overrides else "g4dn.xlarge").replace(".", "_")
    spot = f"{stem}_spot" if f"{stem}_spot" in ctx.catalogue.prices else f"{stem}_on_demand"
    region_share = ctx.model.regions[r.region].traffic_share / ctx.share if r.region else 1.0
    uploads = ctx.drivers.traffic.uploads_per_day_at(ctx.dau) * ctx.usage.days_per_month * ctx.share
    needed = uploads * region_share / ctx.drivers.videos_per_instance_hour / ctx.usage.drivers.gpu_busy_fraction
    burst = max(0.0, needed - base * ctx.hours)
    return [
        (f"{stem}_on_demand", base * ctx.hours, f"on-demand base {base:.0f} x {ctx.hours:.0f} h"),
        (spot, burst, f"encode hours for {region_share:.0%} of the jurisdiction's uploads above the base"),
    ]


@rule("aws:eks/nodeGroup:NodeGroup")
def price_node_group(r: PlannedResource, ctx: Context) -> list[Usage]:
    desired = number(r.inputs, "scalingConfig", "desiredSize", default=1.0)
    demand = ctx.dau * ctx.share * ctx.usage.drivers.app_instance_hours_per_dau
    key = "app_compute_reserved" if ctx.dau >= ctx.usage.purchase.reserved_compute_from_dau else "app_compute_on_demand"
    return [(key, max(desired * ctx.hours, demand), f"max(desired {desired:.0f} nodes all month, traffic demand)")]


@rule("aws:eks/cluster:Cluster")
def price_cluster(r: PlannedResource, ctx: Context) -> list[Usage]:
    return [("eks_cluster_hour", ctx.hours, "control plane all month")]


@rule("aws:dynamodb/table:Table")
def price_table(r: PlannedResource, ctx: Context) -> list[Usage]:
    spec = next((t for t in ctx.model.settings.tables if r.name.endswith(t.name)), None)
    if spec is None or r.inputs.get("billingMode") != "PAY_PER_REQUEST":
        return []
    scale = ctx.dau / ctx.usage.reference.dau * ctx.share * ctx.usage.days_per_month / 1e6
    return [
        ("dynamodb_write_request", spec.writes_per_day * scale, f"{spec.name} writes x jurisdiction share"),
        ("dynamodb_read_request", spec.reads_per_day * scale, f"{spec.name} reads x jurisdiction share"),
    ]


@rule("aws:s3/bucket:Bucket")
def price_bucket(r: PlannedResource, ctx: Context) -> list[Usage]:
    """The jurisdiction's stored GB split over bucket purposes; overflow replicas hold a full copy."""
    purposes = {b.purpose for b in ctx.model.settings.buckets} or {"uploads"}
    stored = ctx.dau * ctx.share * ctx.usage.drivers.storage_gb_per_dau / len(purposes)
    replica = r.region is not None and r.region == ctx.model.overflow_region
    why = "replica in the overflow region" if replica else "primary copy"
    return [
        (key, stored * share, f"{why}, {share:.0%} in this tier")
        for key, share in ctx.usage.drivers.storage_tier_shares.items()
        if share > 0
    ]


@rule("aws:sqs/queue:Queue")
def price_queue(r: PlannedResource, ctx: Context) -> list[Usage]:
    if r.name.endswith("-dlq"):
        return []
    scale = ctx.dau / ctx.usage.reference.dau * ctx.share * ctx.usage.days_per_month / 1e6
    if r.name.endswith("write-buffer"):
        writes = sum(t.writes_per_day for t in ctx.model.settings.tables if t.priority != 1)
        return [
            (
                "sqs_request",
                writes * scale * ctx.usage.drivers.sqs_requests_per_buffered_write,
                "buffered writes x SQS requests per write",
            )
        ]
    if r.name.endswith("-encode"):
        uploads = ctx.drivers.traffic.uploads_per_day_at(ctx.dau) * ctx.share * ctx.usage.days_per_month
        per_upload = ctx.usage.drivers.sqs_requests_per_upload
        return [("sqs_request", uploads * per_upload / 1e6, "uploads x SQS requests per encode job")]
    return []


@rule("aws:cloudfront/distribution:Distribution")
def price_distribution(r: PlannedResource, ctx: Context) -> list[Usage]:
    t = ctx.drivers.traffic
    views = ctx.dau * t.views_per_dau * ctx.usage.days_per_month
    gb = ctx.catalogue.units.gb_from_mb(views * t.avg_video_mb)
    shield = views * ctx.usage.drivers.cdn_requests_per_view * (1 - ctx.drivers.cache_hit_ratio) / 10_000
    return [
        (egress_item(gb, ctx.usage, ctx.catalogue.units), gb, "views x MB per video"),
        ("origin_shield_requests", shield, "views x requests per view x miss ratio"),
    ]


@rule("aws:kms/key:Key")
def price_key(r: PlannedResource, ctx: Context) -> list[Usage]:
    return [("kms_key_month", 1.0, "one customer managed key")]


@rule("aws:ec2/vpcEndpoint:VpcEndpoint")
def price_endpoint(r: PlannedResource, ctx: Context) -> list[Usage]:
    if r.inputs.get("vpcEndpointType", "Gateway") == "Gateway":
        return []
    azs = len(r.inputs.get("subnetIds") or []) or 1
    return [("vpc_interface_endpoint_hour", azs * ctx.hours, f"interface endpoint in {azs} AZ(s)")]


@rule("aws:cloudwatch/metricAlarm:MetricAlarm")
def price_alarm(r: PlannedResource, ctx: Context) -> list[Usage]:
    return [("cloudwatch_alarm_month", 1.0, "one standard alarm")]


def estimate_stack(
    model: PlatformModel,
    resources: Sequence[PlannedResource],
    drivers: Drivers,
    usage: UsageAssumptions,
    catalogue: Catalogue,
) -> StackEstimate:
    """Monthly cost of the planned resources of one stack."""
    ctx = Context(model, drivers, usage, catalogue)
    lines: list[EstimateLine] = []
    free: set[str] = set()
    unpriced: set[str] = set()
    for r in resources:
        fn = RULES.get(r.type)
        if fn is None:
            (free if r.type.startswith(FREE_PREFIXES) else unpriced).add(r.type)
            continue
        lines.extend(price_line(r, item, qty, why, catalogue) for item, qty, why in fn(r, ctx) if qty > 0)
    by_center = dict.fromkeys(COST_CENTERS, 0.0)
    for line in lines:
        by_center[line.cost_center.value] += line.monthly_usd
    return StackEstimate(
        stack=model.stack,
        lines=tuple(lines),
        monthly_usd_by_cost_center=by_center,
        total_monthly_usd=sum(by_center.values()),
        free=tuple(sorted(free)),
        unpriced=tuple(sorted(unpriced)),
    )


def price_line(r: PlannedResource, item: str, quantity: float, driver: str, catalogue: Catalogue) -> EstimateLine:
    price = catalogue.price(item)
    return EstimateLine(
        resource=r.name,
        type=r.type,
        region=r.region,
        cost_center=cost_center_of(r, price.cost_center),
        item=item,
        quantity=quantity,
        unit=price.unit,
        monthly_usd=catalogue.cost(item, quantity, r.region),
        driver=driver,
    )


class ResourceDelta(Frozen):
    resource: str
    type: str
    before_usd: float
    after_usd: float
    delta_usd: float
    change: str  # added | removed | changed


class EstimateDiff(Frozen):
    before: str
    after: str
    before_usd: float
    after_usd: float
    delta_usd: float
    delta_by_cost_center: dict[str, float]
    resources: tuple[ResourceDelta, ...]


def diff_estimates(before: StackEstimate, after: StackEstimate) -> EstimateDiff:
    """What changes per resource (logical name without the stack prefix) and in total; unchanged ones are left out."""

    def per_resource(e: StackEstimate) -> dict[str, tuple[str, float]]:
        out: dict[str, tuple[str, float]] = {}
        for line in e.lines:
            name = line.resource.removeprefix(f"{e.stack}-")  # the same resource under another stack name
            out[name] = (line.type, out.get(name, (line.type, 0.0))[1] + line.monthly_usd)
        return out

    a, b = per_resource(before), per_resource(after)
    deltas = []
    for name in sorted(set(a) | set(b)):
        x, y = a.get(name, ("", 0.0))[1], b.get(name, ("", 0.0))[1]
        if abs(y - x) < 0.005:
            continue
        change = "added" if name not in a else "removed" if name not in b else "changed"
        deltas.append(
            ResourceDelta(
                resource=name,
                type=(b.get(name) or a[name])[0],
                before_usd=x,
                after_usd=y,
                delta_usd=y - x,
                change=change,
            )
        )
    centers = set(before.monthly_usd_by_cost_center) | set(after.monthly_usd_by_cost_center)
    return EstimateDiff(
        before=before.stack,
        after=after.stack,
        before_usd=before.total_monthly_usd,
        after_usd=after.total_monthly_usd,
        delta_usd=after.total_monthly_usd - before.total_monthly_usd,
        delta_by_cost_center={
            c: after.monthly_usd_by_cost_center.get(c, 0.0) - before.monthly_usd_by_cost_center.get(c, 0.0)
            for c in sorted(centers)
        },
        resources=tuple(sorted(deltas, key=lambda d: -abs(d.delta_usd))),
    )

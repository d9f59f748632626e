"""prod-global as planned: CDN origin groups through StackReference, DNS across two CDNs, budgets."""

from __future__ import annotations

from stacks.loading import load_platform
from stacks.planning import PlannedResource, PlanResult
from tests.planned_stacks import planned


def plan() -> PlanResult:
    return planned("prod-global")


def one(type_token: str) -> PlannedResource:
    found = [r for r in planned("prod-global").resources if r.type == type_token]
    assert len(found) == 1, type_token
    return found[0]


def test_jurisdiction_stacks_are_read_through_stack_references() -> None:
    refs = [r for r in planned("prod-global").resources if r.type == "pulumi:pulumi:StackReference"]
    assert sorted(r.name.rsplit("/", 1)[-1] for r in refs) == ["prod-apac", "prod-eu", "prod-us"]


def test_one_origin_group_per_jurisdiction_failing_over_on_the_configured_codes() -> None:
    cdn = load_platform("prod-global").settings.cdn
    assert cdn is not None
    dist = one("aws:cloudfront/distribution:Distribution").inputs
    groups = {g["originId"]: g for g in dist["originGroups"]}
    assert set(groups) == {"us-group", "eu-group", "apac-group"}
    for group in groups.values():
        assert group["failoverCriteria"]["statusCodes"] == list(cdn.failover_status_codes)
    assert {b["pathPattern"]: b["targetOriginId"] for b in dist["orderedCacheBehaviors"]} == {
        "/us/*": "us-group",
        "/eu/*": "eu-group",
        "/apac/*": "apac-group",
    }
    assert dist["httpVersion"] == "http2and3"


def test_origins_sit_in_their_jurisdiction_with_origin_shield() -> None:
    platforms = {j: load_platform(f"prod-{j}") for j in ("us", "eu", "apac")}
    dist = one("aws:cloudfront/distribution:Distribution").inputs
    origins = {o["originId"]: o for o in dist["origins"]}
    assert len(origins) == 6
    for j, model in platforms.items():
        for role, region in (("primary", model.home_region), ("secondary", model.overflow_region)):
            origin = origins[f"{j}-{role}"]
            assert origin["domainName"] == f"reelops-prod-{j}-renditions-{region}.s3.{region}.amazonaws.com"
            assert origin["originShield"] == {"enabled": True, "originShieldRegion": region}


def test_cache_policy_takes_the_ttl_from_config() -> None:
    cdn = load_platform("prod-global").settings.cdn
    assert cdn is not None
    policy = one("aws:cloudfront/cachePolicy:CachePolicy").inputs
    assert policy["defaultTtl"] == cdn.default_ttl_s
    assert policy["maxTtl"] >= cdn.incident_ttl_s


def test_dns_weights_both_cdns_behind_health_checks() -> None:
    cdn = load_platform("prod-global").settings.cdn
    assert cdn is not None
    checks = {r.name: r for r in planned("prod-global").resources if r.type == "aws:route53/healthCheck:HealthCheck"}
    records = [
        r.inputs
        for r in planned("prod-global").resources
        if r.type == "aws:route53/record:Record" and r.inputs.get("setIdentifier")
    ]
    weights = {r["setIdentifier"]: r["weightedRoutingPolicies"][0]["weight"] for r in records}
    assert weights == {"primary": cdn.primary_weight, "secondary": cdn.secondary_weight}
    assert all(r["name"] == cdn.domain and r["healthCheckId"] for r in records)
    fqdns = {c.inputs["fqdn"] for c in checks.values()}
    assert cdn.secondary.hostname in fqdns and any(f.endswith(".cloudfront.net") for f in fqdns)


def test_daily_budget_notifies_at_the_three_thresholds_and_exports_the_breaker_topic() -> None:
    budgets = load_platform("prod-global").settings.budgets
    assert budgets is not None
    budget = one("aws:budgets/budget:Budget").inputs
    assert budget["timeUnit"] == "DAILY" and budget["budgetType"] == "COST"
    thresholds = {n["threshold"]: n["subscriberSnsTopicArns"][0] for n in budget["notifications"]}
    assert sorted(thresholds) == [budgets.notify_usd, budgets.page_usd, budgets.breaker_usd]
    breaker = planned("prod-global").outputs["budget_breaker_topic_arn"]
    assert thresholds[budgets.breaker_usd] == breaker and breaker.endswith("-budget-breaker")
    assert len(set(thresholds.values())) == 3


def test_anomaly_detection_and_cost_allocation_tags() -> None:
    budgets = load_platform("prod-global").settings.budgets
    assert budgets is not None
    subscription = one("aws:costexplorer/anomalySubscription:AnomalySubscription").inputs
    assert subscription["frequency"] == "IMMEDIATE"
    dimension = subscription["thresholdExpression"]["dimension"]
    assert dimension["key"] == "ANOMALY_TOTAL_IMPACT_PERCENTAGE"
    assert float(dimension["values"][0]) == budgets.anomaly_impact_percent
    assert subscription["subscribers"][0]["type"] == "SNS"
    tags = {r.inputs["tagKey"] for r in planned("prod-global").resources if r.type.endswith("CostAllocationTag")}
    assert tags == {"cost_center", "jurisdiction"}


def test_stack_reference_mocks_answer_what_the_jurisdiction_stacks_really_export() -> None:
    from stacks.naming import jurisdiction_exports

    for stack in ("prod-us", "prod-eu", "prod-apac"):
        exported = planned(stack).outputs
        promised = jurisdiction_exports(load_platform(stack))
        assert promised and {k: exported[k] for k in promised} == promised

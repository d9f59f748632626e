"""AppServices as planned: EKS in the home region, node group and Deployment/Service/HPA per service."""

from __future__ import annotations

import pytest

from stacks.loading import load_platform
from stacks.planning import PlannedResource
from tests.planned_stacks import planned


def of_type(type_token: str) -> list[PlannedResource]:
    return [r for r in planned("prod-apac").resources if r.type == type_token]


def test_cluster_and_node_group_follow_the_model_in_the_home_region() -> None:
    model = load_platform("prod-apac")
    assert model.settings.cluster is not None
    (cluster,) = of_type("aws:eks/cluster:Cluster")
    (nodes,) = of_type("aws:eks/nodeGroup:NodeGroup")
    assert cluster.region == nodes.region == model.home_region
    assert cluster.inputs["version"] == model.settings.cluster.version
    scaling = nodes.inputs["scalingConfig"]
    spec = model.settings.cluster
    assert (scaling["minSize"], scaling["desiredSize"], scaling["maxSize"]) == (
        spec.node_min,
        spec.node_desired,
        spec.node_max,
    )
    assert len(nodes.inputs["subnetIds"]) == len(model.regions[model.home_region or ""].azs)


def test_every_service_gets_a_deployment_service_and_hpa_in_the_cluster_region() -> None:
    model = load_platform("prod-apac")
    deployments = {r.inputs["metadata"]["name"]: r for r in of_type("kubernetes:apps/v1:Deployment")}
    services = {r.inputs["metadata"]["name"] for r in of_type("kubernetes:core/v1:Service")}
    hpas = {
        r.inputs["metadata"]["name"]: r.inputs["spec"]
        for r in of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    }
    names = {s.name for s in model.settings.services}
    assert set(deployments) == services == set(hpas) == names
    for spec in model.settings.services:
        assert deployments[spec.name].region == model.home_region
        container = deployments[spec.name].inputs["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == spec.image
        hpa = hpas[spec.name]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (spec.min_replicas, spec.max_replicas)
        assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == spec.target_cpu_percent
        assert hpa["scaleTargetRef"]["name"] == spec.name


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (("m7g.large", "m6g.large"), "AL2023_ARM_64_STANDARD"),
        (("t4g.medium",), "AL2023_ARM_64_STANDARD"),
        (("m7i.large",), "AL2023_x86_64_STANDARD"),
        (("m7g.large", "m7i.large"), "AL2023_x86_64_STANDARD"),
    ],
)
def test_node_image_matches_the_instance_architecture(types: tuple[str, ...], expected: str) -> None:
    from components.app_services import ami_type  # program modules are imported only under mocks

    assert ami_type(types) == expected

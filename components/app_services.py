"""AppServices: the API services on EKS in a jurisdiction's home region.

EKS rather than ECS: the controllers scale Deployments through the Kubernetes scale subresource and
elect a leader with Leases, so the services run where that API exists. One cluster per home region
with a managed on-demand node group spread over every subnet (AZ), and per service a Deployment,
a ClusterIP Service and a CPU-based HorizontalPodAutoscaler sized from the model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.tagging import assume_role_policy, cost_tags
from stacks.model import AppServiceSpec, ClusterSpec

COST_CENTER = "app"
NAMESPACE = "reelops"
SERVICE_PORT = 80
MANAGED = "arn:aws:iam::aws:policy/"
CLUSTER_POLICIES = ("AmazonEKSClusterPolicy",)
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")
GRAVITON = re.compile(r"^[a-z]+\d+g[a-z]*\.")


@dataclass(frozen=True)
class AppServicesArgs:
    region: str
    cluster: ClusterSpec
    services: tuple[AppServiceSpec, ...]
    subnet_ids: Sequence[pulumi.Input[str]]


def ami_type(instance_types: Sequence[str]) -> str:
    """Graviton families (m7g, t4g, ...) need the ARM node image."""
    arm = all(GRAVITON.match(t) for t in instance_types)
    return "AL2023_ARM_64_STANDARD" if arm else "AL2023_x86_64_STANDARD"


def kubeconfig(name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with ``aws eks get-token`` for this cluster and region."""
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", name, "--region", region],
        }
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": name,
            "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "users": [{"name": name, "user": user}],
        }
    )


class AppServices(pulumi.ComponentResource):
    """EKS cluster, managed node group, and Deployment/Service/HPA per API service."""

    cluster_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]

    def __init__(self, name: str, args: AppServicesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("reelops:app:AppServices", name, None, opts)
        self.name, self.args = name, args
        self.child = pulumi.ResourceOptions(parent=self)
        self.tags = cost_tags(COST_CENTER)
        cluster = self.make_cluster()
        nodes = self.make_node_group(cluster)
        self.cluster_name = cluster.name
        self.kubeconfig = pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority).apply(
            lambda a: kubeconfig(a[0], a[1], a[2]["data"], args.region)
        )
        provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.kubeconfig, opts=pulumi.ResourceOptions(parent=self, depends_on=[nodes])
        )
        kube = pulumi.ResourceOptions(parent=self, provider=provider)
        namespace = k8s.core.v1.Namespace(f"{name}-ns", metadata={"name": NAMESPACE}, opts=kube)
        for service in args.services:
            self.make_service(service, namespace, kube)
        self.register_outputs({"cluster_name": cluster.name, "kubeconfig": pulumi.Output.secret(self.kubeconfig)})

    def make_role(self, suffix: str, service: str, policies: Sequence[str]) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{self.name}-{suffix}-role",
            assume_role_policy=assume_role_policy(service),
            tags=self.tags,
            opts=self.child,
        )
        for policy in policies:
            aws.iam.RolePolicyAttachment(
                f"{self.name}-{suffix}-{policy}", role=role.name, policy_arn=f"{MANAGED}{policy}", opts=self.child
            )
        return role

    def make_cluster(self) -> aws.eks.Cluster:
        role = self.make_role("cluster", "eks.amazonaws.com", CLUSTER_POLICIES)
        return aws.eks.Cluster(
            f"{self.name}-cluster",
            role_arn=role.arn,
            version=self.args.cluster.version,
            vpc_config={
                "subnet_ids": list(self.args.subnet_ids),
                "endpoint_private_access": True,
                "endpoint_public_access": True,
            },
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True},
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            tags=self.tags,
            opts=self.child,
        )

    def make_node_group(self, cluster: aws.eks.Cluster) -> aws.eks.NodeGroup:
        spec = self.args.cluster
        role = self.make_role("node", "ec2.amazonaws.com", NODE_POLICIES)
        return aws.eks.NodeGroup(
            f"{self.name}-nodes",
            cluster_name=cluster.name,
            node_role_arn=role.arn,
            subnet_ids=list(self.args.subnet_ids),
            instance_types=list(spec.node_instance_types),
            ami_type=ami_type(spec.node_instance_types),
            capacity_type="ON_DEMAND",
            scaling_config={"desired_size": spec.node_desired, "min_size": spec.node_min, "max_size": spec.node_max},
            tags=self.tags,
            opts=pulumi.ResourceOptions.merge(
                self.child, pulumi.ResourceOptions(ignore_changes=["scalingConfig.desiredSize"])
            ),
        )

    def make_service(
        self, spec: AppServiceSpec, namespace: k8s.core.v1.Namespace, opts: pulumi.ResourceOptions
    ) -> None:
        labels = {"app": spec.name, "cost_center": COST_CENTER, "priority": f"p{spec.priority}"}
        meta = {"name": spec.name, "namespace": namespace.metadata["name"], "labels": labels}
        resources = {"cpu": f"{spec.cpu_millicores}m", "memory": f"{spec.memory_mib}Mi"}
        container = {
            "name": spec.name,
            "image": spec.image,
            "ports": [{"containerPort": spec.port}],
            "resources": {"requests": resources, "limits": resources},
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": spec.port}},
        }
        deployment = k8s.apps.v1.Deployment(
            f"{self.name}-{spec.name}",
            metadata=meta,
            spec={
                "replicas": spec.min_replicas,
                "selector": {"matchLabels": {"app": spec.name}},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
            },
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=["spec.replicas"])),
        )
        k8s.core.v1.Service(
            f"{self.name}-{spec.name}-svc",
            metadata=meta,
            spec={"selector": {"app": spec.name}, "ports": [{"port": SERVICE_PORT, "targetPort": spec.port}]},
            opts=opts,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{self.name}-{spec.name}-hpa",
            metadata=meta,
            spec={
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment.metadata["name"]},
                "minReplicas": spec.min_replicas,
                "maxReplicas": spec.max_replicas,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": spec.target_cpu_percent},
                        },
                    }
                ],
            },
            opts=opts,
        )

"""What a fresh cluster has before anyone applies anything (kubeadm's phases, in objects):
the system namespaces, the default RBAC roles and bindings, the `kubernetes` Service and its endpoints, and
cluster DNS (CoreDNS + kube-dns)."""
from __future__ import annotations

from kubenet.api.errors import APIError
from kubenet.client.base import Client
from kubenet.cluster import bootstrap_policy
from kubenet.cluster.config import ClusterConfig

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3"


async def _ensure(client: Client, resource: str, obj: dict, namespace: str | None = None) -> None:
    try:
        await client.create(resource, obj, namespace)
    except APIError as exc:
        if exc.code != 409:
            raise


def kubernetes_service(config: ClusterConfig) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"type": "ClusterIP", "clusterIP": config.kubernetes_service_ip, "sessionAffinity": "None",
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": config.api_port}]}}


def kubernetes_endpoints(config: ClusterConfig) -> tuple[dict, dict]:
    labels = {"endpointslice.kubernetes.io/skip-mirror": "true"}
    endpoints = {"apiVersion": "v1", "kind": "Endpoints",
                 "metadata": {"name": "kubernetes", "namespace": "default", "labels": labels},
                 "subsets": [{"addresses": [{"ip": config.host_ip}],
                              "ports": [{"name": "https", "port": config.api_port, "protocol": "TCP"}]}]}
    endpoint_slice = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                      "metadata": {"name": "kubernetes", "namespace": "default",
                                   "labels": {"kubernetes.io/service-name": "kubernetes"}},
                      "addressType": "IPv4",
                      "endpoints": [{"addresses": [config.host_ip], "conditions": {"ready": True}}],
                      "ports": [{"name": "https", "port": config.api_port, "protocol": "TCP"}]}
    return endpoints, endpoint_slice


def kube_dns_service(config: ClusterConfig) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system",
                         "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                    "kubernetes.io/name": "CoreDNS"},
                         "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
            "spec": {"selector": {"k8s-app": "kube-dns"}, "clusterIP": config.dns_ip,
                     "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                               {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                               {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]}}


def coredns_deployment(replicas: int = 1) -> dict:
    labels = {"k8s-app": "kube-dns"}
    container = {
        "name": "coredns", "image": COREDNS_IMAGE, "imagePullPolicy": "IfNotPresent",
        "args": ["-conf", "/etc/coredns/Corefile"],
        "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                  {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                  {"name": "metrics", "containerPort": 9153, "protocol": "TCP"}],
        "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"}, "periodSeconds": 1,
                           "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "livenessProbe": {"httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
                          "initialDelaySeconds": 60, "timeoutSeconds": 5, "successThreshold": 1,
                          "failureThreshold": 5},
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [container], "dnsPolicy": "Default",
                                           "priorityClassName": "system-cluster-critical",
                                           "tolerations": [
                                               {"key": "CriticalAddonsOnly", "operator": "Exists"},
                                               {"key": "node-role.kubernetes.io/control-plane",
                                                "effect": "NoSchedule"}]}}}}


async def bootstrap(client: Client, config: ClusterConfig, with_dns: bool = True) -> None:
    for ns in SYSTEM_NAMESPACES:
        await _ensure(client, "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    for role in bootstrap_policy.cluster_roles():
        await _ensure(client, "clusterroles.rbac.authorization.k8s.io", role)
    for binding in bootstrap_policy.cluster_role_bindings():
        await _ensure(client, "clusterrolebindings.rbac.authorization.k8s.io", binding)
    await _ensure(client, "services", kubernetes_service(config), "default")
    endpoints, endpoint_slice = kubernetes_endpoints(config)
    await _ensure(client, "endpoints", endpoints, "default")
    await _ensure(client, "endpointslices.discovery.k8s.io", endpoint_slice, "default")
    if with_dns:
        await _ensure(client, "services", kube_dns_service(config), "kube-system")
        await _ensure(client, "deployments.apps", coredns_deployment(), "kube-system")

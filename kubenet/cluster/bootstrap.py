"""What a fresh cluster has before anyone applies anything (kubeadm's phases, in objects):
the system namespaces, the default RBAC roles and bindings, the `kubernetes` Service and its endpoints, and
the add-ons (kubenet/addons: CoreDNS + kube-dns), each with its RBAC first."""
from __future__ import annotations

from kubenet.addons import ADDONS
from kubenet.api.errors import APIError
from kubenet.client.base import Client
from kubenet.cluster import bootstrap_policy
from kubenet.cluster.config import ClusterConfig

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


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


async def bootstrap(client: Client, config: ClusterConfig, with_addons: bool = True) -> None:
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
    if not with_addons:
        return
    for addon in ADDONS:
        for resource, obj in (*addon.rbac(config), *addon.manifests(config)):
            await _ensure(client, resource, obj, obj["metadata"].get("namespace"))

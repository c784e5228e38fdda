"""Cluster add-ons: what kubeadm's addon phase installs (CoreDNS today), one module per add-on.

An add-on declares everything kubenet needs to know about it in one `Addon` value: its manifests (the objects
bootstrap creates in a fresh cluster), its RBAC (ServiceAccounts, ClusterRoles and bindings, created before
the manifests so its Pods can use them), the catalog images its Pods run (and what each image's binary runs
here), and a health check that `kubenet up` waits for and `kubenet status` reports. `cluster/bootstrap.py`,
`cluster/health.py`, `cluster/status.py` and `kubelet/images/catalog.py` iterate `ADDONS`; none of them names
an add-on.

How to add one (the Ingress controller and kube-proxy as a DaemonSet are next):
1. Write `kubenet/addons/<name>.py` defining `ADDON = Addon(...)`:
   - `manifests(facts)`: `(resource, object)` pairs in creation order, e.g. `("daemonsets.apps", {...})` for
     kube-proxy as kubeadm's `kube-proxy` DaemonSet in kube-system, or the ingress-nginx Deployment and Service;
   - `rbac(facts)`: the same for its ServiceAccount, ClusterRole and ClusterRoleBinding (kubeadm's
     `system:node-proxier` binding for kube-proxy; ingress-nginx's role to read Ingresses and Secrets);
   - `images`: an `AddonImage` per image its Pods name (registry.k8s.io/kube-proxy, ingress-nginx's
     controller), each mapping the image's binary to the kubenet program that implements it;
   - `health`: a `HealthCheck` named as `kubenet status` should print it, probing what a user would see
     (cluster DNS answers a query; an Ingress routes a request), or None.
2. Add the module to `ADDON_MODULES` below; the order is install order.
Modules here import only the stdlib, libraries (dnslib) and `kubenet.api`: the kubelet (through the catalog)
and the cluster both import them, so nothing of either may be imported here.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

ADDON_MODULES = ("kubenet.addons.coredns",)


class ClusterFacts(Protocol):
    """What an add-on may know of its cluster (a ClusterConfig has all of it)."""

    dns_ip: str
    cluster_domain: str
    node_names: list[str]


Manifest = tuple[str, dict]  # (resource as the client names it, e.g. "deployments.apps"; the object)
Program = Callable[[list[str], str], tuple[str, ...]]  # (argv with the image's binary first, image tag) → argv


@dataclass(frozen=True)
class AddonImage:
    """A catalog entry: an image's repository, its ENTRYPOINT, and what its binaries run here."""

    repository: str
    entrypoint: tuple[str, ...]
    default_tag: str
    programs: dict[str, Program] = field(default_factory=dict)


@dataclass(frozen=True)
class HealthCheck:
    name: str  # the key in `kubenet status` / status.json health, e.g. "cluster DNS"
    probe: Callable[[ClusterFacts], bool]  # blocking, from the cluster's host context; True when healthy


def _no_objects(facts: ClusterFacts) -> list[Manifest]:
    return []


@dataclass(frozen=True)
class Addon:
    name: str  # as the progress line says it: "Installing CoreDNS"
    manifests: Callable[[ClusterFacts], list[Manifest]]
    rbac: Callable[[ClusterFacts], list[Manifest]] = _no_objects
    images: tuple[AddonImage, ...] = ()
    health: HealthCheck | None = None


def _load() -> tuple[Addon, ...]:
    return tuple(importlib.import_module(module).ADDON for module in ADDON_MODULES)


ADDONS: tuple[Addon, ...] = _load()


def health_checks() -> list[HealthCheck]:
    return [a.health for a in ADDONS if a.health is not None]

"""Which storage serves each kind: the kinds table (`kubenet.api.kinds.STORED`) mapped to storage objects.

A kind not named here is a plain kind: the generic store with the default strategy.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kubenet.api.kinds import STORED, Kind, by_kind
from kubenet.apiserver.storage.event import EventsV1Storage
from kubenet.apiserver.storage.generic import GenericStore, Storage
from kubenet.apiserver.storage.namespace import NamespaceStrategy
from kubenet.apiserver.storage.networking import IngressStrategy, NetworkPolicyStrategy
from kubenet.apiserver.storage.node import NodeStrategy
from kubenet.apiserver.storage.pod import PodStorage
from kubenet.apiserver.storage.service import ServiceAllocations, ServiceStorage
from kubenet.apiserver.storage.serviceaccount import ServiceAccountStrategy
from kubenet.apiserver.storage.strategy import Strategy
from kubenet.apiserver.storage.workloads import ReplicationControllerStrategy, WorkloadStrategy
from kubenet.store import Store


@dataclass
class StorageContext:
    """What storages are built from: the store, the Service allocations, and the storages built so far."""
    store: Store
    services: ServiceAllocations
    built: dict[Kind, Storage] = field(default_factory=dict)


Factory = Callable[[Kind, StorageContext], Storage]


def _with(strategy: type[Strategy]) -> Factory:
    return lambda kind, ctx: GenericStore(kind, ctx.store, strategy(kind))


_CORE_EVENT = by_kind("v1", "Event")

STORAGES: dict[tuple[str, str], Factory] = {
    ("", "Namespace"): _with(NamespaceStrategy),
    ("", "Pod"): lambda kind, ctx: PodStorage(kind, ctx.store),
    ("", "Service"): lambda kind, ctx: ServiceStorage(kind, ctx.store, ctx.services),
    ("", "ServiceAccount"): _with(ServiceAccountStrategy),
    ("", "Node"): _with(NodeStrategy),
    ("", "ReplicationController"): _with(ReplicationControllerStrategy),
    ("events.k8s.io", "Event"): lambda kind, ctx: EventsV1Storage(kind, ctx.built[_CORE_EVENT]),
    ("apps", "Deployment"): _with(WorkloadStrategy),
    ("apps", "ReplicaSet"): _with(WorkloadStrategy),
    ("apps", "StatefulSet"): _with(WorkloadStrategy),
    ("apps", "DaemonSet"): _with(WorkloadStrategy),
    ("batch", "Job"): _with(WorkloadStrategy),
    ("batch", "CronJob"): _with(WorkloadStrategy),
    ("networking.k8s.io", "Ingress"): _with(IngressStrategy),
    ("networking.k8s.io", "NetworkPolicy"): _with(NetworkPolicyStrategy),
}


def build(store: Store, services: ServiceAllocations) -> dict[Kind, Storage]:
    """A storage for every stored kind, in the kinds table's order (core Events before the events.k8s.io view)."""
    ctx = StorageContext(store, services)
    for kind in STORED:
        ctx.built[kind] = STORAGES.get((kind.group, kind.kind), _with(Strategy))(kind, ctx)
    return ctx.built

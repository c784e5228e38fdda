"""Change tracking shared by every proxy backend (iptables, nftables, ipvs).

Event handlers feed whole Service / EndpointSlice objects in; `snapshot()` hands a backend the full
desired state plus the service ports whose Service or EndpointSlices changed since the previous snapshot,
which is what a partial sync needs (KEP-3453). A change that is undone before the next snapshot does not
count as a change, as with kube-proxy's change trackers.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any, NamedTuple

from kubenet.proxy.endpoints import Endpoint, endpoints_from_slices, service_name_of_slice
from kubenet.proxy.serviceport import ServicePortInfo, ServicePortName, service_ports_from_service

ServiceMap = dict[ServicePortName, ServicePortInfo]
EndpointsMap = dict[ServicePortName, list[Endpoint]]
EVENT_TYPES = ("ADDED", "MODIFIED", "DELETED")


class Snapshot(NamedTuple):
    """What a backend syncs from; unpacks as (services, endpoints, changed)."""

    services: ServiceMap
    endpoints: EndpointsMap
    changed: set[ServicePortName]


class UnknownEventType(ValueError):
    pass


def _check_event(event_type: str) -> None:
    if event_type not in EVENT_TYPES:
        raise UnknownEventType(f"unknown watch event type {event_type!r}")


def _nsname(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace') or 'default'}/{meta['name']}"


@dataclass
class _Tracked:
    """Per-Service view: what the last snapshot saw and what the events say now."""

    synced: Any
    current: Any


class _ChangeSet:
    """Values per "ns/name" with a record of which differ from what the last snapshot handed out."""

    def __init__(self, empty: Any) -> None:
        self._empty = empty
        self._items: dict[str, _Tracked] = {}
        self._pending: set[str] = set()

    def set(self, nsname: str, value: Any) -> bool:
        item = self._items.get(nsname)
        if item is None:
            item = self._items[nsname] = _Tracked(synced=self._empty, current=self._empty)
        item.current = value
        if item.current == item.synced:
            self._pending.discard(nsname)
            return False
        self._pending.add(nsname)
        return True

    def pending(self) -> set[str]:
        return set(self._pending)

    def old_and_new(self, nsname: str) -> tuple[Any, Any]:
        item = self._items.get(nsname)
        return (item.synced, item.current) if item else (self._empty, self._empty)

    def currents(self) -> list[Any]:
        return [item.current for item in self._items.values()]

    def mark_synced(self) -> None:
        for nsname in self._pending:
            item = self._items[nsname]
            item.synced = item.current
            if item.current == self._empty:
                del self._items[nsname]  # forget Services that are gone for good
        self._pending.clear()


class ServiceChangeTracker:
    def __init__(self, ip_family: int = 4) -> None:
        self.ip_family = ip_family
        self._ports = _ChangeSet(empty={})

    def on_service(self, event_type: str, svc: dict[str, Any]) -> bool:
        """Record a watch event; True when the proxied view of the Service changed."""
        _check_event(event_type)
        ports = {} if event_type == "DELETED" else service_ports_from_service(svc, self.ip_family)
        return self._ports.set(_nsname(svc), ports)

    def pending_changes(self) -> set[str]:
        """"ns/name" of Services whose ports changed since the last snapshot."""
        return self._ports.pending()


class EndpointsChangeTracker:
    def __init__(self, node_name: str, ip_family: int = 4) -> None:
        self.node_name = node_name
        self.ip_family = ip_family
        # slice "ns/name" -> (service "ns/name", slice object); a slice's Service is fixed by its label.
        self._slices: dict[str, tuple[str, dict[str, Any]]] = {}
        self._by_service: dict[str, dict[str, dict[str, Any]]] = {}
        self._endpoints = _ChangeSet(empty={})

    def on_endpoint_slice(self, event_type: str, endpoint_slice: dict[str, Any]) -> bool:
        """Record a watch event; True when the Service's endpoints changed."""
        _check_event(event_type)
        slice_key = _nsname(endpoint_slice)
        touched: set[str] = set()
        previous = self._slices.pop(slice_key, None)
        if previous is not None:
            self._by_service[previous[0]].pop(slice_key, None)
            touched.add(previous[0])
        service = service_name_of_slice(endpoint_slice)
        if event_type != "DELETED" and service is not None:
            # Keep a private copy: the caller's cache object may be mutated later.
            kept = copy.deepcopy(endpoint_slice)
            self._slices[slice_key] = (service, kept)
            self._by_service.setdefault(service, {})[slice_key] = kept
            touched.add(service)
        changed = False
        for nsname in touched:
            slices = self._by_service.get(nsname) or {}
            if not slices:
                self._by_service.pop(nsname, None)
            endpoints = endpoints_from_slices(slices.values(), self.node_name, self.ip_family)
            changed = self._endpoints.set(nsname, endpoints) or changed
        return changed

    def pending_changes(self) -> set[str]:
        return self._endpoints.pending()


class ProxyState:
    """One node's view of Services and endpoints for one IP family; thread-safe, so watch handlers on the
    event loop and a sync running in a worker thread can share it."""

    def __init__(self, node_name: str, ip_family: int = 4) -> None:
        self.services = ServiceChangeTracker(ip_family)
        self.endpoints = EndpointsChangeTracker(node_name, ip_family)
        self._lock = threading.Lock()

    def on_service(self, event_type: str, svc: dict[str, Any]) -> bool:
        with self._lock:
            return self.services.on_service(event_type, svc)

    def on_endpoint_slice(self, event_type: str, endpoint_slice: dict[str, Any]) -> bool:
        with self._lock:
            return self.endpoints.on_endpoint_slice(event_type, endpoint_slice)

    def has_pending_changes(self) -> bool:
        with self._lock:
            return bool(self.services.pending_changes() or self.endpoints.pending_changes())

    def snapshot(self, reset_changes: bool = True) -> Snapshot:
        """Full current state plus every port (old or new) of each Service that changed. With
        reset_changes=False the pending changes stay pending (for rendering without syncing)."""
        with self._lock:
            svc_sets, ep_sets = self.services._ports, self.endpoints._endpoints
            services: ServiceMap = {}
            for ports in svc_sets.currents():
                services.update(ports)
            endpoints: EndpointsMap = {}
            for by_port in ep_sets.currents():
                endpoints.update({name: list(eps) for name, eps in by_port.items()})
            changed: set[ServicePortName] = set()
            for change_set in (svc_sets, ep_sets):
                for nsname in change_set.pending():
                    # Ports of a changed Service come from both trackers, old and new, so a port that
                    # vanished is also reported (its chains must go).
                    for other in (svc_sets, ep_sets):
                        old, new = other.old_and_new(nsname)
                        changed.update(old)
                        changed.update(new)
            if reset_changes:
                svc_sets.mark_synced()
                ep_sets.mark_synced()
            return Snapshot(services, endpoints, changed)


def snapshot(state: ProxyState, reset_changes: bool = True) -> Snapshot:
    """Module-level spelling of ProxyState.snapshot, for backends that take the state as an argument."""
    return state.snapshot(reset_changes)

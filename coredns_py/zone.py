"""ClusterZone: the in-memory state behind `cluster.local`, fed by Service/EndpointSlice/Namespace events.

The zone keeps parsed value objects (coredns_py.model) and answers the questions the record builder asks
(records.py): does this namespace exist, what is this service, which endpoints are ready, which names does
this IP have. Every change that alters what DNS would answer bumps the SOA serial and tells the listeners
(the server's packed-response cache), so a cached answer is never served after the data behind it moved.
"""
from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from coredns_py.model import EndpointSlice, PortSpec, Service, dashed_ip
from kubenet.clock import REAL_CLOCK, Clock

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


@dataclass(frozen=True)
class ReadyEndpoint:
    """One address of a ready endpoint, as DNS publishes it."""

    address: str
    label: str  # the endpoint's `hostname` if it has one, else its dashed IP (spec 2.4.1, 2.4.2)
    ports: tuple[PortSpec, ...]  # the EndpointSlice's ports: SRV for headless services uses these


class ClusterZone:
    """Authoritative data for one cluster domain and the reverse names of the cluster's IP ranges."""

    def __init__(
        self,
        domain: str = "cluster.local",
        service_cidrs: Iterable[str] = ("10.96.0.0/12",),
        pod_cidrs: Iterable[str] = ("10.244.0.0/16",),
        clock: Clock = REAL_CLOCK,
    ) -> None:
        self.domain = domain.strip(".").lower()
        self.origin = self.domain + "."
        self.cluster_networks = [ipaddress.ip_network(c, strict=False) for c in (*service_cidrs, *pod_cidrs)]
        self.clock = clock
        self.serial = int(clock.now())
        self._synced = False
        self._services: dict[tuple[str, str], Service] = {}
        self._slices: dict[tuple[str, str], EndpointSlice] = {}
        self._slices_by_service: dict[tuple[str, str], set[str]] = {}
        self._namespaces: set[str] = set()
        self._services_per_namespace: Counter[str] = Counter()
        self._ready: dict[tuple[str, str], tuple[ReadyEndpoint, ...]] = {}  # per-service view, built lazily
        self._ptr: dict[str, list[str]] | None = None  # ip -> owner names, rebuilt lazily after a change
        self._listeners: list[Callable[[], None]] = []

    # ---- events (informer handlers call these with the watch event type and the object) ----

    def on_service(self, event_type: str, obj: dict[str, Any]) -> None:
        service = Service.from_object(obj)
        key = (service.namespace, service.name)
        known = key in self._services
        if event_type == DELETED:
            changed = known
            if known:
                del self._services[key]
                self._services_per_namespace[service.namespace] -= 1
        else:
            changed = self._services.get(key) != service
            self._services[key] = service
            if not known:
                self._services_per_namespace[service.namespace] += 1
        if changed:
            self._ready.pop(key, None)  # publishNotReadyAddresses may have flipped
            self._changed()

    def on_endpoint_slice(self, event_type: str, obj: dict[str, Any]) -> None:
        endpoint_slice = EndpointSlice.from_object(obj)
        key = (endpoint_slice.namespace, endpoint_slice.name)
        old = self._slices.pop(key, None)
        if old is not None and old.service_name:
            self._slices_by_service.get((old.namespace, old.service_name), set()).discard(old.name)
            self._ready.pop((old.namespace, old.service_name), None)
        if event_type != DELETED:
            self._slices[key] = endpoint_slice
            if endpoint_slice.service_name:
                service_key = (endpoint_slice.namespace, endpoint_slice.service_name)
                self._slices_by_service.setdefault(service_key, set()).add(endpoint_slice.name)
                self._ready.pop(service_key, None)
        if old != (None if event_type == DELETED else endpoint_slice):
            self._changed()

    def on_namespace(self, event_type: str, obj: dict[str, Any]) -> None:
        name = (obj.get("metadata") or {}).get("name", "")
        if event_type == DELETED:
            if name in self._namespaces:
                self._namespaces.discard(name)
                self._changed()
        elif name not in self._namespaces:
            self._namespaces.add(name)
            self._changed()

    def mark_synced(self) -> None:
        """All watch caches have listed once: negative answers become authoritative (no more SERVFAIL)."""
        if not self._synced:
            self._synced = True
            self._changed()

    @property
    def synced(self) -> bool:
        return self._synced

    def add_listener(self, callback: Callable[[], None]) -> None:
        """`callback()` runs after every change that could alter an answer."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        # The SOA serial is the time of the last change (dns.md); never let it go backwards.
        self.serial = max(self.serial, int(self.clock.now()))
        self._ptr = None
        for callback in self._listeners:
            callback()

    # ---- reads (records.py) ----

    def namespace_exists(self, namespace: str) -> bool:
        # A namespace we have services in exists even if the namespace watch has not delivered it yet.
        return namespace in self._namespaces or self._services_per_namespace[namespace] > 0

    def service(self, namespace: str, name: str) -> Service | None:
        return self._services.get((namespace, name))

    def services(self) -> Iterable[Service]:
        return self._services.values()

    def ready_endpoints(self, namespace: str, name: str) -> tuple[ReadyEndpoint, ...]:
        """Addresses DNS may publish for a service: ready and not terminating, or all of them when the service
        sets publishNotReadyAddresses (spec 2.4.1 'ready endpoints'). Duplicates across slices collapse."""
        key = (namespace, name)
        cached = self._ready.get(key)
        if cached is not None:
            return cached
        service = self._services.get(key)
        publish_all = service is not None and service.publish_not_ready
        seen: set[tuple[str, str]] = set()
        ready: list[ReadyEndpoint] = []
        for slice_name in sorted(self._slices_by_service.get(key, ())):
            endpoint_slice = self._slices[(namespace, slice_name)]
            for endpoint in endpoint_slice.endpoints:
                if not publish_all and (not endpoint.ready or endpoint.terminating):
                    continue
                for address in endpoint.addresses:
                    label = (endpoint.hostname or dashed_ip(address)).lower()
                    if (address, label) in seen:
                        continue
                    seen.add((address, label))
                    ready.append(ReadyEndpoint(address, label, endpoint_slice.ports))
        result = tuple(ready)
        self._ready[key] = result
        return result

    def service_fqdn(self, service: Service) -> str:
        return f"{service.name}.{service.namespace}.svc.{self.origin}"

    def names_for_ip(self, address: str) -> list[str]:
        """PTR targets for an IP: the service name for a cluster IP (checked first), else the names of
        the ready endpoints that have this address (spec 2.5.5 / 2.4.3)."""
        if self._ptr is None:
            self._ptr = self._build_ptr()
        return self._ptr.get(address, [])

    def _build_ptr(self) -> dict[str, list[str]]:
        by_service_ip: dict[str, list[str]] = {}
        by_endpoint_ip: dict[str, list[str]] = {}
        for service in self._services.values():
            fqdn = self.service_fqdn(service)
            for ip in service.cluster_ips:
                by_service_ip.setdefault(str(ipaddress.ip_address(ip)), []).append(fqdn)
            if service.external_name is not None:
                continue
            for endpoint in self.ready_endpoints(service.namespace, service.name):
                name = f"{endpoint.label}.{fqdn}"
                by_endpoint_ip.setdefault(str(ipaddress.ip_address(endpoint.address)), []).append(name)
        table = {ip: sorted(set(names)) for ip, names in by_endpoint_ip.items()}
        table.update({ip: sorted(set(names)) for ip, names in by_service_ip.items()})
        return table

    def in_cluster_networks(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(ip in network for network in self.cluster_networks)

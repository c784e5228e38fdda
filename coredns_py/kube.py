"""Feeding the ClusterZone from the API server (list+watch), or from a saved list of objects.

ZoneFeeder wires one informer per resource the kubernetes plugin reads (services, endpointslices,
namespaces) to the zone's event methods and marks the zone synced once every informer has listed, as
CoreDNS's kubernetes plugin does before it trusts a negative answer.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

from coredns_py.zone import ADDED, DELETED, MODIFIED, ClusterZone

log = logging.getLogger(__name__)

# (resource as the client names it, the ClusterZone method that takes its events)
WATCHED_RESOURCES = (
    ("services", "on_service"),
    ("endpointslices.discovery.k8s.io", "on_endpoint_slice"),
    ("namespaces", "on_namespace"),
)
KIND_METHODS = {"Service": "on_service", "EndpointSlice": "on_endpoint_slice", "Namespace": "on_namespace"}


class InformerLike(Protocol):
    """The part of kubenet.client.informer.Informer the feeder uses (docs/internals.md)."""

    def add_handlers(self, on_add=None, on_update=None, on_delete=None) -> None: ...

    def has_synced(self) -> bool: ...

    async def wait_synced(self) -> None: ...

    async def run(self) -> None: ...


InformerFactory = Callable[[Any, str], InformerLike]


def _default_informer(client: Any, resource: str) -> InformerLike:
    from kubenet.client.informer import Informer  # imported here: the --objects mode needs none of kubenet

    return Informer(client, resource)


class ZoneFeeder:
    def __init__(self, client: Any, zone: ClusterZone, informer_factory: InformerFactory = _default_informer) -> None:
        self.zone = zone
        self.informers: list[InformerLike] = []
        for resource, method_name in WATCHED_RESOURCES:
            informer = informer_factory(client, resource)
            method = getattr(zone, method_name)
            informer.add_handlers(
                lambda obj, m=method: m(ADDED, obj),
                lambda old, new, m=method: m(MODIFIED, new),
                lambda obj, m=method: m(DELETED, obj),
            )
            self.informers.append(informer)

    async def run(self) -> None:
        """Run the informers until cancelled; the zone turns synced once all of them have listed."""
        tasks = [asyncio.create_task(informer.run()) for informer in self.informers]
        synced = asyncio.ensure_future(asyncio.gather(*(informer.wait_synced() for informer in self.informers)))
        try:
            done, _ = await asyncio.wait([synced, *tasks], return_when=asyncio.FIRST_COMPLETED)
            if synced not in done:
                await done.pop()  # an informer that returned or raised before syncing: surface it
                raise RuntimeError("an informer stopped before it synced")
            self.zone.mark_synced()
            log.info("zone %s synced from the API server", self.zone.origin)
            await asyncio.gather(*tasks)
        finally:
            synced.cancel()
            for task in tasks:
                task.cancel()

def connect(kubeconfig: str) -> Any:
    """An HTTPS client for the API server named in a kubeconfig (kubenet.client's HTTPClient)."""
    from kubenet.client.http import HTTPClient  # imported here: it brings aiohttp (~10 MB of RSS)

    return HTTPClient(kubeconfig, user_agent="coredns_py")


def load_objects(zone: ClusterZone, path: str) -> int:
    """Feed a zone from a saved `kind: List` (e.g. `kubectl get svc,endpointslices,ns -A -o json`) and mark
    it synced: a fixed snapshot, for running the server without an API server. Returns the objects used."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    items = document.get("items", []) if isinstance(document, dict) else document
    used = 0
    for obj in items:
        method_name = KIND_METHODS.get(obj.get("kind", ""))
        if method_name is not None:
            getattr(zone, method_name)(ADDED, obj)
            used += 1
    zone.mark_synced()
    return used

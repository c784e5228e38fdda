"""kube-proxy for one node: informer events → the change tracker → a rate-limited sync of one backend.

`Proxier` is the part every mode shares (kube-proxy's pkg/proxy): the change tracker, the snapshot handed to the
backend, and the UDP conntrack clean-up once the backend's rules are in (pkg/proxy/conntrack runs after each
mode's syncProxyRules). `KubeProxy` wires a Proxier to informers and a SyncRunner. Backends: `backend.py`.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from kubenet.client.informer import Informer
from kubenet.kernel.netns_exec import CommandError, NetnsExec
from kubenet.proxy import conntrack
from kubenet.proxy.backend import ProxyBackend, ProxyConfig, SyncResult, new_backend
from kubenet.proxy.runner import SyncRunner
from kubenet.proxy.serviceport import ServicePortName
from kubenet.proxy.tracker import EndpointsMap, ProxyState, ServiceMap

log = logging.getLogger(__name__)


class Proxier:
    """One node's proxy for one mode: feed it watch events, call sync() (through a SyncRunner)."""

    def __init__(self, config: ProxyConfig, tools: NetnsExec | None = None, *, state: ProxyState | None = None,
                 backend: ProxyBackend | None = None) -> None:
        self.config = config
        self.node_name = config.node_name
        self.netns = tools if tools is not None else NetnsExec(config.netns)
        self.state = state or ProxyState(config.node_name)
        self.backend = backend or new_backend(config, self.netns)
        self.last_result: SyncResult | None = None
        self._synced_services: ServiceMap = {}
        # One sync at a time, whatever thread calls it: a snapshot must reach the kernel before a later one does.
        self._lock = threading.Lock()

    def on_service(self, event_type: str, svc: dict[str, Any]) -> bool:
        return self.state.on_service(event_type, svc)

    def on_endpoint_slice(self, event_type: str, endpoint_slice: dict[str, Any]) -> bool:
        return self.state.on_endpoint_slice(event_type, endpoint_slice)

    def render(self, full: bool = True) -> str:
        """What the next sync would write, without touching the kernel or consuming the pending changes."""
        return self.backend.render(self.state.snapshot(reset_changes=False), full)

    def sync(self) -> SyncResult:
        """Hand the backend the snapshot (consuming the pending changes), then clear stale UDP flows."""
        with self._lock:
            return self._sync()

    def _sync(self) -> SyncResult:
        start = time.monotonic()
        snap = self.state.snapshot()
        taken = time.monotonic()
        result = self.backend.sync(snap)
        synced = time.monotonic()
        self._after_sync(snap.services, snap.endpoints, snap.changed, result.full)
        end = time.monotonic()
        result.phases["read"] = result.phases.get("read", 0.0) + taken - start  # the snapshot counts as reading
        result.phases["after"] = end - synced
        result.seconds = end - start
        self.last_result = result
        log.debug("%s: %s sync of %d service ports in %.0f ms (%s)", self.node_name,
                  "full" if result.full else "partial", len(snap.services), result.seconds * 1000,
                  ", ".join(f"{k} {v * 1000:.0f}" for k, v in result.phases.items()))
        return result

    def _after_sync(self, services: ServiceMap, endpoints: EndpointsMap, changed: set[ServicePortName],
                    full: bool) -> None:
        removed = {n: s for n, s in self._synced_services.items() if n not in services}
        self._synced_services = services
        if not self.config.conntrack_cleanup:
            return
        touched_udp = any(s.protocol == "UDP" and (full or n in changed) for n, s in services.items())
        if touched_udp or any(s.protocol == "UDP" for s in removed.values()):
            try:
                conntrack.clear_stale_udp(self.netns, services, endpoints, removed)
            except CommandError as err:
                # Rules are in place; stale UDP flows only delay fail-over, so the sync still counts.
                log.warning("%s: conntrack clean-up failed: %s", self.node_name, err)

    def cleanup(self) -> None:
        """Remove every kernel object the backend (or a crashed run of it) made; the next sync is full."""
        with self._lock:
            self.backend.cleanup()
            self._synced_services = {}


class KubeProxy:
    def __init__(self, config: ProxyConfig, services: Informer, endpoint_slices: Informer) -> None:
        self.proxier = Proxier(config)
        self.runner = SyncRunner(self.proxier.sync, min_sync_period=config.min_sync_period,
                                 sync_period=config.sync_period, name=f"kube-proxy-{config.node_name}")
        services.add_handlers(lambda o: self._event(self.proxier.on_service, "ADDED", o),
                              lambda old, new: self._event(self.proxier.on_service, "MODIFIED", new),
                              lambda o: self._event(self.proxier.on_service, "DELETED", o))
        endpoint_slices.add_handlers(lambda o: self._event(self.proxier.on_endpoint_slice, "ADDED", o),
                                     lambda old, new: self._event(self.proxier.on_endpoint_slice, "MODIFIED", new),
                                     lambda o: self._event(self.proxier.on_endpoint_slice, "DELETED", o))
        self._informers = (services, endpoint_slices)
        self._task: asyncio.Task | None = None

    def _event(self, handler, event_type: str, obj: dict) -> None:
        if handler(event_type, obj):
            self.runner.request()

    async def _run(self) -> None:
        await asyncio.gather(*(i.wait_synced() for i in self._informers))
        self.runner.request()  # the first (full) sync once the caches are complete, as kube-proxy waits
        await self.runner.run()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"kube-proxy-{self.proxier.node_name}")

    async def stop(self) -> None:
        self.runner.stop()
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

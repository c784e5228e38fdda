"""kube-proxy for one node: informer events → the change tracker → a rate-limited sync of one backend."""
from __future__ import annotations

import asyncio

from kubenet.client.informer import Informer
from kubenet.proxy.iptables import IPTablesProxier
from kubenet.proxy.runner import SyncRunner

BACKENDS = {"iptables": IPTablesProxier}


class KubeProxy:
    def __init__(self, node_name: str, node_ip: str, cluster_cidr: str, netns: str | None, services: Informer,
                 endpoint_slices: Informer, mode: str = "iptables", min_sync_period: float = 1.0):
        if mode not in BACKENDS:
            raise ValueError(f"proxy mode {mode!r} is not available here (available: {', '.join(BACKENDS)})")
        self.proxier = BACKENDS[mode](node_name, [node_ip], cluster_cidr, netns)
        self.runner = SyncRunner(self.proxier.sync, min_sync_period=min_sync_period, name=f"kube-proxy-{node_name}")
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

"""host-gw routing, as kindnet does it on kind: every node routes the others' podCIDRs via their node IPs,
and the host routes each podCIDR, the service CIDR and LoadBalancer IPs to a node.

Level-triggered, like kindnet's route reconciler: the routes wanted are computed from the Node and Service caches,
the routes there are read back from the kernel (`ip route show`), and the difference is written. Any change to a
Node or Service, and a periodic resync, runs that again; a failed write is retried with back-off (0.1 s doubling
to 10 s) until the kernel holds what is wanted. Nothing is remembered as done before the kernel says so.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from kubenet import kernel
from kubenet.client.informer import Informer
from kubenet.cluster.topology import HostBridge, NodeNetwork, read_routes

log = logging.getLogger(__name__)
RESYNC_SECONDS = 30.0
BACKOFF_START, BACKOFF_MAX = 0.1, 10.0


def node_ip(node: dict) -> str | None:
    for addr in (node.get("status") or {}).get("addresses") or []:
        if addr.get("type") == "InternalIP":
            return addr["address"]
    return None


def _node_key(node: dict) -> tuple[str | None, str | None]:
    return (node.get("spec") or {}).get("podCIDR"), node_ip(node)


def _lb_ips(svc: dict) -> list[str]:
    return [ing["ip"] for ing in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            if ing.get("ip")]


@dataclass(frozen=True)
class RouteTable:
    """The gateway routes of one device in one netns (None: the host's, or the sandbox's when there is one)."""
    netns: str | None
    dev: str

    def read(self) -> dict[str, str]:
        """dst → gateway of the `via` routes on dev (the connected and default routes are not ours to manage)."""
        return {(r.dst if "/" in r.dst else f"{r.dst}/32"): r.via for r in read_routes(self.netns, self.dev)
                if r.via and r.dst != "default"}

    def sync(self, wanted: dict[str, str]) -> list[str]:
        """Write the difference; returns the errors (the other routes are still written)."""
        actual = self.read()
        errors = []
        for dst, via in sorted(wanted.items()):
            if actual.get(dst) != via:
                try:
                    kernel.ip("route", "replace", dst, "via", via, "dev", self.dev, netns=self.netns)
                except kernel.KernelError as exc:
                    errors.append(str(exc))
        for dst in sorted(set(actual) - set(wanted)):
            try:
                kernel.ip("route", "del", dst, "dev", self.dev, netns=self.netns)
            except kernel.KernelError as exc:
                errors.append(str(exc))
        return errors


class Router:
    def __init__(self, host: HostBridge, nodes: list[NodeNetwork], informer: Informer, services: Informer,
                 resync: float = RESYNC_SECONDS):
        self.host = host
        self.nodes = {n.name: n for n in nodes}
        self.informer = informer
        self.services = services
        self.resync = resync
        self.host_table = RouteTable(host.netns, host.config.bridge)
        self._dirty = asyncio.Event()
        self.synced = False  # the kernel held every wanted route at the end of the last pass
        # Only what changes a route wakes the loop (a Node's heartbeat or most Service writes do not).
        informer.add_handlers(self.kick, lambda old, new: _node_key(old) != _node_key(new) and self.kick(), self.kick)
        services.add_handlers(lambda svc: _lb_ips(svc) and self.kick(),
                              lambda old, new: _lb_ips(old) != _lb_ips(new) and self.kick(),
                              lambda svc: _lb_ips(svc) and self.kick())

    def kick(self, *_: object) -> None:
        self._dirty.set()

    def wanted(self) -> dict[RouteTable, dict[str, str]]:
        """Every route the cluster needs now, by table, from the caches."""
        ips, cidrs = {}, {}
        for node in self.informer.list():
            name, (cidr, ip) = node["metadata"]["name"], _node_key(node)
            if ip:
                ips[name] = ip
                if cidr:
                    cidrs[name] = (cidr, ip)
        host = {cidr: ip for cidr, ip in cidrs.values()}
        # The host reaches ClusterIPs (and LoadBalancer IPs) through the first node's kube-proxy rules.
        first = next((ips[name] for name in self.nodes if name in ips), None)
        if first is not None:
            host[self.host.config.service_cidr] = first
            for svc in self.services.list():
                for ip in _lb_ips(svc):
                    host[f"{ip}/32"] = first
        tables = {self.host_table: host}
        for name, node in self.nodes.items():
            tables[RouteTable(node.netns, "eth0")] = {cidr: ip for other, (cidr, ip) in cidrs.items()
                                                       if other != name}
        return tables

    def sync(self, tables: dict[RouteTable, dict[str, str]]) -> list[str]:
        """One level-triggered pass over what wanted() returned (blocking: run it in a thread)."""
        errors = []
        for table, routes in tables.items():
            try:
                errors += table.sync(routes)
            except kernel.KernelError as exc:  # the table could not even be read (its netns is not there yet)
                errors.append(str(exc))
        self.synced = not errors
        return errors

    async def run(self) -> None:
        backoff = BACKOFF_START
        while True:
            if not (self.informer.has_synced() and self.services.has_synced()):
                await asyncio.sleep(BACKOFF_START)  # an empty cache would mean "no routes at all"
                continue
            self._dirty.clear()
            # The wanted routes come from the caches here, on the event loop that changes them; only the kernel
            # work goes to a thread.
            errors = await asyncio.to_thread(self.sync, self.wanted())
            if errors:
                log.warning("routes not programmed yet (retry in %.1fs): %s", backoff, "; ".join(errors))
                wait, backoff = backoff, min(backoff * 2, BACKOFF_MAX)
            else:
                wait, backoff = self.resync, BACKOFF_START
            try:
                await asyncio.wait_for(self._dirty.wait(), wait)
            except TimeoutError:
                pass

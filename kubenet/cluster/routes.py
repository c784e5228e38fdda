"""host-gw routing, as kindnet does it on kind: every node routes the others' podCIDRs via their node IPs,
and the host routes each podCIDR, the service CIDR and LoadBalancer IPs to a node."""
from __future__ import annotations

import asyncio
import logging

from kubenet.client.informer import Informer
from kubenet.cluster.topology import HostBridge, NodeNetwork

log = logging.getLogger(__name__)


def node_ip(node: dict) -> str | None:
    for addr in (node.get("status") or {}).get("addresses") or []:
        if addr.get("type") == "InternalIP":
            return addr["address"]
    return None


class Router:
    def __init__(self, host: HostBridge, nodes: list[NodeNetwork], informer: Informer):
        self.host = host
        self.nodes = {n.name: n for n in nodes}
        self.informer = informer
        self.programmed: dict[str, tuple[str, str]] = {}  # node → (podCIDR, node IP)
        self.service_node_ip: str | None = None
        informer.add_handlers(self._changed, lambda old, new: self._changed(new), None)

    def _changed(self, node: dict) -> None:
        cidr, ip = node["spec"].get("podCIDR"), node_ip(node)
        name = node["metadata"]["name"]
        if not cidr or not ip or self.programmed.get(name) == (cidr, ip):
            return
        self.programmed[name] = (cidr, ip)
        asyncio.get_running_loop().run_in_executor(None, self._program, name, cidr, ip)

    def _program(self, name: str, cidr: str, ip: str) -> None:
        try:
            self.host.route_pod_cidr(cidr, ip)
            for other in self.nodes.values():
                if other.name != name:
                    other.route_peer_pod_cidr(cidr, ip)
            if self.service_node_ip is None:
                # The host reaches ClusterIPs through the first node's kube-proxy rules.
                self.service_node_ip = ip
                self.host.route_services(ip)
        except Exception:
            log.exception("routes for node %s", name)

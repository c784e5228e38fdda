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
    def __init__(self, host: HostBridge, nodes: list[NodeNetwork], informer: Informer, services: Informer):
        self.host = host
        self.nodes = {n.name: n for n in nodes}
        self.informer = informer
        self.programmed: dict[str, tuple[str, str]] = {}  # node → (podCIDR, node IP)
        self.service_node_ip: str | None = None
        self.lb_routes: set[str] = set()
        informer.add_handlers(self._changed, lambda old, new: self._changed(new), None)
        services.add_handlers(self._service, lambda old, new: self._service(new), lambda svc: self._service(svc))
        self.services = services

    def _service(self, _svc: dict) -> None:
        """LoadBalancer IPs are routed from the host to a node; any node's kube-proxy rules answer them."""
        wanted = {ing["ip"] for svc in self.services.list()
                  for ing in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
                  if ing.get("ip")}
        gateway = next(iter(self.nodes.values())).ip if self.nodes else None
        added, removed = wanted - self.lb_routes, self.lb_routes - wanted
        self.lb_routes = wanted
        if added or removed:
            asyncio.get_running_loop().run_in_executor(None, self._program_lb, added, removed, gateway)

    def _program_lb(self, added: set[str], removed: set[str], gateway: str | None) -> None:
        try:
            for ip in added:
                self.host.route_lb_ip(ip, gateway)
            for ip in removed:
                self.host.route_lb_ip(ip, None)
        except Exception:
            log.exception("LoadBalancer routes")

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

"""Health as `kubenet up` and `kubenet status` see it: nodes Ready, and cluster DNS answering a real query."""
from __future__ import annotations

import asyncio
import socket

from dnslib import QTYPE, DNSRecord

from kubenet.client.base import Client
from kubenet.cluster.config import ClusterConfig


def node_ready(node: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or [])


def dns_query_answers(server: str, name: str, timeout: float = 0.5) -> bool:
    """One UDP query to the cluster DNS Service, through the node's kube-proxy rules like any client."""
    query = DNSRecord.question(name, "A")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(query.pack(), (server, 53))
            reply = DNSRecord.parse(sock.recv(4096))
        except OSError:
            return False
        return reply.header.id == query.header.id and any(r.rtype == QTYPE.A for r in reply.rr)


async def dns_answers(server: str, name: str, timeout: float = 0.5) -> bool:
    return await asyncio.to_thread(dns_query_answers, server, name, timeout)


async def check_health(client: Client, config: ClusterConfig, kubelets: dict) -> dict[str, bool]:
    health = {"apiserver": True}
    nodes, _ = await client.list("nodes")
    for name in config.node_names:
        node = next((n for n in nodes if n["metadata"]["name"] == name), None)
        health[f"node {name}"] = node is not None and node_ready(node)
    if config.node_names:
        health["cluster DNS"] = await dns_answers(config.dns_ip, f"kubernetes.default.svc.{config.cluster_domain}")
    return health

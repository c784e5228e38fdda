"""Health as `kubenet up` and `kubenet status` see it: nodes Ready, and each add-on's own check (kubenet/addons:
cluster DNS answering a real query)."""
from __future__ import annotations

import asyncio

from kubenet.addons import HealthCheck, health_checks
from kubenet.client.base import Client
from kubenet.cluster.config import ClusterConfig


def node_ready(node: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or [])


def addon_checks(config: ClusterConfig) -> list[HealthCheck]:
    """The add-on checks that apply: add-ons run as Pods, so a cluster without nodes has none."""
    return health_checks() if config.node_names else []


async def check_health(client: Client, config: ClusterConfig, kubelets: dict) -> dict[str, bool]:
    health = {"apiserver": True}
    nodes, _ = await client.list("nodes")
    for name in config.node_names:
        node = next((n for n in nodes if n["metadata"]["name"] == name), None)
        health[f"node {name}"] = node is not None and node_ready(node)
    for check in addon_checks(config):
        health[check.name] = await asyncio.to_thread(check.probe, config)
    return health

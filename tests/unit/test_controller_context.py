"""Controller configuration arrives in a ControllerContext handed to the manager: two control planes in one
process, each with its own pod CIDR, LB pool and CA, hand out what their own context says."""
from __future__ import annotations

import asyncio

from kubenet.apiserver.registry import Registry
from kubenet.client.local import LocalClient
from kubenet.controllers.context import ControllerContext
from kubenet.controllers.manager import ControllerManager
from kubenet.store.memory import MemoryStore
from tests.unit.controller_harness import Cluster

ONLY = ["node-ipam", "service-lb", "root-ca-cert-publisher"]


async def _plane(context: ControllerContext) -> tuple[LocalClient, ControllerManager]:
    client = LocalClient(Registry(MemoryStore()))
    await client.create("namespaces", {"metadata": {"name": "default"}})
    await client.create("nodes", {"metadata": {"name": "n1"}})
    await client.create("services", {"metadata": {"name": "lb"}, "spec": {
        "type": "LoadBalancer", "ports": [{"port": 80}]}}, "default")
    manager = ControllerManager(client, only=ONLY, context=context)
    manager.start()
    return client, manager


def test_two_managers_in_one_process_follow_their_own_context():
    async def scenario() -> list[tuple[str, str, str]]:
        contexts = [ControllerContext(cluster_cidr="10.50.0.0/16", node_cidr_mask_size=26, lb_pool="10.9.0.7-10.9.0.9",
                                      root_ca="CA ONE\n"),
                    ControllerContext(cluster_cidr="10.60.0.0/16", lb_pool="10.8.0.3-10.8.0.3", root_ca="CA TWO\n")]
        planes = [await _plane(c) for c in contexts]
        harness = Cluster()  # only for its polling helper
        seen = []
        try:
            for client, _ in planes:
                async def done(client=client):
                    node = await client.get("nodes", "n1")
                    svc = await client.get("services", "lb", "default")
                    cm = await client.get("configmaps", "kube-root-ca.crt", "default")
                    ingress = (svc.get("status") or {}).get("loadBalancer", {}).get("ingress") or [{}]
                    if node["spec"].get("podCIDR") and ingress[0].get("ip"):
                        return node["spec"]["podCIDR"], ingress[0]["ip"], cm["data"]["ca.crt"]
                seen.append(await harness.until(done))
        finally:
            for _, manager in planes:
                await manager.stop()
        return seen

    assert asyncio.run(scenario()) == [("10.50.0.0/26", "10.9.0.7", "CA ONE\n"), ("10.60.0.0/24", "10.8.0.3", "CA TWO\n")]

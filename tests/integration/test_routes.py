"""Route programming is level-triggered: what the kernel holds is compared with what the Nodes and Services want,
and a write that failed (here: the network was not there yet) is retried until the routes are in, a route removed
behind the router's back comes back, and routes of a Node that went away are removed."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from kubenet import kernel
from kubenet.cluster.config import ClusterConfig
from kubenet.cluster.routes import Router
from kubenet.cluster.topology import HostBridge, NodeNetwork
from tests.waiting import eventually

pytestmark = pytest.mark.root


class FakeInformer:
    def __init__(self, objects: list[dict]):
        self.objects = {o["metadata"]["name"]: o for o in objects}
        self.handlers = None

    def add_handlers(self, on_add, on_update, on_delete) -> None:
        self.handlers = (on_add, on_update, on_delete)

    def list(self) -> list[dict]:
        return list(self.objects.values())

    def has_synced(self) -> bool:
        return True

    def put(self, obj: dict) -> None:
        old = self.objects.get(obj["metadata"]["name"])
        self.objects[obj["metadata"]["name"]] = obj
        self.handlers[0](obj) if old is None else self.handlers[1](old, obj)

    def remove(self, name: str) -> None:
        self.handlers[2](self.objects.pop(name))


def node(name: str, cidr: str, ip: str) -> dict:
    return {"metadata": {"name": name}, "spec": {"podCIDR": cidr},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def routes(netns: str, dev: str) -> set[str]:
    out = kernel.ip("-4", "route", "show", "dev", dev, netns=netns, check=False)
    return {" ".join(line.split()[:3]) for line in out.splitlines() if " via " in line and "default" not in line}


async def until(predicate, timeout: float = 10.0) -> None:
    await eventually(predicate, timeout, interval=0.05)  # the kernel's routing tables: nothing to wait on


@pytest.fixture
def network():
    config = ClusterConfig(name=f"rt{uuid.uuid4().hex[:6]}", nodes=3, sandbox=True, data_dir="/nonexistent")
    host = HostBridge(config)
    nodes = [NodeNetwork(config, name, i) for i, name in enumerate(config.node_names)]
    yield config, host, nodes
    for n in nodes:
        n.delete()
    host.delete()


def test_routes_are_retried_until_the_kernel_has_them_and_kept_there(network):
    config, host, nodes = network
    a, b, c = nodes
    informer = FakeInformer([node(n.name, f"10.244.{i}.0/24", n.ip) for i, n in enumerate(nodes)])
    services = FakeInformer([])
    sandbox = config.sandbox_netns

    async def scenario() -> None:
        router = Router(host, nodes, informer, services, resync=0.3)
        passes: list[list[str]] = []
        sync = router.sync
        router.sync = lambda tables: passes.append(sync(tables)) or passes[-1]  # records each pass's errors
        task = asyncio.create_task(router.run())
        try:
            # No network yet: every write fails, and is tried again (the old router marked the routes done and
            # never tried again).
            await until(lambda: len(passes) >= 2)
            assert not router.synced and all(passes)
            await asyncio.to_thread(host.create)
            for n in nodes:
                await asyncio.to_thread(n.create)
            wanted_host = {f"10.244.{i}.0/24 via {n.ip}" for i, n in enumerate(nodes)} | {
                f"{config.service_cidr} via {a.ip}"}
            await until(lambda: routes(sandbox, config.bridge) == wanted_host)
            await until(lambda: routes(b.netns, "eth0") == {f"10.244.0.0/24 via {a.ip}", f"10.244.2.0/24 via {c.ip}"})
            await until(lambda: router.synced)

            # Removed behind its back: the next pass (resync) puts it back.
            kernel.ip("route", "del", "10.244.1.0/24", netns=sandbox)
            await until(lambda: "10.244.1.0/24 via " + b.ip in routes(sandbox, config.bridge))

            # A LoadBalancer IP is routed to the first node; a Node that goes away takes its routes along.
            services.put({"metadata": {"name": "lb"},
                          "status": {"loadBalancer": {"ingress": [{"ip": "172.18.255.200"}]}}})
            informer.remove(c.name)
            await until(lambda: routes(sandbox, config.bridge) == {
                f"10.244.0.0/24 via {a.ip}", f"10.244.1.0/24 via {b.ip}", f"{config.service_cidr} via {a.ip}",
                f"172.18.255.200 via {a.ip}"})
            await until(lambda: routes(a.netns, "eth0") == {f"10.244.1.0/24 via {b.ip}"})
        finally:
            task.cancel()
    asyncio.run(scenario())

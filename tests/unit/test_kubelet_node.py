"""The kubelet and its Node: it waits for the podCIDR by watching the Node, and renews its Lease on its clock."""
from __future__ import annotations

import asyncio

from kubenet.apiserver.registry import Registry
from kubenet.client.local import LocalClient
from kubenet.clock import FakeClock
from kubenet.cluster.config import ClusterConfig
from kubenet.kubelet.kubelet import Kubelet
from kubenet.store.memory import MemoryStore


class CountingClient(LocalClient):
    """A LocalClient that counts GETs and says when a watch opens."""

    def __init__(self, registry: Registry):
        super().__init__(registry)
        self.gets = 0
        self.watching = asyncio.Event()

    async def get(self, resource, name, namespace=None, subresource=None):
        self.gets += 1
        return await super().get(resource, name, namespace, subresource)

    async def watch(self, *args, **kwargs):
        self.watching.set()
        async for event in super().watch(*args, **kwargs):
            yield event


def ready(node: dict) -> str:
    return next(c["status"] for c in node["status"]["conditions"] if c["type"] == "Ready")


def test_the_kubelet_watches_its_node_until_it_has_a_pod_cidr():
    async def story():
        client = CountingClient(Registry(MemoryStore()))
        kubelet = Kubelet(client, ClusterConfig().kubelet_config("kn-worker", "172.18.0.3", "kn-worker-ns", False))
        assert ready(await kubelet.register()) == "False"  # no podCIDR yet: the network is not ready
        await client.create("nodes", {"metadata": {"name": "kn-other"}})  # another Node changing: not ours
        waiting = asyncio.create_task(kubelet.wait_pod_cidr(timeout=5))
        await client.watching.wait()
        gets = client.gets
        other = await client.get("nodes", "kn-other")
        await client.update("nodes", {**other, "spec": {"podCIDR": "10.244.9.0/24"}})
        node = await client.get("nodes", "kn-worker")
        node["spec"]["podCIDR"] = "10.244.1.0/24"
        await client.update("nodes", node)
        assert await asyncio.wait_for(waiting, 5) == "10.244.1.0/24"
        assert client.gets == gets + 2  # the test's own two: the kubelet asked once, then watched
        assert ready(await client.get("nodes", "kn-worker")) == "True"
    asyncio.run(story())


def test_a_node_that_never_gets_a_pod_cidr_times_out():
    async def story():
        client = CountingClient(Registry(MemoryStore()))
        kubelet = Kubelet(client, ClusterConfig().kubelet_config("kn-worker", "172.18.0.3", "kn-worker-ns", False))
        await kubelet.register()
        try:
            await kubelet.wait_pod_cidr(timeout=0.2)
        except TimeoutError as exc:
            assert str(exc) == "node kn-worker got no podCIDR"
        else:
            raise AssertionError("no timeout")
        assert client.gets == 1
    asyncio.run(story())


def test_the_kubelet_renews_its_lease_every_ten_seconds_on_its_clock():
    async def story():
        client, clock = CountingClient(Registry(MemoryStore())), FakeClock()
        await client.create("namespaces", {"metadata": {"name": "kube-node-lease"}})
        kubelet = Kubelet(client, ClusterConfig().kubelet_config("kn-worker", "172.18.0.3", "kn-worker-ns", False), clock=clock)
        await kubelet.register()
        renewing = asyncio.create_task(kubelet._renew_lease())

        async def renewed_at() -> str:
            await asyncio.wait_for(clock.sleeping(), 5)  # it sleeps once the lease is written
            lease = await client.get("leases.coordination.k8s.io", "kn-worker", "kube-node-lease")
            assert lease["spec"]["holderIdentity"] == "kn-worker" and lease["spec"]["leaseDurationSeconds"] == 40
            return lease["spec"]["renewTime"]
        assert await renewed_at() == "2023-11-14T22:13:20.000000Z"  # the FakeClock's start
        clock.advance(9.9)
        assert await renewed_at() == "2023-11-14T22:13:20.000000Z"
        clock.advance(0.1)
        assert await renewed_at() == "2023-11-14T22:13:30.000000Z"
        renewing.cancel()
    asyncio.run(story())

"""Garbage collector: Background, Foreground and Orphan propagation over ownerReferences."""
from __future__ import annotations

import asyncio

from kubenet.apiserver.errors import APIError
from kubenet.apiserver.registry import Registry
from kubenet.client.local import LocalClient
from kubenet.controllers.base import Informers
from kubenet.controllers.deployment import DeploymentController
from kubenet.controllers.garbagecollector import GarbageCollector
from kubenet.controllers.replicaset import ReplicaSetController
from kubenet.store.memory import MemoryStore


class Cluster:
    """A registry over a MemoryStore with some controllers running on shared informers."""

    def __init__(self, *controller_classes):
        self.registry = Registry(MemoryStore())
        self.client = LocalClient(self.registry)
        self.informers = Informers(self.client)
        self.controllers = [cls(self.client, self.informers) for cls in controller_classes]
        self.tasks: list[asyncio.Task] = []

    async def __aenter__(self):
        await self.client.create("namespaces", {"metadata": {"name": "default"}})
        self.tasks = self.informers.start() + [asyncio.create_task(c.run()) for c in self.controllers]
        await self.informers.wait_synced()
        return self

    async def __aexit__(self, *exc):
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def until(self, check, timeout: float = 5.0):
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                result = await check()
            except APIError as exc:  # not there yet
                if exc.code != 404:
                    raise
                result = None
            if result:
                return result
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"condition not met in {timeout}s: {check.__name__}")
            await asyncio.sleep(0.01)

    async def pods(self, ns: str = "default") -> list[dict]:
        items, _ = await self.client.list("pods", ns)
        return [p for p in items if not p["metadata"].get("deletionTimestamp")]

    async def events(self, reason: str | None = None) -> list[dict]:
        items, _ = await self.client.list("events", "default")
        return [e for e in items if reason is None or e["reason"] == reason]

    async def mark_ready(self, pod: dict) -> None:
        pod = await self.client.get("pods", pod["metadata"]["name"], "default")
        pod["status"]["phase"] = "Running"
        pod["status"]["conditions"] = [{"type": "Ready", "status": "True",
                                        "lastTransitionTime": "2024-01-01T00:00:00Z"}]
        await self.client.update("pods", pod, "default", subresource="status")


def replicaset(name: str = "web", replicas: int = 2) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


async def all_pods(c: Cluster) -> list[dict]:
    items, _ = await c.client.list("pods", "default")
    return items


async def two_pods(c: Cluster) -> list[dict]:
    async def ready():
        pods = await c.pods()
        return pods if len(pods) == 2 else None
    return await c.until(ready)


async def gone(c: Cluster, resource: str, name: str) -> bool:
    try:
        await c.client.get(resource, name, "default")
    except APIError as exc:
        return exc.code == 404
    return False


def test_background_deletion_cascades_through_replicasets_to_pods():
    async def story():
        async with Cluster(GarbageCollector, DeploymentController, ReplicaSetController) as c:
            d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                 "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                          "template": replicaset()["spec"]["template"]}}
            await c.client.create("deployments.apps", d, "default")
            await two_pods(c)
            await c.client.delete("deployments.apps", "web", "default", propagation_policy="Background")

            async def everything_gone():
                rss, _ = await c.client.list("replicasets.apps", "default")
                return not rss and not await all_pods(c)
            await c.until(everything_gone)
    asyncio.run(story())


def test_foreground_deletion_waits_for_blocking_dependents():
    async def story():
        async with Cluster(GarbageCollector, ReplicaSetController) as c:
            await c.client.create("replicasets.apps", replicaset(), "default")
            pods = await two_pods(c)
            # One Pod is on a node: its deletion is graceful and lasts until the kubelet confirms it.
            bound = pods[0]["metadata"]["name"]
            await c.client.create("pods", {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": bound},
                                           "target": {"kind": "Node", "name": "kubenet-worker"}},
                                  "default", subresource="binding", name=bound)
            await c.client.delete("replicasets.apps", "web", "default", propagation_policy="Foreground")

            async def waiting():
                rs = await c.client.get("replicasets.apps", "web", "default")
                pods = await all_pods(c)
                return rs if len(pods) == 1 and pods[0]["metadata"].get("deletionTimestamp") else None
            rs = await c.until(waiting)
            assert rs["metadata"]["deletionTimestamp"] and rs["metadata"]["finalizers"] == ["foregroundDeletion"]
            await asyncio.sleep(0.1)
            assert not await gone(c, "replicasets.apps", "web")  # still blocked by the terminating Pod

            await c.client.delete("pods", bound, "default", grace_period_seconds=0)  # the kubelet is done
            await c.until(lambda: gone(c, "replicasets.apps", "web"))
            assert await all_pods(c) == []
    asyncio.run(story())


def test_orphan_deletion_keeps_dependents_without_the_owner_reference():
    async def story():
        async with Cluster(GarbageCollector, ReplicaSetController) as c:
            await c.client.create("replicasets.apps", replicaset(), "default")
            before = {p["metadata"]["name"] for p in await two_pods(c)}
            await c.client.delete("replicasets.apps", "web", "default", propagation_policy="Orphan")
            await c.until(lambda: gone(c, "replicasets.apps", "web"))

            async def orphaned():
                pods = await all_pods(c)
                return pods if all(not p["metadata"].get("ownerReferences") for p in pods) else None
            pods = await c.until(orphaned)
            assert {p["metadata"]["name"] for p in pods} == before
    asyncio.run(story())


def test_dependent_with_a_remaining_owner_only_loses_the_dangling_reference():
    async def story():
        async with Cluster(GarbageCollector) as c:
            a = await c.client.create("configmaps", {"metadata": {"name": "a"}}, "default")
            b = await c.client.create("configmaps", {"metadata": {"name": "b"}}, "default")
            refs = [{"apiVersion": "v1", "kind": "ConfigMap", "name": o["metadata"]["name"],
                     "uid": o["metadata"]["uid"]} for o in (a, b)]
            await c.client.create("configmaps", {"metadata": {"name": "child", "ownerReferences": refs}}, "default")
            await c.client.delete("configmaps", "a", "default")

            async def one_ref():
                child = await c.client.get("configmaps", "child", "default")
                return [r["name"] for r in child["metadata"]["ownerReferences"]] == ["b"]
            await c.until(one_ref)
            await c.client.delete("configmaps", "b", "default")
            await c.until(lambda: gone(c, "configmaps", "child"))
            # An owner that never existed (wrong UID) is dangling from the start.
            ghost = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "nobody", "uid": "0000"}]
            await c.client.create("configmaps", {"metadata": {"name": "stray", "ownerReferences": ghost}}, "default")
            await c.until(lambda: gone(c, "configmaps", "stray"))
    asyncio.run(story())

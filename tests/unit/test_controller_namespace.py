"""Namespace deletion (content first, then the finalizer) and the default ServiceAccount."""
from __future__ import annotations

import asyncio

from kubenet.apiserver.errors import APIError
from kubenet.apiserver.registry import Registry
from kubenet.client.local import LocalClient
from kubenet.controllers.base import Informers
from kubenet.controllers.garbagecollector import GarbageCollector
from kubenet.controllers.namespace import NamespaceController
from kubenet.controllers.replicaset import ReplicaSetController
from kubenet.controllers.serviceaccount import ServiceAccountController
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


async def gone(c: Cluster, resource: str, name: str, ns: str | None = None) -> bool:
    try:
        await c.client.get(resource, name, ns)
    except APIError as exc:
        return exc.code == 404
    return False


def test_namespace_deletion_removes_content_then_the_namespace():
    async def story():
        async with Cluster(NamespaceController, GarbageCollector, ReplicaSetController,
                           ServiceAccountController) as c:
            await c.client.create("namespaces", {"metadata": {"name": "team"}})
            await c.client.create("configmaps", {"metadata": {"name": "settings"}}, "team")
            rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
                  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
            await c.client.create("replicasets.apps", rs, "team")

            async def two_pods():
                pods = await c.pods("team")
                return pods if len(pods) == 2 else None
            pods = await c.until(two_pods)
            await c.until(lambda: c.client.get("serviceaccounts", "default", "team"))
            bound = pods[0]["metadata"]["name"]  # on a node: deleted gracefully, waits for its kubelet
            await c.client.create("pods", {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": bound},
                                           "target": {"kind": "Node", "name": "kubenet-worker"}},
                                  "team", subresource="binding", name=bound)

            await c.client.delete("namespaces", "team")
            ns = await c.client.get("namespaces", "team")
            assert ns["status"]["phase"] == "Terminating" and ns["spec"]["finalizers"] == ["kubernetes"]

            async def only_the_bound_pod_left():
                ns = await c.client.get("namespaces", "team")
                conds = {x["type"]: x for x in ns["status"].get("conditions") or []}
                remaining = conds.get("NamespaceContentRemaining")
                return ns if remaining and remaining["status"] == "True" else None
            ns = await c.until(only_the_bound_pod_left)
            conds = {x["type"]: x for x in ns["status"]["conditions"]}
            assert conds["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
            assert conds["NamespaceContentRemaining"]["message"] == \
                "Some resources are remaining: pods. has 1 resource instances"
            assert conds["NamespaceDeletionDiscoveryFailure"]["reason"] == "ResourcesDiscovered"
            assert await gone(c, "configmaps", "settings", "team")
            assert await gone(c, "replicasets.apps", "web", "team")
            assert await gone(c, "serviceaccounts", "default", "team")  # and not recreated

            # Creating in a Terminating namespace is refused, as on a real cluster.
            try:
                await c.client.create("configmaps", {"metadata": {"name": "late"}}, "team")
                raise AssertionError("create in a terminating namespace succeeded")
            except APIError as exc:
                assert exc.code == 403

            await c.client.delete("pods", bound, "team", grace_period_seconds=0)  # the kubelet finished
            await c.until(lambda: gone(c, "namespaces", "team"))
    asyncio.run(story())


def test_every_active_namespace_gets_a_default_service_account():
    async def story():
        async with Cluster(ServiceAccountController) as c:
            await c.client.create("namespaces", {"metadata": {"name": "apps"}})
            for ns in ("default", "apps"):
                await c.until(lambda ns=ns: c.client.get("serviceaccounts", "default", ns))
            first = await c.client.get("serviceaccounts", "default", "apps")
            await c.client.delete("serviceaccounts", "default", "apps")

            async def recreated():
                try:
                    sa = await c.client.get("serviceaccounts", "default", "apps")
                except APIError:
                    return None
                return sa if sa["metadata"]["uid"] != first["metadata"]["uid"] else None
            await c.until(recreated)
    asyncio.run(story())

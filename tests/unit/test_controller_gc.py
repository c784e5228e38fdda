"""Garbage collector: Background, Foreground and Orphan propagation over ownerReferences."""
from __future__ import annotations

import asyncio

from kubenet.controllers.deployment import DeploymentController
from kubenet.controllers.garbagecollector import GarbageCollector
from kubenet.controllers.replicaset import ReplicaSetController
from tests.unit.controller_harness import Cluster, replicaset


def test_background_deletion_cascades_through_replicasets_to_pods():
    async def story():
        async with Cluster(GarbageCollector, DeploymentController, ReplicaSetController) as c:
            d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                 "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                          "template": replicaset()["spec"]["template"]}}
            await c.client.create("deployments.apps", d, "default")
            await c.wait_for_pods(2)
            await c.client.delete("deployments.apps", "web", "default", propagation_policy="Background")

            async def everything_gone():
                rss, _ = await c.client.list("replicasets.apps", "default")
                return not rss and not await c.pods(terminating=True)
            await c.until(everything_gone)
    asyncio.run(story())


def test_foreground_deletion_waits_for_blocking_dependents():
    async def story():
        async with Cluster(GarbageCollector, ReplicaSetController) as c:
            await c.client.create("replicasets.apps", replicaset(replicas=2), "default")
            pods = await c.wait_for_pods(2)
            # One Pod is on a node: its deletion is graceful and lasts until the kubelet confirms it.
            bound = pods[0]["metadata"]["name"]
            await c.bind(bound, "kubenet-worker")
            await c.client.delete("replicasets.apps", "web", "default", propagation_policy="Foreground")

            async def waiting():
                rs = await c.client.get("replicasets.apps", "web", "default")
                pods = await c.pods(terminating=True)
                return rs if len(pods) == 1 and pods[0]["metadata"].get("deletionTimestamp") else None
            rs = await c.until(waiting)
            assert rs["metadata"]["deletionTimestamp"] and rs["metadata"]["finalizers"] == ["foregroundDeletion"]
            await c.settle()
            assert not await c.gone("replicasets.apps", "web")  # still blocked by the terminating Pod

            await c.client.delete("pods", bound, "default", grace_period_seconds=0)  # the kubelet is done
            await c.until(lambda: c.gone("replicasets.apps", "web"))
            assert await c.pods(terminating=True) == []
    asyncio.run(story())


def test_orphan_deletion_keeps_dependents_without_the_owner_reference():
    async def story():
        async with Cluster(GarbageCollector, ReplicaSetController) as c:
            await c.client.create("replicasets.apps", replicaset(replicas=2), "default")
            before = {p["metadata"]["name"] for p in await c.wait_for_pods(2)}
            await c.client.delete("replicasets.apps", "web", "default", propagation_policy="Orphan")
            await c.until(lambda: c.gone("replicasets.apps", "web"))

            async def orphaned():
                pods = await c.pods(terminating=True)
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
            await c.until(lambda: c.gone("configmaps", "child"))
            # An owner that never existed (wrong UID) is dangling from the start.
            ghost = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "nobody", "uid": "0000"}]
            await c.client.create("configmaps", {"metadata": {"name": "stray", "ownerReferences": ghost}}, "default")
            await c.until(lambda: c.gone("configmaps", "stray"))
    asyncio.run(story())

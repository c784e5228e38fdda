"""ReplicaSet controller: Pods follow spec.replicas, with the events and status a user sees."""
from __future__ import annotations

import asyncio
import re

from kubenet.controllers.replicaset import ReplicaSetController, deletion_order
from tests.unit.controller_harness import Cluster, replicaset


def test_scale_up_and_down_with_events_and_status():
    async def story():
        async with Cluster(ReplicaSetController) as c:
            rs = await c.client.create("replicasets.apps", replicaset(), "default")

            async def three_pods():
                return len(await c.pods()) == 3
            await c.until(three_pods)
            pods = await c.pods()
            for p in pods:
                assert re.fullmatch(r"web-[bcdfghjklmnpqrstvwxz2456789]{5}", p["metadata"]["name"])
                assert p["metadata"]["labels"] == {"app": "web"}
                ref = p["metadata"]["ownerReferences"][0]
                assert (ref["kind"], ref["name"], ref["uid"], ref["controller"]) == ("ReplicaSet", "web",
                                                                                     rs["metadata"]["uid"], True)
            created = await c.events("SuccessfulCreate")
            assert sorted(e["message"] for e in created) == sorted(f"Created pod: {p['metadata']['name']}"
                                                                   for p in pods)
            assert all(e["source"]["component"] == "replicaset-controller" for e in created)

            for p in pods[:2]:
                await c.mark_ready(p)

            async def status_ready():
                got = await c.client.get("replicasets.apps", "web", "default")
                s = got.get("status", {})
                return s if s.get("readyReplicas") == 2 else None
            s = await c.until(status_ready)
            assert s["replicas"] == 3 and s["fullyLabeledReplicas"] == 3 and s["availableReplicas"] == 2
            assert s["observedGeneration"] == 1

            # Scale down: the not-ready Pod goes first.
            not_ready = pods[2]["metadata"]["name"]
            got = await c.client.get("replicasets.apps", "web", "default")
            got["spec"]["replicas"] = 2
            await c.client.update("replicasets.apps", got, "default")

            async def two_pods():
                return len(await c.pods()) == 2
            await c.until(two_pods)
            assert not_ready not in [p["metadata"]["name"] for p in await c.pods()]
            deleted = await c.until(lambda: c.events("SuccessfulDelete"))
            assert [e["message"] for e in deleted] == [f"Deleted pod: {not_ready}"]

            async def observed():
                s = (await c.client.get("replicasets.apps", "web", "default"))["status"]
                return s["observedGeneration"] == 2 and s["replicas"] == 2 and s["readyReplicas"] == 2
            await c.until(observed)
    asyncio.run(story())


def test_replaces_deleted_pod_and_adopts_and_releases_orphans():
    async def story():
        async with Cluster(ReplicaSetController) as c:
            orphan = {"metadata": {"name": "stray", "labels": {"app": "web"}},
                      "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
            await c.client.create("pods", orphan, "default")
            rs = await c.client.create("replicasets.apps", replicaset(replicas=2), "default")

            async def two_owned():
                pods = await c.pods()
                owned = [p for p in pods if (p["metadata"].get("ownerReferences") or [{}])[0].get("uid")
                         == rs["metadata"]["uid"]]
                return len(pods) == 2 and len(owned) == 2 and pods
            pods = await c.until(two_owned)
            assert "stray" in [p["metadata"]["name"] for p in pods]  # adopted, only one Pod created

            # Relabel the adopted Pod: it is released and replaced.
            stray = await c.client.get("pods", "stray", "default")
            stray["metadata"]["labels"] = {"app": "other"}
            await c.client.update("pods", stray, "default")

            async def released():
                s = await c.client.get("pods", "stray", "default")
                return not s["metadata"].get("ownerReferences") and len(await c.pods()) == 3
            await c.until(released)

            # Delete a Pod: a new one takes its place.
            victim = next(p for p in await c.pods() if p["metadata"]["name"] != "stray")["metadata"]["name"]
            await c.client.delete("pods", victim, "default")

            async def replaced():
                names = [p["metadata"]["name"] for p in await c.pods() if p["metadata"]["name"] != "stray"]
                return len(names) == 2 and victim not in names
            await c.until(replaced)
    asyncio.run(story())


def test_terminating_pods_do_not_count():
    async def story():
        async with Cluster(ReplicaSetController) as c:
            await c.client.create("replicasets.apps", replicaset(replicas=1), "default")

            (pod,) = await c.wait_for_pods(1)
            # Scheduled Pods are deleted gracefully: they keep existing with a deletionTimestamp.
            await c.bind(pod["metadata"]["name"], "kubenet-worker")
            await c.client.delete("pods", pod["metadata"]["name"], "default")

            async def replacement():
                pods = await c.pods()
                return len(pods) == 1 and pods[0]["metadata"]["name"] != pod["metadata"]["name"]
            await c.until(replacement)
            s = (await c.client.get("replicasets.apps", "web", "default"))["status"]
            assert s["replicas"] == 1
    asyncio.run(story())


def test_deletion_order_prefers_unscheduled_then_not_ready_then_newest():
    def pod(name, node="", ready=False, created="2024-01-01T00:00:00Z"):
        return {"metadata": {"name": name, "creationTimestamp": created},
                "spec": {"nodeName": node},
                "status": {"phase": "Running" if node else "Pending",
                           "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                           "lastTransitionTime": created}]}}
    pods = [pod("old-ready", "n1", True), pod("new-ready", "n2", True, "2024-02-01T00:00:00Z"),
            pod("not-ready", "n3"), pod("unscheduled")]
    assert [p["metadata"]["name"] for p in deletion_order(pods, pods)] == [
        "unscheduled", "not-ready", "new-ready", "old-ready"]

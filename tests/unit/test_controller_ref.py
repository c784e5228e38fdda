"""Adoption and release (ControllerRefManager) as every workload controller does it."""
from __future__ import annotations

import pytest

from kubenet.controllers.controller_ref import CannotAdopt, ControllerRefManager
from kubenet.controllers.daemonset import DaemonSetController
from kubenet.controllers.deployment import DeploymentController
from kubenet.controllers.garbagecollector import GarbageCollector
from kubenet.controllers.job import TRACKING_FINALIZER, JobController
from kubenet.controllers.statefulset import StatefulSetController
from tests.unit.controller_harness import Cluster, add_node, pod, replicaset, run
from tests.unit.test_controller_statefulset import statefulset, wait_names


def owners(obj: dict) -> list[tuple[str, str]]:
    return [(r["kind"], r["uid"]) for r in obj["metadata"].get("ownerReferences") or []]


def test_statefulset_adopts_its_orphans_after_an_orphan_delete_and_a_later_delete_removes_them():
    """The issue's repro: `kubectl delete sts web --cascade=orphan`, re-apply, then delete again."""
    async def story():
        async with Cluster(StatefulSetController, GarbageCollector) as c:
            first = await c.client.create("statefulsets.apps", statefulset(replicas=2, policy="Parallel"), "default")
            await wait_names(c, ["web-0", "web-1"])
            uids = {p["metadata"]["name"]: p["metadata"]["uid"] for p in await c.pods()}
            await c.client.delete("statefulsets.apps", "web", "default", propagation_policy="Orphan")

            async def orphaned():
                pods = await c.pods()
                return await c.gone("statefulsets.apps", "web") and all(not owners(p) for p in pods) and len(pods) == 2
            await c.until(orphaned)

            second = await c.client.create("statefulsets.apps", statefulset(replicas=2, policy="Parallel"), "default")
            assert second["metadata"]["uid"] != first["metadata"]["uid"]

            async def adopted():
                pods = await c.pods()
                return all(owners(p) == [("StatefulSet", second["metadata"]["uid"])] for p in pods) and len(pods) == 2
            await c.until(adopted)
            assert {p["metadata"]["name"]: p["metadata"]["uid"] for p in await c.pods()} == uids  # the same Pods
            revisions = await c.list("controllerrevisions.apps")
            assert revisions and all(owners(r) == [("StatefulSet", second["metadata"]["uid"])] for r in revisions)

            await c.client.delete("statefulsets.apps", "web", "default")

            async def collected():
                return not await c.pods()
            await c.until(collected)
    run(story)


def test_release_when_labels_stop_matching_and_leave_other_controllers_pods_alone():
    async def story():
        async with Cluster(StatefulSetController) as c:
            sts = await c.client.create("statefulsets.apps", statefulset(replicas=1, policy="Parallel"), "default")
            await wait_names(c, ["web-0"])
            foreign = pod("web-7", {"app": "web"})
            foreign["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ReplicationController",
                                                       "name": "x", "uid": "other-uid", "controller": True}]
            await c.client.create("pods", foreign, "default")
            not_a_member = await c.client.create("pods", pod("stray", {"app": "web"}), "default")

            web0 = await c.client.get("pods", "web-0", "default")
            web0["metadata"]["labels"]["app"] = "debug"  # taken out of the set by hand
            await c.client.update("pods", web0, "default")

            async def released_and_replaced():
                got = await c.client.get("pods", "web-0", "default")
                return not owners(got) and got
            released = await c.until(released_and_replaced)
            assert released["metadata"]["labels"]["app"] == "debug"
            await c.settle()
            assert owners(await c.client.get("pods", "web-7", "default")) == [("ReplicationController", "other-uid")]
            # `stray` matches the selector but is no `web-<ordinal>`: a StatefulSet never adopts it.
            assert not owners(await c.client.get("pods", "stray", "default"))
            assert not_a_member["metadata"]["uid"]
            assert sts["metadata"]["uid"]
    run(story)


def test_no_adoption_for_an_owner_the_api_shows_as_deleted():
    """canAdopt: the cache (here: the copy given to the manager) may miss the delete; a fresh read does not."""
    async def story():
        async with Cluster() as c:
            rs = replicaset(replicas=0)
            rs["metadata"]["finalizers"] = ["example.com/hold"]  # keeps it visible with a deletionTimestamp
            cached = await c.client.create("replicasets.apps", rs, "default")
            await c.client.create("pods", pod("orphan", {"app": "web"}), "default")
            await c.client.delete("replicasets.apps", "web", "default")
            manager = ControllerRefManager(c.client, cached, "replicasets.apps",
                                           lambda p: p["metadata"]["labels"].get("app") == "web")
            orphan = await c.client.get("pods", "orphan", "default")
            with pytest.raises(CannotAdopt, match=r"can't adopt Pod default/orphan .*has just been deleted at"):
                await manager.claim("pods", [orphan])
            assert not owners(await c.client.get("pods", "orphan", "default"))

            # Same name, another object: "original ... is gone".
            fresh = await c.client.get("replicasets.apps", "web", "default")
            fresh["metadata"]["finalizers"] = []
            await c.client.update("replicasets.apps", fresh, "default")
            await c.client.create("replicasets.apps", replicaset(replicas=0), "default")
            manager = ControllerRefManager(c.client, cached, "replicasets.apps", lambda p: True)
            with pytest.raises(CannotAdopt, match="is gone: got uid"):
                await manager.claim("pods", [orphan])
    run(story)


def test_deployment_adopts_an_orphan_replicaset():
    async def story():
        async with Cluster(DeploymentController) as c:
            orphan_rs = replicaset("web", replicas=2)
            orphan_rs["metadata"]["labels"] = {"app": "web"}  # a Deployment selects ReplicaSets by their own labels
            await c.client.create("replicasets.apps", orphan_rs, "default")
            deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                      "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                               "template": orphan_rs["spec"]["template"]}}
            d = await c.client.create("deployments.apps", deploy, "default")

            async def adopted():
                rs = await c.client.get("replicasets.apps", "web", "default")
                return owners(rs) == [("Deployment", d["metadata"]["uid"])]
            await c.until(adopted)
            names = [rs["metadata"]["name"] for rs in await c.list("replicasets.apps")]
            assert names == ["web"]  # the orphan has the Deployment's template: no second ReplicaSet
    run(story)


def test_daemonset_adopts_an_orphan_then_rolls_it_to_the_current_revision():
    async def story():
        async with Cluster(DaemonSetController) as c:
            await add_node(c.client, "n1")
            orphan = pod("stray", {"app": "agent"})
            orphan["spec"]["nodeName"] = "n1"
            await c.client.create("pods", orphan, "default")
            ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
                  "spec": {"selector": {"matchLabels": {"app": "agent"}},
                           "template": {"metadata": {"labels": {"app": "agent"}},
                                        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
            made = await c.client.create("daemonsets.apps", ds, "default")

            async def adopted():
                got = await c.client.get("pods", "stray", "default")
                return owners(got) == [("DaemonSet", made["metadata"]["uid"])]
            await c.until(adopted)
            # The orphan has no controller-revision-hash: it is an old revision, replaced by the rolling update
            # (upstream IsPodUpdated) once it is gone, so the node never has two daemon Pods.
            async def terminating():
                return (await c.client.get("pods", "stray", "default"))["metadata"].get("deletionTimestamp")
            await c.until(terminating)
            assert len(await c.pods(terminating=True)) == 1
            await c.force_delete("stray")  # what the kubelet does when the container has stopped
            replacement = (await c.wait_for_pods(1))[0]
            assert replacement["metadata"]["name"].startswith("agent-")
    run(story)


def test_job_adoption_adds_the_tracking_finalizer_and_release_removes_it():
    async def story():
        async with Cluster(JobController) as c:
            job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "work"},
                   "spec": {"manualSelector": True, "selector": {"matchLabels": {"app": "work"}}, "parallelism": 1,
                            "completions": 1,
                            "template": {"metadata": {"labels": {"app": "work"}},
                                         "spec": {"restartPolicy": "Never",
                                                  "containers": [{"name": "c", "image": "busybox"}]}}}}
            orphan = pod("early", {"app": "work"})
            orphan["spec"]["restartPolicy"] = "Never"
            await c.client.create("pods", orphan, "default")
            made = await c.client.create("jobs.batch", job, "default")

            async def adopted():
                got = await c.client.get("pods", "early", "default")
                return owners(got) == [("Job", made["metadata"]["uid"])] and got
            got = await c.until(adopted)
            assert TRACKING_FINALIZER in got["metadata"]["finalizers"]
            await c.settle()
            assert [p["metadata"]["name"] for p in await c.pods()] == ["early"]  # parallelism 1 is met

            got["metadata"]["labels"] = {"app": "elsewhere"}
            await c.client.update("pods", got, "default")

            async def released():
                p = await c.client.get("pods", "early", "default")
                return not owners(p) and TRACKING_FINALIZER not in (p["metadata"].get("finalizers") or [])
            await c.until(released)
    run(story)


def test_a_claim_applies_only_to_the_object_it_was_decided_on():
    """Re-made under the same name, or adopted by someone else meanwhile: the patch's tests refuse it."""
    async def story():
        async with Cluster() as c:
            owner = await c.client.create("replicasets.apps", replicaset(replicas=0), "default")
            stale = await c.client.create("pods", pod("p", {"app": "web"}), "default")
            await c.client.delete("pods", "p", "default", grace_period_seconds=0)
            await c.client.create("pods", pod("p", {"app": "web"}), "default")  # same name, another UID
            manager = ControllerRefManager(c.client, owner, "replicasets.apps", lambda p: True)
            assert await manager.claim("pods", [stale]) == []
            assert not owners(await c.client.get("pods", "p", "default"))

            seen = await c.client.get("pods", "p", "default")
            taken = await c.client.get("pods", "p", "default")
            taken["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ReplicationController",
                                                     "name": "x", "uid": "other", "controller": True}]
            await c.client.update("pods", taken, "default")
            assert await manager.claim("pods", [seen]) == []  # it is no orphan any more: never two controllers
            assert owners(await c.client.get("pods", "p", "default")) == [("ReplicationController", "other")]
    run(story)

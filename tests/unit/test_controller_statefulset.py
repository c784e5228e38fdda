"""StatefulSet controller: stable names, ordered start and scale-down, revisions and rolling updates."""
from __future__ import annotations

from kubenet.controllers.statefulset import StatefulSetController
from tests.unit.controller_harness import Cluster, run


def statefulset(name: str = "web", replicas: int = 3, policy: str | None = None, image: str = "nginx",
                partition: int | None = None) -> dict:
    labels = {"app": name}
    spec = {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [{"name": "c", "image": image}]}}}
    if policy:
        spec["podManagementPolicy"] = policy
    if partition is not None:
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name}, "spec": spec}


async def names(c: Cluster) -> list[str]:
    return sorted(p["metadata"]["name"] for p in await c.pods())


async def wait_names(c: Cluster, expected: list[str]) -> None:
    async def match():
        return await names(c) == expected
    match.__name__ = f"pods == {expected}"
    await c.until(match)


def test_ordered_start_stable_names_and_status():
    async def story():
        async with Cluster(StatefulSetController) as c:
            await c.client.create("statefulsets.apps", statefulset(), "default")
            await wait_names(c, ["web-0"])
            await c.settle()
            assert await names(c) == ["web-0"]  # web-1 waits for web-0 to be Running and Ready
            web0 = (await c.pods())[0]
            labels = web0["metadata"]["labels"]
            assert labels["statefulset.kubernetes.io/pod-name"] == "web-0"
            assert labels["apps.kubernetes.io/pod-index"] == "0"
            assert labels["app"] == "web"
            assert web0["spec"]["hostname"] == "web-0" and web0["spec"]["subdomain"] == "web"
            assert web0["metadata"]["ownerReferences"][0]["kind"] == "StatefulSet"
            revision = labels["controller-revision-hash"]
            assert revision.startswith("web-")
            revisions = await c.list("controllerrevisions.apps")
            assert [r["metadata"]["name"] for r in revisions] == [revision]
            assert revisions[0]["revision"] == 1
            created = await c.events("SuccessfulCreate")
            assert [e["message"] for e in created] == ["create Pod web-0 in StatefulSet web successful"]

            await c.set_pod_status("web-0")
            await wait_names(c, ["web-0", "web-1"])
            await c.set_pod_status("web-1")
            await wait_names(c, ["web-0", "web-1", "web-2"])
            await c.set_pod_status("web-2")

            async def all_ready():
                sts = await c.client.get("statefulsets.apps", "web", "default")
                return sts["status"].get("readyReplicas") == 3 and sts["status"]
            status = await c.until(all_ready)
            assert status == {"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "currentReplicas": 3,
                              "updatedReplicas": 3, "availableReplicas": 3, "currentRevision": revision,
                              "updateRevision": revision, "collisionCount": 0}
    run(story)


def test_scale_down_from_highest_and_replace_deleted_pod():
    async def story():
        async with Cluster(StatefulSetController) as c:
            await c.client.create("statefulsets.apps", statefulset(policy="Parallel"), "default")
            await wait_names(c, ["web-0", "web-1", "web-2"])  # Parallel: no waiting for readiness
            old_uid = (await c.client.get("pods", "web-1", "default"))["metadata"]["uid"]
            await c.client.delete("pods", "web-1", "default")

            async def replaced():
                p = [p for p in await c.pods() if p["metadata"]["name"] == "web-1"]
                return p and p[0]["metadata"]["uid"] != old_uid
            await c.until(replaced)

            sts = await c.client.get("statefulsets.apps", "web", "default")
            sts["spec"]["replicas"] = 1
            sts["spec"]["podManagementPolicy"] = "Parallel"
            await c.client.update("statefulsets.apps", sts, "default")
            await wait_names(c, ["web-0"])
            deleted = [e["message"] for e in await c.events("SuccessfulDelete")]
            assert "delete Pod web-2 in StatefulSet web successful" in deleted
    run(story)


def test_ordered_scale_down_one_at_a_time():
    async def story():
        async with Cluster(StatefulSetController) as c:
            await c.client.create("statefulsets.apps", statefulset(), "default")
            for i in range(3):
                await wait_names(c, [f"web-{j}" for j in range(i + 1)])
                await c.set_pod_status(f"web-{i}", node="kn-worker")
            sts = await c.client.get("statefulsets.apps", "web", "default")
            sts["spec"]["replicas"] = 1
            await c.client.update("statefulsets.apps", sts, "default")

            async def web2_terminating():
                p = await c.client.get("pods", "web-2", "default")
                return p["metadata"].get("deletionTimestamp")
            await c.until(web2_terminating)
            await c.settle()
            assert await names(c) == ["web-0", "web-1"]  # web-1 waits until web-2 is really gone
            await c.force_delete("web-2")
            await wait_names(c, ["web-0"])  # web-1 terminating now
    run(story)


def test_rolling_update_from_highest_ordinal_honours_partition():
    async def story():
        async with Cluster(StatefulSetController) as c:
            await c.client.create("statefulsets.apps", statefulset(partition=1), "default")
            for i in range(3):
                await wait_names(c, [f"web-{j}" for j in range(i + 1)])
                await c.set_pod_status(f"web-{i}")
            old = (await c.client.get("pods", "web-0", "default"))["metadata"]["labels"]["controller-revision-hash"]
            sts = await c.client.get("statefulsets.apps", "web", "default")
            sts["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
            await c.client.update("statefulsets.apps", sts, "default")

            async def revision_of(name):
                p = await c.client.get("pods", name, "default")
                return p["metadata"]["labels"]["controller-revision-hash"], p

            async def web2_updated():
                rev, p = await revision_of("web-2")
                return rev != old and p
            web2 = await c.until(web2_updated)
            assert web2["spec"]["containers"][0]["image"] == "nginx:1.27"
            assert (await revision_of("web-1"))[0] == old  # one at a time, from the top
            await c.set_pod_status("web-2")

            async def web1_updated():
                return (await revision_of("web-1"))[0] != old
            await c.until(web1_updated)
            await c.set_pod_status("web-1")
            await c.settle()
            assert (await revision_of("web-0"))[0] == old  # below the partition
            sts = await c.client.get("statefulsets.apps", "web", "default")
            assert sts["status"]["updatedReplicas"] == 2
            assert sts["status"]["currentRevision"] == old != sts["status"]["updateRevision"]
            assert len(await c.list("controllerrevisions.apps")) == 2
    run(story)

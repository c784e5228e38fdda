"""Deployment controller: ReplicaSets per template, rolling/recreate rollouts, rollback, status as kubectl reads it."""
from __future__ import annotations

import asyncio
import contextlib
import copy
import re

from kubenet.api.errors import APIError
from kubenet.controllers.deployment import DeploymentController
from kubenet.controllers.deployment_util import REVISION, compute_hash, max_surge, max_unavailable, safe_encode
from kubenet.controllers.replicaset import ReplicaSetController
from kubenet.store import prefix_key
from tests.unit.controller_harness import Cluster


def deployment(name: str = "web", replicas: int = 4, image: str = "nginx:1.25", **spec) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "web", "image": image}]}}, **spec}}


class Kubelet:
    """Stands in for the kubelets: every live Pod becomes Ready; records what a watcher would have seen."""

    def __init__(self, cluster: Cluster, ready: bool = True):
        self.cluster = cluster
        self.ready = ready
        self.max_pods = 0
        self.min_ready_after_start: int | None = None
        self.task: asyncio.Task | None = None

    async def _loop(self):
        # Wakes on every Pod write (a store watch), as a kubelet's informer would.
        pod_writes = self.cluster.store.watch(prefix_key("", "pods"))
        try:
            while True:
                await self._pass()
                await pod_writes.next()
                while pod_writes.get_nowait() is not None:
                    pass  # the next pass reads them all
        finally:
            pod_writes.close()

    async def _pass(self):
        pods = await self.cluster.pods()
        self.max_pods = max(self.max_pods, len(pods))
        ready = [p for p in pods if any(c["type"] == "Ready" and c["status"] == "True"
                                        for c in p["status"].get("conditions") or [])]
        if self.min_ready_after_start is not None:
            self.min_ready_after_start = min(self.min_ready_after_start, len(ready))
        for p in pods:
            if self.ready and p not in ready:
                with contextlib.suppress(APIError):  # the Pod may be gone meanwhile
                    await self.cluster.mark_ready(p)

    def start(self):
        self.task = asyncio.create_task(self._loop())

    async def stop(self):
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def replicasets(c: Cluster) -> dict[str, dict]:
    items, _ = await c.client.list("replicasets.apps", "default")
    return {rs["metadata"]["name"]: rs for rs in items}


async def rollout_done(c: Cluster, name: str = "web") -> dict | None:
    """What `kubectl rollout status` checks."""
    d = await c.client.get("deployments.apps", name, "default")
    s = d.get("status") or {}
    want = d["spec"]["replicas"]
    if s.get("observedGeneration", 0) >= d["metadata"]["generation"] and s.get("updatedReplicas") == want and \
            s.get("replicas") == want and s.get("availableReplicas", 0) >= want:
        return d
    return None


def condition(d: dict, ctype: str) -> dict:
    return next(c for c in d["status"]["conditions"] if c["type"] == ctype)


def test_hash_is_stable_and_uses_the_safe_alphabet():
    t = deployment()["spec"]["template"]
    h = compute_hash(t)
    assert h == compute_hash(copy.deepcopy(t))
    assert re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]{6,10}", h)
    assert compute_hash(t, 1) != h
    assert safe_encode("123") == "567"  # '1' is byte 49, 49 % 27 = 22 -> '5'


def test_surge_rounds_up_and_unavailable_rounds_down():
    d = deployment(replicas=10, strategy={"type": "RollingUpdate",
                                          "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    assert (max_surge(d), max_unavailable(d)) == (3, 2)
    d["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": 0, "maxUnavailable": "10%"}
    d["spec"]["replicas"] = 5
    assert (max_surge(d), max_unavailable(d)) == (0, 1)  # both zero would deadlock: one may be unavailable
    d["spec"]["strategy"] = {"type": "Recreate"}
    assert (max_surge(d), max_unavailable(d)) == (0, 0)


def test_create_rolling_update_and_rollback():
    async def story():
        async with Cluster(DeploymentController, ReplicaSetController) as c:
            kubelet = Kubelet(c)
            kubelet.start()
            await c.client.create("deployments.apps", deployment(), "default")
            d = await c.until(lambda: rollout_done(c))
            (first,) = (await replicasets(c)).values()
            rs1 = first["metadata"]["name"]
            assert rs1 == f"web-{first['spec']['template']['metadata']['labels']['pod-template-hash']}"
            assert first["metadata"]["annotations"][REVISION] == "1"
            assert first["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "4"
            assert first["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == "5"
            assert first["spec"]["selector"]["matchLabels"]["pod-template-hash"]
            assert d["metadata"]["annotations"][REVISION] == "1"
            assert all(p["metadata"]["labels"]["pod-template-hash"] == rs1.split("-")[1] for p in await c.pods())
            assert condition(d, "Available")["reason"] == "MinimumReplicasAvailable"
            assert condition(d, "Progressing")["reason"] == "NewReplicaSetAvailable"
            assert condition(d, "Progressing")["message"] == f'ReplicaSet "{rs1}" has successfully progressed.'
            events = [e["message"] for e in await c.events("ScalingReplicaSet")]
            assert events == [f"Scaled up replica set {rs1} to 4"]

            # kubectl set image: a second ReplicaSet, rolled out within maxSurge 1 / maxUnavailable 1.
            kubelet.max_pods, kubelet.min_ready_after_start = 0, 4
            d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
            await c.client.update("deployments.apps", d, "default")

            async def second_rollout():
                done = await rollout_done(c)
                return done if done and done["metadata"]["generation"] == 2 else None
            d = await c.until(second_rollout)
            rss = await replicasets(c)
            assert len(rss) == 2
            rs2 = next(n for n in rss if n != rs1)
            assert rss[rs2]["metadata"]["annotations"][REVISION] == "2"
            assert rss[rs1]["spec"]["replicas"] == 0 and rss[rs2]["spec"]["replicas"] == 4
            assert kubelet.max_pods <= 5  # replicas + maxSurge
            assert kubelet.min_ready_after_start >= 3  # replicas - maxUnavailable
            s = d["status"]
            assert (s["replicas"], s["updatedReplicas"], s["readyReplicas"], s["availableReplicas"]) == (4, 4, 4, 4)
            assert s.get("unavailableReplicas", 0) == 0 and s["observedGeneration"] == 2
            assert d["metadata"]["annotations"][REVISION] == "2"
            events = [e["message"] for e in await c.events("ScalingReplicaSet")]
            assert f"Scaled up replica set {rs2} to 1" in events
            assert any(m.startswith(f"Scaled down replica set {rs1} to ") and m.endswith(" from 4") for m in events)
            assert f"Scaled down replica set {rs1} to 0 from 1" in events or \
                f"Scaled down replica set {rs1} to 0 from 2" in events

            # kubectl rollout undo: a JSON patch of /spec/template back to the first ReplicaSet's.
            template = copy.deepcopy(rss[rs1]["spec"]["template"])
            del template["metadata"]["labels"]["pod-template-hash"]
            await c.client.patch("deployments.apps", "web", [{"op": "replace", "path": "/spec/template",
                                                              "value": template}], "default", patch_type="json")

            async def rolled_back():
                done = await rollout_done(c)
                return done if done and done["metadata"]["generation"] == 3 else None
            d = await c.until(rolled_back)
            rss = await replicasets(c)
            assert sorted(rss) == sorted([rs1, rs2])  # no third ReplicaSet
            assert rss[rs1]["metadata"]["annotations"][REVISION] == "3"
            assert rss[rs1]["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
            assert rss[rs1]["spec"]["replicas"] == 4 and rss[rs2]["spec"]["replicas"] == 0
            assert d["metadata"]["annotations"][REVISION] == "3"
            await kubelet.stop()
    asyncio.run(story())


def test_recreate_scales_old_to_zero_before_new():
    async def story():
        async with Cluster(DeploymentController, ReplicaSetController) as c:
            kubelet = Kubelet(c)
            kubelet.start()
            await c.client.create("deployments.apps", deployment(replicas=2, strategy={"type": "Recreate"}),
                                  "default")
            d = await c.until(lambda: rollout_done(c))
            d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
            kubelet.max_pods = 0
            await c.client.update("deployments.apps", d, "default")

            async def second():
                done = await rollout_done(c)
                return done if done and done["metadata"]["generation"] == 2 else None
            await c.until(second)
            assert kubelet.max_pods <= 2  # never old and new Pods together
            events = [e["message"] for e in await c.events("ScalingReplicaSet")]
            assert any(m.startswith("Scaled down replica set web-") and m.endswith("to 0 from 2") for m in events)
            await kubelet.stop()
    asyncio.run(story())


def test_scaling_pause_and_history_limit():
    async def story():
        async with Cluster(DeploymentController, ReplicaSetController) as c:
            kubelet = Kubelet(c)
            kubelet.start()
            await c.client.create("deployments.apps", deployment(replicas=2, revisionHistoryLimit=1), "default")
            d = await c.until(lambda: rollout_done(c))
            for image in ("nginx:2", "nginx:3"):
                d["spec"]["template"]["spec"]["containers"][0]["image"] = image
                d = await c.client.update("deployments.apps", d, "default")
                gen = d["metadata"]["generation"]

                async def done(gen=gen):
                    got = await rollout_done(c)
                    return got if got and got["metadata"]["generation"] == gen else None
                d = await c.until(done)

            async def pruned():
                rss = await replicasets(c)
                return rss if len(rss) == 2 else None
            rss = await c.until(pruned)  # the revision-1 ReplicaSet is gone, one old one kept
            assert sorted(rs["metadata"]["annotations"][REVISION] for rs in rss.values()) == ["2", "3"]

            d["spec"]["paused"] = True
            d = await c.client.update("deployments.apps", d, "default")

            async def paused():
                got = await c.client.get("deployments.apps", "web", "default")
                return got if condition(got, "Progressing")["reason"] == "DeploymentPaused" else None
            d = await c.until(paused)
            assert condition(d, "Progressing")["status"] == "Unknown"
            # Paused: a template change makes no new ReplicaSet, but scaling still happens.
            d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:4"
            d["spec"]["replicas"] = 3
            await c.client.update("deployments.apps", d, "default")

            async def three():
                return len(await c.pods()) == 3
            await c.until(three)
            # No ReplicaSet for the new template (paused cleanup may still prune the oldest, as a real one does).
            assert set(await replicasets(c)) <= set(rss)
            events = [e["message"] for e in await c.events("ScalingReplicaSet")]
            assert any(m.endswith("to 3 from 2") and m.startswith("Scaled up") for m in events)
            await kubelet.stop()
    asyncio.run(story())


def test_progress_deadline_exceeded():
    async def story():
        async with Cluster(DeploymentController, ReplicaSetController) as c:
            await c.client.create("deployments.apps", deployment(replicas=1, progressDeadlineSeconds=1), "default")

            async def timed_out():
                d = await c.client.get("deployments.apps", "web", "default")
                conds = {x["type"]: x for x in (d.get("status") or {}).get("conditions") or []}
                p = conds.get("Progressing")
                return d if p and p["reason"] == "ProgressDeadlineExceeded" else None
            d = await c.until(timed_out, timeout=8)
            rs = next(iter((await replicasets(c)).values()))["metadata"]["name"]
            p = condition(d, "Progressing")
            assert p["status"] == "False" and p["message"] == f'ReplicaSet "{rs}" has timed out progressing.'
            a = condition(d, "Available")
            assert (a["status"], a["reason"]) == ("False", "MinimumReplicasUnavailable")
            assert a["message"] == "Deployment does not have minimum availability."
    asyncio.run(story())

"""Scheduler: filters with the real FailedScheduling messages, scoring, binding and retries."""
from __future__ import annotations

import asyncio

from kubenet.api.scheduling import pod_matches_node, tolerates
from kubenet.scheduler.filters import NodeState, pod_requests
from tests.unit.controller_harness import Cluster


def node(name: str, ready: bool = True, labels: dict | None = None, taints: list | None = None,
         cpu: str = "4", memory: str = "8Gi", pods: str = "110") -> dict:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": {"taints": taints or []},
            "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": pods},
                       "capacity": {"cpu": cpu, "memory": memory, "pods": pods},
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                       "reason": "KubeletReady" if ready else "KubeletNotReady"}]}}


def pod(name: str, cpu: str | None = None, host_port: int | None = None, owner_uid: str | None = None,
        **spec) -> dict:
    container = {"name": "c", "image": "nginx"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    if host_port:
        container["ports"] = [{"containerPort": 80, "hostPort": host_port}]
    meta = {"name": name, "labels": {"app": "web"}}
    if owner_uid:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": owner_uid,
                                    "controller": True}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": [container], **spec}}


def test_binds_and_reports_scheduled():
    async def story():
        async with Cluster(nodes=[node("kubenet-worker")], scheduler=True) as c:
            await c.client.create("pods", pod("web-1"), "default")
            assert await c.until(lambda: c.bound("web-1")) == "kubenet-worker"
            (event,) = await c.until(lambda: c.events("Scheduled", involved="web-1"))
            assert event["message"] == "Successfully assigned default/web-1 to kubenet-worker"
            assert event["source"]["component"] == "default-scheduler" and event["type"] == "Normal"
            p = await c.client.get("pods", "web-1", "default")
            cond = next(x for x in p["status"]["conditions"] if x["type"] == "PodScheduled")
            assert cond["status"] == "True"
    asyncio.run(story())


def test_failed_scheduling_message_condition_and_retry_when_a_node_changes():
    async def story():
        async with Cluster(nodes=[node("kubenet-worker", labels={"disk": "hdd"}), node("kubenet-worker2", ready=False)],
                           scheduler=True) as c:
            await c.client.create("pods", pod("web-1", nodeSelector={"disk": "ssd"}), "default")
            expected = ("0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
                        "1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/2 nodes "
                        "are available: 2 Preemption is not helpful for scheduling.")
            cond = await c.until(lambda: c.unschedulable("web-1"))
            assert (cond["reason"], cond["message"]) == ("Unschedulable", expected)
            (event,) = await c.until(lambda: c.events("FailedScheduling", involved="web-1"))
            assert event["type"] == "Warning" and event["message"] == expected

            # The user labels the node: the Pending Pod is retried and lands there.
            n = await c.client.get("nodes", "kubenet-worker")
            n["metadata"]["labels"]["disk"] = "ssd"
            await c.client.update("nodes", n)
            assert await c.until(lambda: c.bound("web-1")) == "kubenet-worker"
    asyncio.run(story())


def test_resources_ports_and_unschedulable_nodes():
    async def story():
        gpu_taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
        nodes = [node("kubenet-worker", cpu="1"), node("kubenet-worker2", cpu="8", taints=[gpu_taint])]
        async with Cluster(nodes=nodes, scheduler=True) as c:
            await c.client.create("pods", pod("big", cpu="2"), "default")
            cond = await c.until(lambda: c.unschedulable("big"))
            assert cond["message"] == (
                "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}. "
                "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, "
                "1 Preemption is not helpful for scheduling.")

            await c.client.create("pods", pod("port-a", cpu="100m", host_port=8080), "default")
            assert await c.until(lambda: c.bound("port-a")) == "kubenet-worker"
            await c.client.create("pods", pod("port-b", cpu="100m", host_port=8080), "default")
            cond = await c.until(lambda: c.unschedulable("port-b"))
            assert cond["message"].startswith(
                "0/2 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, "
                "1 node(s) had untolerated taint {dedicated: gpu}.")

            # Cordon: `kubectl cordon` sets spec.unschedulable.
            n = await c.client.get("nodes", "kubenet-worker")
            n["spec"]["unschedulable"] = True
            await c.client.update("nodes", n)
            await c.client.create("pods", pod("late"), "default")

            async def cordoned():
                cond = await c.unschedulable("late")
                return cond and "1 node(s) were unschedulable" in cond["message"]
            await c.until(cordoned)

            # A toleration for the taint opens the other node.
            await c.client.create("pods", pod("tolerant", cpu="2", tolerations=[
                {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]), "default")
            assert await c.until(lambda: c.bound("tolerant")) == "kubenet-worker2"
    asyncio.run(story())


def test_pods_of_one_owner_spread_over_nodes():
    async def story():
        async with Cluster(nodes=[node("kubenet-worker"), node("kubenet-worker2")], scheduler=True) as c:
            for i in range(4):
                await c.client.create("pods", pod(f"web-{i}", cpu="100m", owner_uid="rs-uid"), "default")

            async def all_bound():
                nodes = [await c.bound(f"web-{i}") for i in range(4)]
                return nodes if all(nodes) else None
            nodes = await c.until(all_bound)
            assert sorted(nodes) == ["kubenet-worker", "kubenet-worker", "kubenet-worker2", "kubenet-worker2"]
    asyncio.run(story())


def test_no_nodes():
    async def story():
        async with Cluster(scheduler=True) as c:
            await c.client.create("pods", pod("web-1"), "default")
            cond = await c.until(lambda: c.unschedulable("web-1"))
            assert cond["message"] == "no nodes available to schedule pods"
    asyncio.run(story())


def test_node_affinity_operators_and_tolerations():
    n = node("kubenet-worker", labels={"zone": "a", "gen": "5"})

    def fits(**affinity_term) -> bool:
        p = pod("p", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [affinity_term]}}})
        return pod_matches_node(p["spec"], n)
    assert fits(matchExpressions=[{"key": "zone", "operator": "In", "values": ["a", "b"]}])
    assert not fits(matchExpressions=[{"key": "zone", "operator": "NotIn", "values": ["a"]}])
    assert fits(matchExpressions=[{"key": "gen", "operator": "Gt", "values": ["4"]},
                                  {"key": "gen", "operator": "Lt", "values": ["6"]}])
    assert fits(matchExpressions=[{"key": "gpu", "operator": "DoesNotExist"}])
    assert not fits(matchExpressions=[{"key": "gpu", "operator": "Exists"}])
    assert fits(matchFields=[{"key": "metadata.name", "operator": "In", "values": ["kubenet-worker"]}])
    assert not fits()  # an empty term matches nothing
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    assert tolerates({"operator": "Exists"}, taint)
    assert tolerates({"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}, taint)
    assert not tolerates({"key": "dedicated", "value": "cpu"}, taint)
    assert not tolerates({"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}, taint)
    init = pod("p", cpu="500m")
    init["spec"]["initContainers"] = [{"name": "i", "image": "busybox", "resources": {"requests": {"cpu": "2"}}}]
    assert pod_requests(init)["cpu"] == 2000
    assert NodeState(n).name == "kubenet-worker"


def test_retried_when_a_bound_pod_goes():
    async def story():
        async with Cluster(nodes=[node("kubenet-worker", pods="1")], scheduler=True) as c:
            await c.client.create("pods", pod("first"), "default")
            await c.until(lambda: c.bound("first"))
            await c.client.create("pods", pod("second"), "default")
            cond = await c.until(lambda: c.unschedulable("second"))
            assert cond["message"] == ("0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are "
                                       "available: 1 No preemption victims found for incoming pod.")
            await c.client.delete("pods", "first", "default", grace_period_seconds=0)
            assert await c.until(lambda: c.bound("second")) == "kubenet-worker"
    asyncio.run(story())

"""Node lifecycle controller: a node whose kubelet stops renewing its Lease goes Unknown, gets tainted, and
its Pods are evicted as their tolerations allow; a node that comes back is untainted."""
from __future__ import annotations

import datetime as dt

from kubenet.controllers.nodelifecycle import NodeLifecycleController
from tests.unit.controller_harness import Cluster, add_node, pod, run


class Clocks:
    def __init__(self) -> None:
        self.mono = 1000.0
        self.wall = dt.datetime.now(dt.UTC)

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += dt.timedelta(seconds=seconds)


def controller(clocks: Clocks, grace: float = 40.0):
    return (NodeLifecycleController, {"grace_period": grace, "monitor_period": 0.02,
                                      "clock": lambda: clocks.mono, "wall_clock": lambda: clocks.wall})


async def renew_lease(c: Cluster, node: str, clocks: Clocks) -> None:
    stamp = clocks.wall.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": node, "namespace": "kube-node-lease"},
             "spec": {"holderIdentity": node, "leaseDurationSeconds": 40, "renewTime": stamp}}
    try:
        current = await c.client.get("leases.coordination.k8s.io", node, "kube-node-lease")
    except Exception:  # noqa: BLE001 - first renewal creates it
        await c.client.create("leases.coordination.k8s.io", lease, "kube-node-lease")
        return
    current["spec"] = lease["spec"]
    await c.client.update("leases.coordination.k8s.io", current, "kube-node-lease")


def taints(node: dict) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in node["spec"].get("taints") or []}


def ready_condition(obj: dict) -> dict:
    return next(x for x in obj["status"]["conditions"] if x["type"] == "Ready")


def test_missed_lease_makes_node_unknown_and_evicts_pods():
    clocks = Clocks()

    async def story():
        async with Cluster(controller(clocks), namespaces=("default", "kube-node-lease")) as c:
            await add_node(c.client, "kn-worker")
            await renew_lease(c, "kn-worker", clocks)
            plain = pod("plain", {"app": "x"})
            # Admission gives "plain" the default 300 s tolerations for not-ready and unreachable.
            hasty = pod("hasty", {"app": "x"})
            hasty["spec"]["tolerations"] = [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                             "effect": "NoExecute", "tolerationSeconds": 0}]
            forever = pod("forever", {"app": "x"})
            forever["spec"]["tolerations"] = [{"operator": "Exists"}]
            for p in (plain, hasty, forever):
                await c.client.create("pods", p, "default")
                await c.set_pod_status(p["metadata"]["name"], ip="10.244.1.9", node="kn-worker")

            async def registered():
                return await c.events("RegisteredNode")
            (ev,) = await c.until(registered)
            assert ev["message"] == "Node kn-worker event: Registered Node kn-worker in Controller"
            await c.settle()
            assert ready_condition(await c.client.get("nodes", "kn-worker"))["status"] == "True"

            clocks.advance(30)
            await renew_lease(c, "kn-worker", clocks)  # still alive
            await c.settle()  # liveness counts from when the controller sees the renewal
            clocks.advance(30)
            await c.settle()
            assert ready_condition(await c.client.get("nodes", "kn-worker"))["status"] == "True"

            clocks.advance(15)  # 45 s since the last renewal: past the grace period

            async def unknown():
                node = await c.client.get("nodes", "kn-worker")
                return ready_condition(node)["status"] == "Unknown" and \
                    ("node.kubernetes.io/unreachable", "NoExecute") in taints(node) and node
            node = await c.until(unknown)
            cond = ready_condition(node)
            assert (cond["reason"], cond["message"]) == ("NodeStatusUnknown", "Kubelet stopped posting node status.")
            assert {x["status"] for x in node["status"]["conditions"]} == {"Unknown"}
            assert taints(node) == {("node.kubernetes.io/unreachable", "NoSchedule"),
                                    ("node.kubernetes.io/unreachable", "NoExecute")}
            assert [e["message"] for e in await c.events("NodeNotReady")
                    if e["involvedObject"]["kind"] == "Node"] == ["Node kn-worker status is now: NodeNotReady"]

            async def hasty_evicted():
                p = await c.client.get("pods", "hasty", "default")
                return p["metadata"].get("deletionTimestamp") and p
            evicted = await c.until(hasty_evicted)
            kinds = {x["type"]: x for x in evicted["status"]["conditions"]}
            assert kinds["DisruptionTarget"]["reason"] == "DeletionByTaintManager"
            assert kinds["Ready"]["status"] == "False"
            assert [e["message"] for e in await c.events("TaintManagerEviction")] == \
                ["Marking for deletion Pod default/hasty"]
            plain_pod = await c.client.get("pods", "plain", "default")
            assert not plain_pod["metadata"].get("deletionTimestamp")
            assert ready_condition(plain_pod)["status"] == "False"  # marked not ready with its node

            clocks.advance(301)
            c.controllers[0].queue.add("kn-worker")

            async def plain_evicted():
                p = await c.client.get("pods", "plain", "default")
                return p["metadata"].get("deletionTimestamp")
            await c.until(plain_evicted)
            assert not (await c.client.get("pods", "forever", "default"))["metadata"].get("deletionTimestamp")

            # The kubelet comes back: renews its Lease and posts Ready.
            await renew_lease(c, "kn-worker", clocks)
            node = await c.client.get("nodes", "kn-worker")
            ready_condition(node).update({"status": "True", "reason": "KubeletReady",
                                          "message": "kubelet is posting ready status",
                                          "lastHeartbeatTime": clocks.wall.strftime("%Y-%m-%dT%H:%M:%SZ")})
            await c.client.update("nodes", node, subresource="status")

            async def untainted():
                return not taints(await c.client.get("nodes", "kn-worker"))
            await c.until(untainted)
    run(story)


def test_kubelet_reporting_not_ready_gets_not_ready_taints():
    clocks = Clocks()

    async def story():
        async with Cluster(controller(clocks), namespaces=("default", "kube-node-lease")) as c:
            await add_node(c.client, "kn-worker", ready=False,
                           taints=[{"key": "example.com/special", "effect": "NoSchedule"}])
            await renew_lease(c, "kn-worker", clocks)

            async def tainted():
                node = await c.client.get("nodes", "kn-worker")
                return len(taints(node)) == 3 and node
            node = await c.until(tainted)
            assert taints(node) == {("example.com/special", "NoSchedule"),
                                    ("node.kubernetes.io/not-ready", "NoSchedule"),
                                    ("node.kubernetes.io/not-ready", "NoExecute")}
            assert ready_condition(node)["status"] == "False"  # the kubelet's word stands
            no_execute = next(t for t in node["spec"]["taints"] if t["effect"] == "NoExecute")
            assert no_execute["timeAdded"]

            node["spec"]["unschedulable"] = True  # kubectl cordon
            await c.client.update("nodes", node)

            async def cordoned():
                return ("node.kubernetes.io/unschedulable", "NoSchedule") in taints(
                    await c.client.get("nodes", "kn-worker"))
            await c.until(cordoned)

            await c.client.delete("nodes", "kn-worker")

            async def removed():
                return await c.events("RemovingNode")
            (ev,) = await c.until(removed)
            assert ev["message"] == "Node kn-worker event: Removing Node kn-worker from Controller"
    run(story)

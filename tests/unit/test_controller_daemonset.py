"""DaemonSet controller: one Pod per eligible node, pinned by node affinity, rolled node by node."""
from __future__ import annotations

from kubenet.controllers.daemonset import DaemonSetController, target_node
from tests.unit.controller_harness import Cluster, add_node, run


def daemonset(name: str = "agent", node_selector: dict | None = None, image: str = "busybox") -> dict:
    labels = {"app": name}
    pod_spec: dict = {"containers": [{"name": "c", "image": image}]}
    if node_selector:
        pod_spec["nodeSelector"] = node_selector
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": pod_spec}}}


async def pods_by_node(c: Cluster) -> dict[str, dict]:
    return {target_node(p): p for p in await c.pods()}


def test_one_pod_per_eligible_node_with_node_affinity():
    async def story():
        async with Cluster(DaemonSetController) as c:
            await add_node(c.client, "kn-control-plane",
                           taints=[{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}])
            await add_node(c.client, "kn-worker")
            await add_node(c.client, "kn-worker2", ready=False,
                           taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}])
            await add_node(c.client, "kn-worker3", ready=False,
                           taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}])
            await c.client.create("daemonsets.apps", daemonset(), "default")

            async def two():
                by_node = await pods_by_node(c)
                return by_node if len(by_node) == 2 else None
            by_node = await c.until(two)
            await c.settle()
            assert len(await c.pods()) == 2
            # Not tolerated: the control plane's taint and not-ready:NoSchedule (only CNI-like daemons with
            # `operator: Exists` run there); tolerated: not-ready:NoExecute, so daemons survive node trouble.
            assert set(by_node) == {"kn-worker", "kn-worker2"}
            agent = by_node["kn-worker"]
            assert agent["metadata"]["name"].startswith("agent-")
            assert "nodeName" not in agent["spec"]  # the scheduler binds it
            assert agent["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
                "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                        "values": ["kn-worker"]}]}]}
            keys = {(t["key"], t["effect"]) for t in agent["spec"]["tolerations"]}
            assert ("node.kubernetes.io/unreachable", "NoExecute") in keys
            assert ("node.kubernetes.io/not-ready", "NoExecute") in keys
            assert ("node.kubernetes.io/disk-pressure", "NoSchedule") in keys
            hash_ = agent["metadata"]["labels"]["controller-revision-hash"]
            revisions = await c.list("controllerrevisions.apps")
            assert [r["metadata"]["name"] for r in revisions] == [f"agent-{hash_}"]
            created = [e["message"] for e in await c.events("SuccessfulCreate")]
            assert sorted(created) == sorted(f"Created pod: {p['metadata']['name']}" for p in by_node.values())

            await c.set_pod_status(agent["metadata"]["name"], node="kn-worker")

            async def status():
                ds = await c.client.get("daemonsets.apps", "agent", "default")
                return ds["status"].get("numberReady") == 1 and ds["status"]
            st = await c.until(status)
            assert st["desiredNumberScheduled"] == 2 and st["currentNumberScheduled"] == 2
            assert st["numberAvailable"] == 1 and st["numberUnavailable"] == 1
            assert st["updatedNumberScheduled"] == 2 and st["numberMisscheduled"] == 0
            assert st["observedGeneration"] == 1
    run(story)


def test_node_selector_follows_node_labels():
    async def story():
        async with Cluster(DaemonSetController) as c:
            await add_node(c.client, "kn-worker", labels={"disk": "ssd"})
            await add_node(c.client, "kn-worker2")
            await c.client.create("daemonsets.apps", daemonset(node_selector={"disk": "ssd"}), "default")

            async def on(nodes):
                async def check():
                    return set(await pods_by_node(c)) == nodes
                check.__name__ = f"daemon pods on {nodes}"
                return check
            await c.until(await on({"kn-worker"}))

            node = await c.client.get("nodes", "kn-worker2")
            node["metadata"]["labels"]["disk"] = "ssd"
            await c.client.update("nodes", node)
            await c.until(await on({"kn-worker", "kn-worker2"}))

            node = await c.client.get("nodes", "kn-worker")
            del node["metadata"]["labels"]["disk"]
            await c.client.update("nodes", node)
            await c.until(await on({"kn-worker2"}))
            assert await c.events("SuccessfulDelete")
    run(story)


def test_rolling_update_replaces_one_node_at_a_time():
    async def story():
        async with Cluster(DaemonSetController) as c:
            for n in ("kn-worker", "kn-worker2", "kn-worker3"):
                await add_node(c.client, n)
            await c.client.create("daemonsets.apps", daemonset(), "default")

            async def three():
                by_node = await pods_by_node(c)
                return by_node if len(by_node) == 3 else None
            by_node = await c.until(three)
            for p in by_node.values():
                await c.set_pod_status(p["metadata"]["name"])
            old_hash = next(iter(by_node.values()))["metadata"]["labels"]["controller-revision-hash"]
            ds = await c.client.get("daemonsets.apps", "agent", "default")
            ds["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1.36"
            await c.client.update("daemonsets.apps", ds, "default")

            async def one_new():
                pods = await c.pods()
                new = [p for p in pods if p["metadata"]["labels"]["controller-revision-hash"] != old_hash]
                return new if len(new) == 1 and len(pods) == 3 else None
            (new,) = await c.until(one_new)
            await c.settle()
            pods = await c.pods()
            # maxUnavailable 1: the second old Pod waits until the new one is available.
            assert sum(p["metadata"]["labels"]["controller-revision-hash"] == old_hash for p in pods) == 2
            await c.set_pod_status(new["metadata"]["name"])

            async def two_new():
                pods = await c.pods()
                return sum(p["metadata"]["labels"]["controller-revision-hash"] != old_hash for p in pods) == 2
            await c.until(two_new)
    run(story)

"""Node lifecycle controller: notice dead kubelets, taint their nodes, evict what does not tolerate it.

Follows pkg/controller/nodelifecycle and the taint-eviction controller. A kubelet proves it is alive by
renewing its Lease in kube-node-lease (and by posting node status); when neither has changed for the grace
period (node-monitor-grace-period, 50 s since 1.32) every node condition becomes Unknown with reason
NodeStatusUnknown, the node's Pods are marked not Ready, and the node gets the `unreachable` taints
(`not-ready` ones when the kubelet itself reports Ready=False). Pods that do not tolerate a NoExecute taint
are deleted, those with tolerationSeconds once that time has passed. Liveness is judged by when *we* saw a
heartbeat change, not by the timestamps in it, so clock skew between nodes does not matter.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable

from kubenet.api import podutil
from kubenet.api.errors import APIError
from kubenet.api.meta import format_time, get_condition, parse_time
from kubenet.api.scheduling import tolerates, untolerated_taints
from kubenet.client.base import Client
from kubenet.client.informer import NODE_NAME
from kubenet.controllers.base import Controller, Informers

LEASE_NAMESPACE = "kube-node-lease"
NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
# Conditions → the NoSchedule taint each state brings (TaintNodesByCondition).
CONDITION_TAINTS = {("Ready", "False"): NOT_READY, ("Ready", "Unknown"): UNREACHABLE,
                    ("MemoryPressure", "True"): "node.kubernetes.io/memory-pressure",
                    ("DiskPressure", "True"): "node.kubernetes.io/disk-pressure",
                    ("PIDPressure", "True"): "node.kubernetes.io/pid-pressure",
                    ("NetworkUnavailable", "True"): "node.kubernetes.io/network-unavailable"}
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
MANAGED_TAINTS = set(CONDITION_TAINTS.values()) | {UNSCHEDULABLE}
KUBELET_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")


def desired_taints(node: dict) -> set[tuple[str, str]]:
    out = set()
    for c in (node.get("status") or {}).get("conditions") or []:
        key = CONDITION_TAINTS.get((c.get("type"), c.get("status")))
        if key:
            out.add((key, "NoSchedule"))
    ready = get_condition(node, "Ready")
    if ready and ready.get("status") == "False":
        out.add((NOT_READY, "NoExecute"))
    elif ready and ready.get("status") == "Unknown":
        out.add((UNREACHABLE, "NoExecute"))
    if (node.get("spec") or {}).get("unschedulable"):
        out.add((UNSCHEDULABLE, "NoSchedule"))
    return out


class NodeLifecycleController(Controller):
    name = "node-lifecycle"

    def __init__(self, client: Client, informers: Informers, grace_period: float = 50.0,
                 monitor_period: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)):
        super().__init__(client, informers)
        self.grace_period = grace_period
        self.monitor_period = monitor_period
        self.clock = clock
        self.wall_clock = wall_clock
        self.nodes = informers.get("nodes")
        self.leases = informers.get("leases.coordination.k8s.io")
        self.pods = informers.get("pods", NODE_NAME)
        self.heartbeats: dict[str, tuple[tuple, float]] = {}  # node → (last heartbeat seen, when we saw it)
        self.known: set[str] = set()
        self.nodes.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), self.enqueue)
        self.leases.add_handlers(self._lease_changed, lambda old, new: self._lease_changed(new), None)
        self.pods.add_handlers(self._pod_added, self._pod_updated, None)

    @property
    def component(self) -> str:
        return "node-controller"

    def _lease_changed(self, lease: dict) -> None:
        if lease["metadata"].get("namespace") == LEASE_NAMESPACE:
            self.queue.add(lease["metadata"]["name"])

    def _pod_added(self, pod: dict) -> None:
        if (pod.get("spec") or {}).get("nodeName"):
            self.queue.add(pod["spec"]["nodeName"])  # a Pod bound to a tainted node may need evicting

    def _pod_updated(self, old: dict, new: dict) -> None:
        if (old.get("spec") or {}).get("nodeName") != (new.get("spec") or {}).get("nodeName"):
            self._pod_added(new)

    async def run(self) -> None:
        await self.informers.wait_synced()
        monitor = asyncio.create_task(self._monitor())
        try:
            await super().run()
        finally:
            monitor.cancel()

    async def _monitor(self) -> None:
        """monitorNodeHealth: look at every node each period, since silence produces no watch event."""
        while True:
            for node in self.nodes.list():
                self.queue.add(node["metadata"]["name"])
            await asyncio.sleep(self.monitor_period)

    # --- reconcile -----------------------------------------------------------------------------------------
    async def reconcile(self, key: str) -> None:
        node = self.nodes.get(key)
        if node is None:
            if key in self.known:
                self.known.discard(key)
                self.heartbeats.pop(key, None)
                gone = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": key, "uid": key}}
                await self.recorder.event(gone, "Normal", "RemovingNode",
                                          f"Node {key} event: Removing Node {key} from Controller")
            return
        if key not in self.known:
            self.known.add(key)
            await self.recorder.event(self._node_ref(node), "Normal", "RegisteredNode",
                                      f"Node {key} event: Registered Node {key} in Controller")
        node = await self._check_health(node)
        node = await self._reconcile_taints(node)
        await self._evict(node)

    @staticmethod
    def _node_ref(node: dict) -> dict:
        # Node events are recorded against the node name as UID, as the real controller does.
        return {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": node["metadata"]["name"], "uid": node["metadata"]["name"]}}

    async def _check_health(self, node: dict) -> dict:
        name = node["metadata"]["name"]
        lease = self.leases.get(f"{LEASE_NAMESPACE}/{name}")
        ready = get_condition(node, "Ready")
        heartbeat = ((lease or {}).get("spec", {}).get("renewTime"), (ready or {}).get("lastHeartbeatTime"))
        now = self.clock()
        seen = self.heartbeats.get(name)
        if seen is None or seen[0] != heartbeat:
            self.heartbeats[name] = seen = (heartbeat, now)
        silent_for = now - seen[1]
        if silent_for < self.grace_period:
            self.queue.add_after(name, self.grace_period - silent_for + 0.01)
            if ready and ready.get("status") == "False":
                await self._mark_pods_not_ready(node)
            return node
        if ready is not None and ready.get("status") == "Unknown":
            return node
        # The kubelet went silent: we no longer know anything about this node.
        was_ready = ready is not None and ready.get("status") == "True"
        status = dict(node.get("status") or {})
        conditions = [dict(c) for c in status.get("conditions") or []]
        stamp = format_time(self.wall_clock())
        for ctype in KUBELET_CONDITIONS:
            current = next((c for c in conditions if c.get("type") == ctype), None)
            if current is None:
                conditions.append({"type": ctype, "status": "Unknown", "lastHeartbeatTime": stamp,
                                   "lastTransitionTime": stamp, "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status."})
            elif current.get("status") != "Unknown":
                current.update({"status": "Unknown", "reason": "NodeStatusUnknown",
                                "message": "Kubelet stopped posting node status.", "lastTransitionTime": stamp})
        status["conditions"] = conditions
        node = await self.client.update("nodes", {**node, "status": status}, subresource="status")
        if was_ready:
            await self.recorder.event(self._node_ref(node), "Normal", "NodeNotReady",
                                      f"Node {name} status is now: NodeNotReady")
        await self._mark_pods_not_ready(node)
        return node

    def _pods_on(self, node_name: str) -> list[dict]:
        return self.pods.by_index(NODE_NAME, node_name)

    async def _mark_pods_not_ready(self, node: dict) -> None:
        """MarkPodsNotReady: a node we cannot hear from cannot vouch for its Pods."""
        for pod in self._pods_on(node["metadata"]["name"]):
            if not podutil.is_pod_ready(pod) or podutil.is_terminal(pod):
                continue
            status = dict(pod.get("status") or {})
            conditions = [dict(c) for c in status.get("conditions") or []]
            for c in conditions:
                if c.get("type") == "Ready":
                    c.update({"status": "False", "lastTransitionTime": format_time(self.wall_clock())})
            status["conditions"] = conditions
            try:
                await self.client.update("pods", {**pod, "status": status}, subresource="status")
            except APIError as exc:
                if exc.code != 404:
                    raise
                continue
            await self.recorder.event(pod, "Warning", "NodeNotReady", "Node is not ready")

    async def _reconcile_taints(self, node: dict) -> dict:
        want = desired_taints(node)
        taints = list((node.get("spec") or {}).get("taints") or [])
        have = {(t.get("key"), t.get("effect")) for t in taints}
        kept = [t for t in taints if t.get("key") not in MANAGED_TAINTS or (t.get("key"), t.get("effect")) in want]
        added = []
        for key, effect in sorted(want - have):
            taint = {"key": key, "effect": effect}
            if effect == "NoExecute":
                taint["timeAdded"] = format_time(self.wall_clock())
            added.append(taint)
        if len(kept) == len(taints) and not added:
            return node
        spec = dict(node.get("spec") or {})
        spec["taints"] = kept + added
        if not spec["taints"]:
            spec.pop("taints")
        return await self.client.update("nodes", {**node, "spec": spec})

    async def _evict(self, node: dict) -> None:
        """Taint-based eviction: NoExecute taints delete the Pods that do not tolerate them (in time)."""
        no_execute = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") == "NoExecute"]
        if not no_execute:
            return
        now = self.wall_clock()
        added = max((parse_time(t.get("timeAdded")) or now for t in no_execute), default=now)
        next_check: float | None = None
        for pod in self._pods_on(node["metadata"]["name"]):
            if podutil.is_terminating(pod):
                continue
            tolerations = (pod.get("spec") or {}).get("tolerations") or []
            if not untolerated_taints(tolerations, no_execute, ("NoExecute",)):
                # Tolerated: for how long? The shortest tolerationSeconds among the tolerations used.
                seconds = [t["tolerationSeconds"] for t in tolerations if t.get("tolerationSeconds") is not None
                           and any(tolerates(t, taint) for taint in no_execute)]
                if not seconds:
                    continue
                due = added + dt.timedelta(seconds=max(0, min(seconds)))
                if now < due:
                    wait = (due - now).total_seconds()
                    next_check = wait if next_check is None else min(next_check, wait)
                    continue
            await self._evict_pod(pod)
        if next_check is not None:
            self.queue.add_after(node["metadata"]["name"], next_check + 0.01)

    async def _evict_pod(self, pod: dict) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        await self.recorder.event(pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {ns}/{name}")
        status = dict(pod.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "DisruptionTarget"]
        conditions.append({"type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
                           "message": "Taint manager: deleting due to NoExecute taint",
                           "lastTransitionTime": format_time(self.wall_clock())})
        status["conditions"] = conditions
        try:
            await self.client.update("pods", {**pod, "status": status}, subresource="status")
            await self.client.delete("pods", name, ns, preconditions={"uid": pod["metadata"]["uid"]})
        except APIError as exc:
            if exc.code != 404:
                raise  # 409: the Pod changed under us; the worker retries with the fresh copy


CONTROLLER = NodeLifecycleController

"""kube-scheduler: place each unscheduled Pod on a node (filter → score → bind), one Pod at a time.

Pods with `spec.schedulerName: default-scheduler` and no `spec.nodeName` are queued. A Pod that fits
nowhere gets a FailedScheduling event and `PodScheduled=False/Unschedulable` with the real message
(`0/2 nodes are available: ... preemption: ...`), and is retried when nodes change or a bound Pod goes.
A bound Pod is "assumed" on its node until the informer shows the binding, so the next Pod already
sees its requests and host ports.
"""
from __future__ import annotations

import asyncio
import collections
import copy
import logging
import random

from kubenet.api.errors import APIError
from kubenet.api.meta import get_condition, now_rfc3339
from kubenet.api.podutil import is_terminal
from kubenet.client.base import Client, object_key
from kubenet.client.events import EventRecorder
from kubenet.client.informer import NODE_NAME, Informer, node_name_index
from kubenet.client.workqueue import WorkQueue, process_keys
from kubenet.scheduler.filters import NodeState, Rejection, run_filters
from kubenet.scheduler.scoring import score_nodes

log = logging.getLogger(__name__)

DEFAULT_SCHEDULER = "default-scheduler"
NO_NODES = "no nodes available to schedule pods"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
UNSCHEDULABLE_FLUSH_SECONDS = 60.0  # the real queue retries unschedulable Pods after at most 5 minutes


def fit_error_message(num_nodes: int, rejections: dict[str, Rejection]) -> str:
    """FitError.Error() followed by DefaultPreemption's verdict; reasons counted and sorted as text."""
    counts = collections.Counter(r for rej in rejections.values() for r in rej.reasons)
    message = f"0/{num_nodes} nodes are available: {', '.join(sorted(f'{n} {r}' for r, n in counts.items()))}."
    # kubenet never preempts; real preemption finds no victims among equal-priority Pods either.
    verdicts = collections.Counter(NOT_HELPFUL if rej.unresolvable else NO_VICTIMS for rej in rejections.values())
    message += f" preemption: 0/{num_nodes} nodes are available: " \
               f"{', '.join(sorted(f'{n} {r}' for r, n in verdicts.items()))}."
    return message


def _scheduling_relevant(pod: dict) -> tuple:
    """What a retry depends on; status writes (including our own condition) are not news."""
    meta = pod["metadata"]
    return pod.get("spec"), meta.get("labels"), meta.get("annotations"), meta.get("deletionTimestamp")


def _node_relevant(node: dict) -> tuple:
    status = node.get("status") or {}
    ready = (get_condition(node, "Ready") or {}).get("status")
    return (node.get("spec"), node["metadata"].get("labels"), status.get("allocatable"), ready)


class Scheduler:
    def __init__(self, client: Client, scheduler_name: str = DEFAULT_SCHEDULER):
        self.client = client
        self.scheduler_name = scheduler_name
        self.pods = Informer(client, "pods", indexers={NODE_NAME: node_name_index})
        self.nodes = Informer(client, "nodes")
        self.queue = WorkQueue()
        self.recorder = EventRecorder(client, DEFAULT_SCHEDULER)
        self.unschedulable: set[str] = set()
        self.assumed: dict[str, tuple[str, dict]] = {}  # pod key -> (node, pod as bound)
        self.pods.add_handlers(self._on_pod_add, self._on_pod_update, self._on_pod_delete)
        self.nodes.add_handlers(lambda n: self._retry_unschedulable(), self._on_node_update,
                                lambda n: self._retry_unschedulable())

    # --- handlers -----------------------------------------------------------------------------------------
    def _wants(self, pod: dict) -> bool:
        return not pod["spec"].get("nodeName") and not pod["metadata"].get("deletionTimestamp") and \
            not is_terminal(pod) and (pod["spec"].get("schedulerName") or DEFAULT_SCHEDULER) == self.scheduler_name

    def _on_pod_add(self, pod: dict) -> None:
        if self._wants(pod):
            self.queue.add(object_key(pod))
        elif pod["spec"].get("nodeName"):
            self.assumed.pop(object_key(pod), None)

    def _on_pod_update(self, old: dict, new: dict) -> None:
        key = object_key(new)
        if new["spec"].get("nodeName"):
            self.assumed.pop(key, None)
            if old["spec"].get("nodeName") and (is_terminal(new) and not is_terminal(old)):
                self._retry_unschedulable()  # its resources are free again
            return
        if self._wants(new) and (key not in self.unschedulable or
                                 _scheduling_relevant(old) != _scheduling_relevant(new)):
            self.queue.add(key)

    def _on_pod_delete(self, pod: dict) -> None:
        key = object_key(pod)
        self.unschedulable.discard(key)
        if self.assumed.pop(key, None) is not None or pod["spec"].get("nodeName"):
            self._retry_unschedulable()

    def _on_node_update(self, old: dict, new: dict) -> None:
        if _node_relevant(old) != _node_relevant(new):
            self._retry_unschedulable()

    def _retry_unschedulable(self) -> None:
        for key in list(self.unschedulable):
            self.queue.add(key)

    # --- the loop -----------------------------------------------------------------------------------------
    async def run(self) -> None:
        tasks = [asyncio.create_task(self.pods.run(), name="scheduler-pods"),
                 asyncio.create_task(self.nodes.run(), name="scheduler-nodes")]
        try:
            await self.pods.wait_synced()
            await self.nodes.wait_synced()
            flusher = asyncio.create_task(self._flush_periodically())
            tasks.append(flusher)
            await process_keys(self.queue, "scheduler", self.schedule_one)  # one Pod at a time, as the real cycle
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.queue.shutdown()

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(UNSCHEDULABLE_FLUSH_SECONDS)
            self._retry_unschedulable()

    def _node_states(self) -> list[NodeState]:
        states = {n["metadata"]["name"]: NodeState(n) for n in self.nodes.list()}
        for name, state in states.items():
            # The node-name index: filtering a node costs its Pods, not every Pod in the cluster.
            state.pods.extend(p for p in self.pods.by_index(NODE_NAME, name) if not is_terminal(p))
        for key, (node, pod) in self.assumed.items():
            if node in states and self.pods.get(key) is not None:
                states[node].pods.append(pod)
        return sorted(states.values(), key=lambda s: s.name)

    async def schedule_one(self, key: str) -> None:
        pod = self.pods.get(key)
        if pod is None or not self._wants(pod) or key in self.assumed:
            return
        states = self._node_states()
        if not states:
            await self._unschedulable(key, pod, NO_NODES)
            return
        feasible, rejections = [], {}
        for state in states:
            rejection = run_filters(pod, state)
            if rejection is None:
                feasible.append(state)
            else:
                rejections[state.name] = rejection
        if not feasible:
            await self._unschedulable(key, pod, fit_error_message(len(states), rejections))
            return
        scores = score_nodes(pod, feasible)
        best = max(scores.values())
        node = random.choice(sorted(n for n, s in scores.items() if s == best))  # ties: any of the best
        await self._bind(key, pod, node)

    async def _bind(self, key: str, pod: dict, node: str) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        binding = {"apiVersion": "v1", "kind": "Binding",
                   "metadata": {"name": name, "namespace": ns, "uid": pod["metadata"].get("uid")},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
        bound = copy.deepcopy(pod)
        bound["spec"]["nodeName"] = node
        self.assumed[key] = (node, bound)
        try:
            await self.client.create("pods", binding, ns, subresource="binding", name=name)
        except APIError as exc:
            self.assumed.pop(key, None)
            if exc.code in (404, 409):  # gone, being deleted, or bound by someone else meanwhile
                return
            raise
        self.unschedulable.discard(key)
        await self.recorder.event(pod, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {node}")

    async def _unschedulable(self, key: str, pod: dict, message: str) -> None:
        self.unschedulable.add(key)
        await self.recorder.event(pod, "Warning", "FailedScheduling", message)
        current = next((c for c in (pod.get("status") or {}).get("conditions") or []
                        if c.get("type") == "PodScheduled"), None)
        if current and (current.get("status"), current.get("reason"), current.get("message")) == \
                ("False", "Unschedulable", message):
            return
        updated = copy.deepcopy(pod)
        conditions = [c for c in updated.setdefault("status", {}).get("conditions") or []
                      if c.get("type") != "PodScheduled"]
        conditions.append({"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                           "lastTransitionTime": (current or {}).get("lastTransitionTime")
                           if (current or {}).get("status") == "False" else now_rfc3339(),
                           "reason": "Unschedulable", "message": message})
        updated["status"]["conditions"] = conditions
        try:
            await self.client.update("pods", updated, pod["metadata"]["namespace"], subresource="status")
        except APIError as exc:
            if exc.code not in (404, 409):
                raise
            if exc.code == 409:
                self.queue.add_after(key, 0.05)  # the Pod changed under us: look again with fresh data

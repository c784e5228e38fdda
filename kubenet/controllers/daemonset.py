"""DaemonSet controller: one Pod on every node the DaemonSet's Pods fit.

Follows pkg/controller/daemon: a node is eligible when the template's nodeSelector and required node
affinity match it and its NoSchedule/NoExecute taints are tolerated (daemon Pods get the tolerations the
real controller adds: not-ready/unreachable NoExecute, pressure and unschedulable NoSchedule). Pods are
created with a required node affinity `matchFields metadata.name In [<node>]` and left to the scheduler to
bind, as the real controller does since 1.12. The template is versioned in ControllerRevisions; a
RollingUpdate replaces old Pods keeping at most maxUnavailable nodes without an available Pod.
"""
from __future__ import annotations

import copy
import math

from kubenet.api import podutil
from kubenet.api.meta import controller_ref
from kubenet.api.scheduling import pod_matches_node, untolerated_taints
from kubenet.api.selectors import selector_matches
from kubenet.client.base import Client, object_key, split_key
from kubenet.client.informer import NAMESPACE
from kubenet.controllers import history
from kubenet.controllers.base import Controller, Informers
from kubenet.controllers.controller_ref import ControllerRefManager
from kubenet.controllers.expectations import DAEMONSET_BURST_REPLICAS, Expectations, slow_start_batch

REVISION_LABEL = "controller-revision-hash"

# util.AddOrUpdateDaemonPodTolerations: daemons keep running through node trouble.
DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]
HOST_NETWORK_TOLERATION = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                           "effect": "NoSchedule"}


def daemon_tolerations(pod_spec: dict) -> list[dict]:
    tolerations = list(pod_spec.get("tolerations") or [])
    extra = DAEMON_TOLERATIONS + ([HOST_NETWORK_TOLERATION] if pod_spec.get("hostNetwork") else [])
    for t in extra:
        if not any(x.get("key") == t["key"] and x.get("effect") == t["effect"] for x in tolerations):
            tolerations.append(dict(t))
    return tolerations


def target_node(pod: dict) -> str | None:
    """The node a daemon Pod is for: spec.nodeName, or before binding its matchFields affinity."""
    if (pod.get("spec") or {}).get("nodeName"):
        return pod["spec"]["nodeName"]
    required = ((((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    for term in required.get("nodeSelectorTerms") or []:
        for field in term.get("matchFields") or []:
            if field.get("key") == "metadata.name" and field.get("operator") == "In" and \
                    len(field.get("values") or []) == 1:
                return field["values"][0]
    return None


def node_should_run(pod_spec: dict, node: dict) -> tuple[bool, bool]:
    """(should run a new daemon Pod, may keep an existing one) — NodeShouldRunDaemonPod."""
    if not pod_matches_node(pod_spec, node):
        return False, False
    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = daemon_tolerations(pod_spec)
    if untolerated_taints(tolerations, taints, ("NoExecute",)):
        return False, False
    return not untolerated_taints(tolerations, taints, ("NoSchedule",)), True


def selects(ds: dict, labels: dict | None) -> bool:
    return selector_matches(ds["spec"].get("selector"), labels)


def scaled(value, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        f = int(value[:-1]) * total / 100
        return math.ceil(f) if round_up else math.floor(f)
    return int(value or 0)


class DaemonSetController(Controller):
    name = "daemonset"

    def __init__(self, client: Client, informers: Informers):
        super().__init__(client, informers)
        self.sets = informers.get("daemonsets.apps")
        self.pods = informers.get("pods")
        self.nodes = informers.get("nodes")
        self.revisions = informers.get("controllerrevisions.apps")
        self.expectations = Expectations()
        self.sets.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), self._set_deleted)
        self.watch_owned_pods(self.pods, self.sets, "DaemonSet", selects, self.expectations)
        self.nodes.add_handlers(self._node_changed, lambda old, new: self._node_updated(old, new),
                                self._node_changed)
        self.revisions.add_handlers(lambda rev: self.enqueue_adopters(rev, self.sets, selects), None,
                                    lambda rev: self.enqueue_owner(rev, "DaemonSet"))

    def _set_deleted(self, ds: dict) -> None:
        self.expectations.forget(object_key(ds))

    def _node_changed(self, node: dict) -> None:
        for ds in self.sets.list():
            self.enqueue(ds)

    def _node_updated(self, old: dict, new: dict) -> None:
        def relevant(n: dict):
            return (n["metadata"].get("labels"), (n.get("spec") or {}).get("taints"))
        if relevant(old) != relevant(new):
            self._node_changed(new)

    def _manager(self, ds: dict) -> ControllerRefManager:
        return ControllerRefManager(self.client, ds, "daemonsets.apps",
                                    lambda obj: selects(ds, obj["metadata"].get("labels")))

    async def _ensure_revision(self, ds: dict) -> str | None:
        """The hash of the current template's revision (None after a collision: try again)."""
        owned = await self._manager(ds).claim(  # ClaimControllerRevisions: orphaned history is adopted back
            "controllerrevisions.apps", self.revisions.by_index(NAMESPACE, ds["metadata"]["namespace"]))
        revision = await history.ensure_revision(self.client, ds, "daemonsets.apps", owned)
        return None if revision is None else revision["metadata"]["name"][len(ds["metadata"]["name"]) + 1:]

    def _new_pod(self, ds: dict, node_name: str, hash_: str) -> dict:
        template = copy.deepcopy(ds["spec"]["template"])
        meta = template.get("metadata") or {}
        meta.setdefault("labels", {})[REVISION_LABEL] = hash_
        spec = template.get("spec") or {}
        spec["tolerations"] = daemon_tolerations(spec)
        node_affinity = spec.setdefault("affinity", {}).setdefault("nodeAffinity", {})
        # The node was checked here already; the scheduler only needs to bind to exactly this node.
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}
        meta.pop("name", None)
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {**meta, "generateName": f"{ds['metadata']['name']}-",
                             "namespace": ds["metadata"]["namespace"], "ownerReferences": [controller_ref(ds)]},
                "spec": spec}

    async def _create_pod(self, ds: dict, node_name: str, hash_: str) -> None:
        await self.create_pod(ds, self._new_pod(ds, node_name, hash_))

    async def _delete_pods(self, key: str, ds: dict, pods: list[dict]) -> None:
        """Delete (at most a burst of) Pods, expecting each deletion until the informer shows it."""
        pods = pods[:DAEMONSET_BURST_REPLICAS]
        self.expectations.expect_deletions(key, [p["metadata"]["uid"] for p in pods])
        for pod in pods:
            await self.delete_pod(ds, pod, self.expectations, key)

    async def reconcile(self, key: str) -> None:
        ds = self.sets.get(key)
        if ds is None or podutil.is_terminating(ds):
            return
        hash_ = await self._ensure_revision(ds)
        if hash_ is None:
            return
        namespace, _ = split_key(key)
        candidates = self.pods.by_index(NAMESPACE, namespace or "")
        by_node: dict[str, list[dict]] = {}
        for pod in await self._manager(ds).claim("pods", candidates):  # getDaemonPods: adopt and release
            by_node.setdefault(target_node(pod) or "", []).append(pod)
        nodes = {n["metadata"]["name"]: n for n in self.nodes.list()}
        template_spec = ds["spec"]["template"].get("spec") or {}
        eligible = {name: node_should_run(template_spec, node) for name, node in nodes.items()}
        await self._write_status(ds, by_node, eligible, hash_)
        if not self.expectations.satisfied(key):
            return  # our own creates/deletes have not reached the cache yet

        create_on: list[str] = []
        to_delete: list[dict] = []
        for node_name in sorted(set(nodes) | set(by_node)):
            should_run, may_continue = eligible.get(node_name, (False, False))
            pods = sorted(by_node.get(node_name, []), key=lambda p: p["metadata"].get("creationTimestamp", ""))
            if should_run and not pods:
                create_on.append(node_name)
            elif may_continue:
                running = []
                for pod in pods:
                    if podutil.is_terminating(pod):
                        continue
                    if podutil.phase(pod) == "Failed":
                        to_delete.append(pod)  # recreated on the next sync
                        continue
                    running.append(pod)
                to_delete += running[1:]  # keep the oldest daemon Pod on a node
            else:
                to_delete += [p for p in pods if not podutil.is_terminating(p)]
        if create_on or to_delete:
            await self._sync_nodes(key, ds, create_on, to_delete, hash_)
        else:  # roll only from a settled state; the events of this pass bring us back
            await self._rolling_update(key, ds, by_node, eligible, hash_)

    async def _sync_nodes(self, key: str, ds: dict, create_on: list[str], to_delete: list[dict], hash_: str) -> None:
        """syncNodes: at most burstReplicas creates (in slow-start batches) and deletes per sync."""
        create_on = create_on[:DAEMONSET_BURST_REPLICAS]
        self.expectations.expect_creations(key, len(create_on))
        await self._delete_pods(key, ds, to_delete)
        created, error = await slow_start_batch(create_on, lambda node: self._create_pod(ds, node, hash_))
        self.expectations.creation_observed(key, len(create_on) - created)
        if error is not None:
            raise error

    async def _rolling_update(self, key: str, ds: dict, by_node: dict, eligible: dict, hash_: str) -> None:
        strategy = ds["spec"].get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return  # OnDelete: new Pods come only when the user deletes old ones
        min_ready = ds["spec"].get("minReadySeconds", 0)
        desired = sum(1 for run, _ in eligible.values() if run)
        max_unavailable = scaled((strategy.get("rollingUpdate") or {}).get("maxUnavailable", 1), desired, True)
        max_unavailable = max(max_unavailable, 1)
        unavailable, old_available, old_unavailable = 0, [], []
        for node_name, (should_run, _) in eligible.items():
            if not should_run:
                continue
            pods = [p for p in by_node.get(node_name, []) if not podutil.is_terminating(p)]
            available = [p for p in pods if podutil.is_available(p, min_ready)]
            if not available:
                unavailable += 1
            for pod in pods:
                if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) != hash_:
                    (old_available if pod in available else old_unavailable).append(pod)
        budget = max_unavailable - unavailable
        # Replacing an unavailable Pod costs no availability; available ones go as far as the budget allows.
        await self._delete_pods(key, ds, old_unavailable +
                                sorted(old_available, key=lambda p: target_node(p) or "")[:max(0, budget)])

    async def _write_status(self, ds: dict, by_node: dict, eligible: dict, hash_: str) -> None:
        min_ready = ds["spec"].get("minReadySeconds", 0)
        status = {"currentNumberScheduled": 0, "desiredNumberScheduled": 0, "numberMisscheduled": 0,
                  "numberReady": 0, "numberAvailable": 0, "updatedNumberScheduled": 0,
                  "observedGeneration": ds["metadata"].get("generation")}
        for node_name, (should_run, _) in eligible.items():
            pods = [p for p in by_node.get(node_name, []) if not podutil.is_terminating(p)]
            if should_run:
                status["desiredNumberScheduled"] += 1
            if not pods:
                continue
            if not should_run:
                status["numberMisscheduled"] += 1
                continue
            status["currentNumberScheduled"] += 1
            newest = max(pods, key=lambda p: p["metadata"].get("creationTimestamp", ""))
            if podutil.is_pod_ready(newest):
                status["numberReady"] += 1
                if podutil.is_available(newest, min_ready):
                    status["numberAvailable"] += 1
            if any((p["metadata"].get("labels") or {}).get(REVISION_LABEL) == hash_ for p in pods):
                status["updatedNumberScheduled"] += 1
        unavailable = status["desiredNumberScheduled"] - status["numberAvailable"]
        if unavailable > 0:
            status["numberUnavailable"] = unavailable
        old = ds.get("status") or {}
        if old.get("collisionCount"):
            status["collisionCount"] = old["collisionCount"]
        if status != old:
            await self.client.update("daemonsets.apps", {**ds, "status": status}, subresource="status")


CONTROLLER = DaemonSetController

"""ReplicaSet controller (pkg/controller/replicaset): keep `spec.replicas` Pods alive for every ReplicaSet.

It creates Pods from the template (name `<rs>-<5 chars>`, controller ownerReference), adopts orphans its
selector matches and releases owned Pods it no longer matches, deletes the least valuable Pods first when
scaling down, and reports replicas / fullyLabeledReplicas / readyReplicas / availableReplicas in status.
Expectations keep a stale cache from creating or deleting the same Pods twice; at most BURST_REPLICAS Pods
are created or deleted per sync, creates in slow-start batches.

The ReplicationController manager (replication.py) is this controller over another resource: upstream wraps
the ReplicaSet controller the same way, and only the selector (a map instead of a LabelSelector) differs.
"""
from __future__ import annotations

import copy
import datetime as dt
import logging
import random

from kubenet.api import podutil
from kubenet.api.errors import APIError
from kubenet.api.meta import controller_of, controller_ref, now_rfc3339, parse_time
from kubenet.api.selectors import selector_matches
from kubenet.client.base import object_key
from kubenet.client.informer import CONTROLLER_UID, NAMESPACE
from kubenet.controllers.base import Controller, Informers, namespace_terminating
from kubenet.controllers.controller_ref import ControllerRefManager
from kubenet.controllers.expectations import BURST_REPLICAS, Expectations, slow_start_batch

log = logging.getLogger(__name__)

# utilrand's alphabet: no vowels (no words) and no look-alikes (0/o, 1/l).
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def random_suffix(n: int = 5) -> str:
    return "".join(random.choice(NAME_ALPHABET) for _ in range(n))


# --- Pod ranking (controller_utils ActivePodsWithRanks) ---------------------------------------------------

def _restarts(pod: dict) -> int:
    return sum(int(c.get("restartCount") or 0) for c in (pod.get("status") or {}).get("containerStatuses") or [])


def deletion_order(pods: list[dict], related: list[dict]) -> list[dict]:
    """Pods in the order a scale-down removes them (controller.ActivePodsWithRanks.Less)."""
    per_node: dict[str, int] = {}
    for p in related:
        node = p["spec"].get("nodeName")
        if node and podutil.is_active(p):
            per_node[node] = per_node.get(node, 0) + 1

    def key(pod: dict):
        spec, status = pod["spec"], pod.get("status") or {}
        node = spec.get("nodeName") or ""
        ready = podutil.is_pod_ready(pod)
        ready_since = parse_time(podutil.pod_condition(pod, "Ready").get("lastTransitionTime")) if ready else None
        created = parse_time(pod["metadata"].get("creationTimestamp"))
        try:
            cost = int((pod["metadata"].get("annotations") or {}).get("controller.kubernetes.io/pod-deletion-cost", 0))
        except ValueError:
            cost = 0
        return (
            1 if node else 0,                                   # unscheduled first
            PHASE_RANK.get(status.get("phase", "Pending"), 0),  # Pending < Unknown < Running
            1 if ready else 0,                                  # not ready first
            cost,                                               # lower deletion cost first
            -per_node.get(node, 0) if node else 0,              # doubled-up nodes first
            -(ready_since.timestamp() if ready_since else 0),   # ready for less time first
            -_restarts(pod),                                    # more restarts first
            -(created.timestamp() if created else float("inf")),  # newer first
        )
    return sorted(pods, key=key)


class ReplicaSetController(Controller):
    name = "replicaset"
    workers = 2
    owner_kind = "ReplicaSet"
    resource = "replicasets.apps"

    def __init__(self, client, informers: Informers):
        super().__init__(client, informers)
        self.expectations = Expectations()
        # `replicasets` holds this controller's owners (ReplicationControllers in the subclass).
        self.replicasets = informers.get(self.resource, CONTROLLER_UID)
        self.pods = informers.get("pods")
        self.replicasets.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), self._on_rs_delete)
        self.watch_owned_pods(self.pods, self.replicasets, self.owner_kind, self.selects, self.expectations)

    # --- handlers: only keys go on the queue -----------------------------------------------------------
    def _on_rs_delete(self, rs: dict) -> None:
        self.expectations.forget(object_key(rs))
        self.enqueue(rs)

    def selects(self, owner: dict, labels: dict | None) -> bool:
        """Does the owner's selector select these labels? (a LabelSelector here; a map for RCs)"""
        return selector_matches(owner["spec"].get("selector"), labels)

    # --- reconcile ---------------------------------------------------------------------------------------
    async def reconcile(self, key: str) -> None:
        cached = self.replicasets.get(key)
        if cached is None:
            self.expectations.forget(key)
            return
        rs = copy.deepcopy(cached)
        needs_sync = self.expectations.satisfied(key)
        ns = rs["metadata"]["namespace"]
        in_ns = self.pods.by_index(NAMESPACE, ns)
        owned = await self._claim_pods(rs, in_ns)
        active = [p for p in owned if podutil.is_active(p)]
        manage_error: APIError | None = None
        if needs_sync and not rs["metadata"].get("deletionTimestamp"):
            try:
                await self._manage_replicas(key, rs, active, in_ns)
            except APIError as exc:
                manage_error = exc
        status = self._calculate_status(rs, owned, manage_error)
        if status != (rs.get("status") or {}):
            rs["status"] = status
            rs = await self.client.update(self.resource, rs, ns, subresource="status")
        min_ready = int(rs["spec"].get("minReadySeconds") or 0)
        desired = rs["spec"].get("replicas", 1)
        if min_ready and status.get("readyReplicas", 0) == desired and status.get("availableReplicas", 0) != desired:
            self.queue.add_after(key, min_ready)  # availability changes with time alone
        if manage_error is not None:
            raise manage_error

    async def _claim_pods(self, rs: dict, pods: list[dict]) -> list[dict]:
        """ControllerRefManager.ClaimPods: adopt matching orphans, release owned Pods that no longer match."""
        manager = ControllerRefManager(self.client, rs, self.resource,
                                       lambda pod: self.selects(rs, pod["metadata"].get("labels")))
        return await manager.claim("pods", pods)

    async def _manage_replicas(self, key: str, rs: dict, active: list[dict], in_ns: list[dict]) -> None:
        desired = int(rs["spec"].get("replicas", 1))
        diff = len(active) - desired
        if diff < 0:
            count = min(-diff, BURST_REPLICAS)
            self.expectations.expect_creations(key, count)
            created, error = await slow_start_batch(range(count), lambda _: self._create_pod(rs))
            # Creates never attempted (or refused) will never be observed: lower the expectation for them.
            self.expectations.creation_observed(key, count - created)
            if error is not None:
                raise error
        elif diff > 0:
            count = min(diff, BURST_REPLICAS)
            related = self._related_pods(rs, in_ns)
            victims = deletion_order(active, related)[:count]
            self.expectations.expect_deletions(key, {p["metadata"]["uid"] for p in victims})
            for pod in victims:
                await self.delete_pod(rs, pod, self.expectations, key)

    def _related_pods(self, rs: dict, in_ns: list[dict]) -> list[dict]:
        """Pods of every ReplicaSet of the same workload (one Deployment): a node they double up on loses first."""
        uids = {rs["metadata"]["uid"]}
        parent = controller_of(rs)
        if parent:
            uids |= {other["metadata"]["uid"] for other in self.replicasets.by_index(CONTROLLER_UID, parent.get("uid") or "")}
        return [p for p in in_ns if (controller_of(p) or {}).get("uid") in uids]

    async def _create_pod(self, rs: dict) -> None:
        template = rs["spec"].get("template") or {}
        tmeta = template.get("metadata") or {}
        ns = rs["metadata"]["namespace"]
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"generateName": f"{rs['metadata']['name']}-", "namespace": ns,
                            "labels": copy.deepcopy(tmeta.get("labels") or {}),
                            "ownerReferences": [controller_ref(rs)]},
               "spec": copy.deepcopy(template.get("spec") or {})}
        if tmeta.get("annotations"):
            pod["metadata"]["annotations"] = copy.deepcopy(tmeta["annotations"])
        if tmeta.get("finalizers"):
            pod["metadata"]["finalizers"] = list(tmeta["finalizers"])
        for _ in range(5):  # the apiserver's generateName retries a clash the same way
            pod["metadata"]["name"] = pod["metadata"]["generateName"] + random_suffix()
            try:
                created = await self.client.create("pods", pod, ns)
                break
            except APIError as exc:
                if exc.code == 409 and exc.reason == "AlreadyExists":
                    continue
                if not namespace_terminating(exc):
                    await self.recorder.event(rs, "Warning", "FailedCreate", f"Error creating: {exc.message}")
                raise
        else:
            raise APIError(500, "InternalError", "could not pick a unique Pod name")
        await self.recorder.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

    def _calculate_status(self, rs: dict, owned: list[dict], manage_error: APIError | None) -> dict:
        status = copy.deepcopy(rs.get("status") or {})
        active = [p for p in owned if podutil.is_active(p)]
        template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        min_ready = int(rs["spec"].get("minReadySeconds") or 0)
        now = dt.datetime.now(dt.UTC)
        status["replicas"] = len(active)
        status["fullyLabeledReplicas"] = sum(
            1 for p in active if template_labels.items() <= (p["metadata"].get("labels") or {}).items())
        status["readyReplicas"] = sum(1 for p in active if podutil.is_pod_ready(p))
        status["availableReplicas"] = sum(1 for p in active if podutil.is_available(p, min_ready, now))
        status["observedGeneration"] = rs["metadata"].get("generation", 1)
        for field in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
            if not status[field]:
                del status[field]  # omitempty on the wire; `replicas` is always written
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
        if manage_error is not None:
            old = next((c for c in status.get("conditions") or [] if c.get("type") == "ReplicaFailure"), None)
            reason = "FailedCreate" if len(active) < rs["spec"].get("replicas", 1) else "FailedDelete"
            conditions.append({"type": "ReplicaFailure", "status": "True", "reason": reason,
                               "message": manage_error.message,
                               "lastTransitionTime": (old or {}).get("lastTransitionTime") or now_rfc3339()})
        if conditions:
            status["conditions"] = conditions
        else:
            status.pop("conditions", None)
        return status


CONTROLLER = ReplicaSetController

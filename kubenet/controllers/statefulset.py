"""StatefulSet controller: Pods with stable names `<sts>-<ordinal>`, made and removed in order.

Follows pkg/controller/statefulset: OrderedReady waits for each Pod to be Running and Ready before the next
ordinal and scales down from the highest ordinal one at a time; Parallel does neither. Each Pod gets
hostname = its name and subdomain = spec.serviceName, so the headless Service gives it a DNS name. The pod
template is versioned in ControllerRevisions `<sts>-<hash>`; a rolling update replaces Pods from the highest
ordinal down to the partition, one at a time.
"""
from __future__ import annotations

import copy
import re

from kubenet.api import podutil
from kubenet.api.errors import APIError
from kubenet.api.meta import controller_ref
from kubenet.api.selectors import selector_matches
from kubenet.client.base import Client
from kubenet.client.informer import NAMESPACE
from kubenet.controllers import history
from kubenet.controllers.base import Controller, Informers
from kubenet.controllers.controller_ref import ControllerRefManager
from kubenet.controllers.expectations import BURST_REPLICAS

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_LABEL = "controller-revision-hash"


def selects(sts: dict, labels: dict | None) -> bool:
    return selector_matches(sts["spec"].get("selector"), labels)


def ordinal_of(sts_name: str, pod_name: str) -> int | None:
    m = re.fullmatch(re.escape(sts_name) + r"-(\d+)", pod_name)
    return int(m.group(1)) if m else None


class StatefulSetController(Controller):
    name = "statefulset"

    def __init__(self, client: Client, informers: Informers):
        super().__init__(client, informers)
        self.sets = informers.get("statefulsets.apps")
        self.pods = informers.get("pods")
        self.revisions = informers.get("controllerrevisions.apps")
        self.sets.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), self.enqueue)
        self.watch_owned_pods(self.pods, self.sets, "StatefulSet", selects)
        self.revisions.add_handlers(self._owned_changed, lambda old, new: self._owned_changed(new),
                                    self._owned_changed)

    def _owned_changed(self, obj: dict) -> None:
        self.enqueue_owner(obj, "StatefulSet")
        self.enqueue_adopters(obj, self.sets, selects)

    # --- revisions -----------------------------------------------------------------------------------------
    def _manager(self, sts: dict, extra=lambda obj: True) -> ControllerRefManager:
        return ControllerRefManager(self.client, sts, "statefulsets.apps",
                                    lambda obj: selects(sts, obj["metadata"].get("labels")) and extra(obj))

    async def _owned_revisions(self, sts: dict) -> list[dict]:
        """ClaimControllerRevisions: the set's revisions, orphans its selector matches adopted."""
        ns = sts["metadata"]["namespace"]
        candidates = self.revisions.by_index(NAMESPACE, ns)
        out = await self._manager(sts).claim("controllerrevisions.apps", candidates)
        return sorted(out, key=lambda r: r.get("revision", 0))

    async def _owned_pods(self, sts: dict) -> dict[int, dict]:
        """getPodsForStatefulSet: claim Pods the selector matches whose name is `<set>-<ordinal>` (isMemberOf);
        an owned Pod that stops matching is released."""
        name = sts["metadata"]["name"]
        candidates = self.pods.by_index(NAMESPACE, sts["metadata"]["namespace"])
        claimed = await self._manager(sts, lambda pod: ordinal_of(name, pod["metadata"]["name"]) is not None) \
            .claim("pods", candidates)
        return {ordinal_of(name, p["metadata"]["name"]): p for p in claimed}

    async def _ensure_update_revision(self, sts: dict, revisions: list[dict]) -> tuple[str, int] | None:
        """The revision name of the current template; None after bumping collisionCount (try again)."""
        revision = await history.ensure_revision(self.client, sts, "statefulsets.apps", revisions)
        return None if revision is None else (revision["metadata"]["name"], revision.get("revision", 0))

    # --- pods ----------------------------------------------------------------------------------------------
    def _new_pod(self, sts: dict, ordinal: int, revision_name: str, template: dict) -> dict:
        name = f"{sts['metadata']['name']}-{ordinal}"
        meta = copy.deepcopy(template.get("metadata") or {})
        labels = meta.get("labels") or {}
        labels.update({POD_NAME_LABEL: name, POD_INDEX_LABEL: str(ordinal), REVISION_LABEL: revision_name})
        spec = copy.deepcopy(template.get("spec") or {})
        spec["hostname"] = name
        if sts["spec"].get("serviceName"):
            spec["subdomain"] = sts["spec"]["serviceName"]
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {**meta, "name": name, "namespace": sts["metadata"]["namespace"], "labels": labels,
                             "ownerReferences": [controller_ref(sts)]},
                "spec": spec}

    async def _create_pod(self, sts: dict, pod: dict) -> None:
        name, set_name = pod["metadata"]["name"], sts["metadata"]["name"]
        try:
            await self.client.create("pods", pod)
        except APIError as exc:
            if exc.code == 409:
                return  # our cache is behind: it exists already
            await self.recorder.event(sts, "Warning", "FailedCreate",
                                      f"create Pod {name} in StatefulSet {set_name} failed error: {exc.message}")
            raise
        await self.recorder.event(sts, "Normal", "SuccessfulCreate",
                                  f"create Pod {name} in StatefulSet {set_name} successful")

    async def _delete_pod(self, sts: dict, pod: dict) -> None:
        name, set_name = pod["metadata"]["name"], sts["metadata"]["name"]
        try:
            await self.client.delete("pods", name, pod["metadata"]["namespace"],
                                     preconditions={"uid": pod["metadata"]["uid"]})
        except APIError as exc:
            if exc.code in (404, 409):
                return
            await self.recorder.event(sts, "Warning", "FailedDelete",
                                      f"delete Pod {name} in StatefulSet {set_name} failed error: {exc.message}")
            raise
        await self.recorder.event(sts, "Normal", "SuccessfulDelete",
                                  f"delete Pod {name} in StatefulSet {set_name} successful")

    def _healthy(self, pod: dict, min_ready: int) -> bool:
        return podutil.is_running_and_ready(pod) and podutil.is_available(pod, min_ready) \
            and not podutil.is_terminating(pod)

    # --- reconcile -----------------------------------------------------------------------------------------
    async def reconcile(self, key: str) -> None:
        sts = self.sets.get(key)
        if sts is None or podutil.is_terminating(sts):
            return
        revisions = await self._owned_revisions(sts)
        ensured = await self._ensure_update_revision(sts, revisions)
        if ensured is None:
            return
        update_rev, _ = ensured
        status = sts.get("status") or {}
        current_rev = status.get("currentRevision") or update_rev
        by_name = {r["metadata"]["name"]: r for r in revisions}
        current_template = history.revision_template(by_name[current_rev]) if current_rev in by_name \
            else sts["spec"]["template"]

        pods = await self._owned_pods(sts)
        await self._write_status(sts, pods, current_rev, update_rev)

        spec = sts["spec"]
        replicas = spec.get("replicas", 1)
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        min_ready = spec.get("minReadySeconds", 0)
        strategy = spec.get("updateStrategy") or {}
        rolling = strategy.get("type", "RollingUpdate") == "RollingUpdate"
        partition = ((strategy.get("rollingUpdate") or {}).get("partition") or 0) if rolling else replicas
        start = (spec.get("ordinals") or {}).get("start", 0)
        wanted = range(start, start + replicas)

        # Scale up and repair, lowest ordinal first; Parallel makes at most BURST_REPLICAS Pods per sync, so an
        # absurd replica count costs bounded work (the loop ends after the burst, not after `replicas` steps).
        created = 0
        for ordinal in wanted:
            pod = pods.get(ordinal)
            if pod is None:
                if created >= BURST_REPLICAS:
                    self.queue.add_after(key, 1.0)
                    break
                created += 1
                use_current = ordinal - start < partition and current_rev != update_rev
                rev, template = (current_rev, current_template) if use_current else \
                    (update_rev, sts["spec"]["template"])
                await self._create_pod(sts, self._new_pod(sts, ordinal, rev, template))
                if ordered:
                    return  # the next ordinal waits until this one is Running and Ready
                continue
            if podutil.is_terminal(pod) and not podutil.is_terminating(pod):
                await self._delete_pod(sts, pod)  # a failed Pod is replaced under the same name
                if ordered:
                    return
                continue
            if ordered and not self._healthy(pod, min_ready):
                return

        # Scale down, highest ordinal first; OrderedReady only when every remaining Pod is healthy.
        condemned = sorted((o for o in pods if o not in wanted), reverse=True)
        for ordinal in condemned:
            pod = pods[ordinal]
            if podutil.is_terminating(pod):
                if ordered:
                    return
                continue
            await self._delete_pod(sts, pod)
            if ordered:
                return

        # Rolling update from the highest ordinal down to the partition, one unavailable Pod at a time.
        if rolling:
            for ordinal in sorted((o for o in pods if o in wanted), reverse=True):
                if ordinal - start < partition:
                    break
                pod = pods[ordinal]
                if podutil.is_terminating(pod):
                    return
                if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) != update_rev:
                    await self._delete_pod(sts, pod)
                    return
                if not self._healthy(pod, min_ready):
                    return
        await self._truncate_history(sts, revisions, pods, {current_rev, update_rev})

    async def _write_status(self, sts: dict, pods: dict[int, dict], current_rev: str, update_rev: str) -> None:
        spec = sts["spec"]
        min_ready = spec.get("minReadySeconds", 0)
        status: dict = {"observedGeneration": sts["metadata"].get("generation"), "replicas": len(pods),
                        "readyReplicas": 0, "currentReplicas": 0, "updatedReplicas": 0, "availableReplicas": 0}
        for pod in pods.values():
            if podutil.is_running_and_ready(pod):
                status["readyReplicas"] += 1
                if podutil.is_available(pod, min_ready):
                    status["availableReplicas"] += 1
            if not podutil.is_terminating(pod):
                rev = (pod["metadata"].get("labels") or {}).get(REVISION_LABEL)
                status["currentReplicas"] += rev == current_rev
                status["updatedReplicas"] += rev == update_rev
        replicas = spec.get("replicas", 1)
        # The rollout is complete once every wanted Pod runs the new revision and is ready.
        if status["updatedReplicas"] == replicas and status["readyReplicas"] == replicas and \
                status["replicas"] == replicas:
            current_rev = update_rev
            status["currentReplicas"] = status["updatedReplicas"]
        status["currentRevision"] = current_rev
        status["updateRevision"] = update_rev
        old = sts.get("status") or {}
        status["collisionCount"] = old.get("collisionCount") or 0
        if old.get("conditions"):
            status["conditions"] = old["conditions"]
        if status != old:
            await self.client.update("statefulsets.apps", {**sts, "status": status}, subresource="status")

    async def _truncate_history(self, sts: dict, revisions: list[dict], pods: dict[int, dict],
                                live: set[str]) -> None:
        limit = sts["spec"].get("revisionHistoryLimit", 10)
        live |= {(p["metadata"].get("labels") or {}).get(REVISION_LABEL) for p in pods.values()}
        history = [r for r in revisions if r["metadata"]["name"] not in live]
        for rev in history[:max(0, len(history) - limit)]:
            try:
                await self.client.delete("controllerrevisions.apps", rev["metadata"]["name"],
                                         rev["metadata"]["namespace"])
            except APIError as exc:
                if exc.code != 404:
                    raise


CONTROLLER = StatefulSetController

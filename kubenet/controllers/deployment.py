"""Deployment controller (pkg/controller/deployment): ReplicaSets per Pod template, rolled out step by step.

Each distinct template gets a ReplicaSet `<deployment>-<pod-template-hash>` carrying the revision annotation.
RollingUpdate grows the new ReplicaSet within maxSurge and shrinks old ones within maxUnavailable; Recreate
empties the old ones first. `kubectl rollout undo` writes an old template back, so the old ReplicaSet is
found again and gets the next revision. Scaling a Deployment mid-rollout spreads the change proportionally.
"""
from __future__ import annotations

import copy
import logging

from kubenet.api import podutil
from kubenet.api.errors import APIError
from kubenet.api.meta import controller_of, controller_ref, is_controlled_by
from kubenet.api.selectors import selector_matches
from kubenet.client.informer import CONTROLLER_UID, NAMESPACE
from kubenet.controllers import deployment_util as du
from kubenet.controllers.base import Controller, Informers
from kubenet.controllers.controller_ref import ControllerRefManager

log = logging.getLogger(__name__)
RESOURCE = "deployments.apps"
RS_RESOURCE = "replicasets.apps"


def _selects(d: dict, labels: dict | None) -> bool:
    return selector_matches(d["spec"].get("selector"), labels)


class DeploymentController(Controller):
    name = "deployment"
    workers = 2

    def __init__(self, client, informers: Informers):
        super().__init__(client, informers)
        self.deployments = informers.get(RESOURCE)
        self.replicasets = informers.get(RS_RESOURCE)
        self.pods = informers.get("pods", CONTROLLER_UID)
        self.deployments.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), self.enqueue)
        self.replicasets.add_handlers(self._on_rs, self._on_rs_update, self._on_rs)
        self.pods.add_handlers(None, None, self._on_pod_delete)

    # --- handlers ---------------------------------------------------------------------------------------
    def _on_rs(self, rs: dict) -> None:
        self.enqueue_owner(rs, "Deployment")
        self.enqueue_adopters(rs, self.deployments, _selects)

    def _on_rs_update(self, old: dict, new: dict) -> None:
        old_ref, new_ref = controller_of(old), controller_of(new)
        if old_ref and old_ref != new_ref:
            self.enqueue_owner(old, "Deployment")
        self._on_rs(new)

    def _on_pod_delete(self, pod: dict) -> None:
        # Recreate waits for old Pods to be gone, so their deletion is news for the Deployment.
        ref = controller_of(pod)
        if ref and ref.get("kind") == "ReplicaSet":
            rs = self.replicasets.get(f"{pod['metadata']['namespace']}/{ref['name']}")
            if rs:
                self.enqueue_owner(rs, "Deployment")

    # --- reconcile --------------------------------------------------------------------------------------
    async def reconcile(self, key: str) -> None:
        cached = self.deployments.get(key)
        if cached is None:
            return
        d = copy.deepcopy(cached)
        if not d["spec"].get("selector"):
            await self.recorder.event(d, "Warning", "SelectingAll",
                                      "This deployment is selecting all pods. A non-empty selector is required.")
            status = d.setdefault("status", {})
            if status.get("observedGeneration", 0) < d["metadata"].get("generation", 1):
                status["observedGeneration"] = d["metadata"].get("generation", 1)
                await self._write_status(d)
            return
        rs_list = await self._claim_replicasets(d)
        if d["metadata"].get("deletionTimestamp"):
            new_rs, old_rss = await self._all_replicasets(d, rs_list, create=False)
            await self._sync_status(old_rss + [new_rs], new_rs, d)
            return
        await self._check_paused_conditions(d)
        if d["spec"].get("paused") or await self._is_scaling_event(d, rs_list):
            await self._sync(d, rs_list)
        elif du.is_rolling(d):
            await self._rollout_rolling(d, rs_list)
        else:
            await self._rollout_recreate(d, rs_list)

    async def _claim_replicasets(self, d: dict) -> list[dict]:
        """getReplicaSetsForDeployment: adopt orphan ReplicaSets the selector matches; release owned ones it no
        longer matches (ClaimReplicaSets)."""
        ns = d["metadata"]["namespace"]
        manager = ControllerRefManager(self.client, d, RESOURCE,
                                       lambda rs: _selects(d, rs["metadata"].get("labels")))
        claimed = await manager.claim(RS_RESOURCE, self.replicasets.by_index(NAMESPACE, ns))
        return [copy.deepcopy(rs) for rs in claimed]  # the sync edits them; never the cached objects

    # --- new and old ReplicaSets, revisions ----------------------------------------------------------------
    async def _all_replicasets(self, d: dict, rs_list: list[dict], create: bool) -> tuple[dict | None, list[dict]]:
        """getAllReplicaSetsAndSyncRevision: the ReplicaSet of the current template (made if asked) and the rest."""
        template = d["spec"].get("template") or {}
        existing = next((rs for rs in du.by_creation(rs_list)
                         if du.equal_ignore_hash(rs["spec"].get("template"), template)), None)
        old_rss = [rs for rs in rs_list if rs is not existing]
        new_revision = str(du.max_revision(old_rss) + 1)
        if existing is not None:
            rs = copy.deepcopy(existing)
            changed = du.set_new_rs_annotations(d, rs, new_revision, exists=True)
            if changed or (rs["spec"].get("minReadySeconds") or 0) != (d["spec"].get("minReadySeconds") or 0):
                rs["spec"]["minReadySeconds"] = d["spec"].get("minReadySeconds") or 0
                rs = await self.client.update(RS_RESOURCE, rs, rs["metadata"]["namespace"])
                rs_list[rs_list.index(existing)] = rs
                return rs, old_rss
            status = d.setdefault("status", {})
            status_changed = False
            if du.has_progress_deadline(d) and du.get_condition(status, "Progressing") is None:
                du.set_condition(status, du.new_condition("Progressing", "True", du.FOUND_NEW_RS,
                                                          f'Found new replica set "{rs["metadata"]["name"]}"'))
                status_changed = True
            await self._set_revision(d, (rs["metadata"].get("annotations") or {}).get(du.REVISION, new_revision))
            if status_changed:
                await self._write_status(d)
            return rs, old_rss
        if not create:
            return None, old_rss
        return await self._create_new_rs(d, old_rss, new_revision), old_rss

    async def _create_new_rs(self, d: dict, old_rss: list[dict], new_revision: str) -> dict:
        ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
        template = copy.deepcopy(d["spec"]["template"])
        status = d.setdefault("status", {})
        pod_hash = du.compute_hash(template, status.get("collisionCount"))
        template.setdefault("metadata", {}).setdefault("labels", {})[du.HASH_LABEL] = pod_hash
        selector = copy.deepcopy(d["spec"]["selector"])
        selector.setdefault("matchLabels", {})[du.HASH_LABEL] = pod_hash
        new_rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": {"name": f"{name}-{pod_hash}", "namespace": ns,
                               "labels": copy.deepcopy(template["metadata"]["labels"]),
                               "ownerReferences": [controller_ref(d)]},
                  "spec": {"replicas": 0, "selector": selector, "template": template}}
        if d["spec"].get("minReadySeconds"):
            new_rs["spec"]["minReadySeconds"] = d["spec"]["minReadySeconds"]
        count = du.new_rs_new_replicas(d, old_rss + [new_rs], new_rs)
        new_rs["spec"]["replicas"] = count
        du.set_new_rs_annotations(d, new_rs, new_revision, exists=False)
        already_exists = False
        try:
            created = await self.client.create(RS_RESOURCE, new_rs, ns)
        except APIError as exc:
            if exc.code == 409 and exc.reason == "AlreadyExists":
                found = self.replicasets.get(f"{ns}/{new_rs['metadata']['name']}") or \
                    await self.client.get(RS_RESOURCE, new_rs["metadata"]["name"], ns)
                if is_controlled_by(found, d) and du.equal_ignore_hash(found["spec"]["template"], d["spec"]["template"]):
                    created, already_exists = found, True
                else:
                    # A hash collision: a different template already has this name; hash again next time.
                    status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
                    await self._write_status(d)
                    raise
            elif exc.code == 403 and "being terminated" in exc.message:
                raise
            else:
                msg = f'Failed to create new replica set "{new_rs["metadata"]["name"]}": {exc.message}'
                if du.has_progress_deadline(d):
                    du.set_condition(status, du.new_condition("Progressing", "False", "ReplicaSetCreateError", msg))
                    await self._write_status(d)
                await self.recorder.event(d, "Warning", "ReplicaSetCreateError", msg)
                raise
        if not already_exists and count > 0:
            await self.recorder.event(d, "Normal", "ScalingReplicaSet",
                                      f"Scaled up replica set {created['metadata']['name']} to {count}")
        await self._set_revision(d, new_revision)
        if not already_exists and du.has_progress_deadline(d):
            du.set_condition(status, du.new_condition("Progressing", "True", du.NEW_RS_CREATED,
                                                      f'Created new replica set "{created["metadata"]["name"]}"'))
            await self._write_status(d)
        return created

    async def _set_revision(self, d: dict, revision: str) -> None:
        """The Deployment mirrors its newest revision in an annotation (a metadata-only write)."""
        annotations = d["metadata"].setdefault("annotations", {})
        if annotations.get(du.REVISION) == revision:
            return
        annotations[du.REVISION] = revision
        status = d.get("status")
        written = await self.client.update(RESOURCE, d, d["metadata"]["namespace"])
        d["metadata"] = written["metadata"]
        if status is not None:
            d["status"] = status

    async def _write_status(self, d: dict) -> None:
        written = await self.client.update(RESOURCE, d, d["metadata"]["namespace"], subresource="status")
        d["metadata"] = written["metadata"]

    # --- scaling (sync) -------------------------------------------------------------------------------------
    async def _is_scaling_event(self, d: dict, rs_list: list[dict]) -> bool:
        new_rs, old_rss = await self._all_replicasets(d, rs_list, create=False)
        for rs in du.active(old_rss + [new_rs]):
            desired = (rs["metadata"].get("annotations") or {}).get(du.DESIRED_REPLICAS)
            if desired is not None and desired.isdigit() and int(desired) != du.replicas(d):
                return True
        return False

    async def _sync(self, d: dict, rs_list: list[dict]) -> None:
        """Scaling or paused: resize ReplicaSets without rolling anything out."""
        new_rs, old_rss = await self._all_replicasets(d, rs_list, create=False)
        await self._scale(d, new_rs, old_rss)
        if d["spec"].get("paused"):
            await self._cleanup(old_rss, d)
        await self._sync_status(old_rss + [new_rs], new_rs, d)

    async def _scale(self, d: dict, new_rs: dict | None, old_rss: list[dict]) -> None:
        target = du.find_active_or_latest(new_rs, old_rss)
        if target is not None:
            if du.replicas(target) != du.replicas(d):
                await self._scale_rs(target, du.replicas(d), d)
            return
        if du.is_saturated(d, new_rs):
            for rs in du.active(old_rss):
                await self._scale_rs(rs, 0, d)
            return
        if not du.is_rolling(d):
            return
        # Spread the difference over the ReplicaSets with Pods, in proportion to their size.
        live = du.active(old_rss + [new_rs])
        allowed = du.replicas(d) + du.max_surge(d) if du.replicas(d) > 0 else 0
        to_add = allowed - du.spec_replicas_sum(live)
        operation = "up" if to_add > 0 else "down"
        # Largest first; among equals the newer grows first and the older shrinks first.
        if to_add > 0:
            live.sort(key=lambda rs: (-du.replicas(rs), du.newest_first_key(rs)))
        else:
            live.sort(key=lambda rs: (-du.replicas(rs), rs["metadata"].get("creationTimestamp") or ""))
        sizes, added = {}, 0
        for rs in live:
            proportion = du.proportion(rs, d, to_add, added) if to_add else 0
            sizes[rs["metadata"]["name"]] = du.replicas(rs) + proportion
            added += proportion
        for i, rs in enumerate(live):
            size = sizes[rs["metadata"]["name"]]
            if i == 0 and to_add:
                size = max(0, size + to_add - added)  # leftovers go to the largest
            await self._scale_rs(rs, size, d, operation)

    async def _scale_rs(self, rs: dict, size: int, d: dict, operation: str | None = None) -> tuple[bool, dict]:
        old_size = du.replicas(rs)
        operation = operation or ("up" if old_size < size else "down")
        rs_copy = copy.deepcopy(rs)
        annotations_changed = du.set_replicas_annotations(rs_copy, du.replicas(d), du.replicas(d) + du.max_surge(d))
        if old_size == size and not annotations_changed:
            return False, rs
        rs_copy["spec"]["replicas"] = size
        written = await self.client.update(RS_RESOURCE, rs_copy, rs["metadata"]["namespace"])
        if old_size != size:
            await self.recorder.event(d, "Normal", "ScalingReplicaSet",
                                      f"Scaled {operation} replica set {rs['metadata']['name']} to {size} "
                                      f"from {old_size}")
        return old_size != size, written

    async def _cleanup(self, old_rss: list[dict], d: dict) -> None:
        """Keep only revisionHistoryLimit old ReplicaSets (empty, observed ones; oldest revisions go first)."""
        limit = d["spec"].get("revisionHistoryLimit")
        if limit is None:
            return
        cleanable = [rs for rs in old_rss if not rs["metadata"].get("deletionTimestamp")]
        excess = len(cleanable) - int(limit)
        if excess <= 0:
            return
        cleanable.sort(key=lambda rs: (du.revision_of(rs), rs["metadata"].get("creationTimestamp") or ""))
        for rs in cleanable[:excess]:
            status = rs.get("status") or {}
            if status.get("replicas", 0) or du.replicas(rs) or \
                    rs["metadata"].get("generation", 1) > status.get("observedGeneration", 0):
                continue
            try:
                await self.client.delete(RS_RESOURCE, rs["metadata"]["name"], rs["metadata"]["namespace"])
            except APIError as exc:
                if exc.code != 404:
                    raise

    # --- rollouts ----------------------------------------------------------------------------------------
    async def _rollout_rolling(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, old_rss = await self._all_replicasets(d, rs_list, create=True)
        all_rss = old_rss + [new_rs]
        if await self._reconcile_new_rs(all_rss, new_rs, d) or \
                await self._reconcile_old_rss(all_rss, du.active(old_rss), new_rs, d):
            await self._sync_rollout_status(all_rss, new_rs, d)
            return
        if du.deployment_complete(d, d.get("status") or {}):
            await self._cleanup(old_rss, d)
        await self._sync_rollout_status(all_rss, new_rs, d)

    async def _reconcile_new_rs(self, all_rss: list[dict], new_rs: dict, d: dict) -> bool:
        if du.replicas(new_rs) == du.replicas(d):
            return False
        if du.replicas(new_rs) > du.replicas(d):
            return (await self._scale_rs(new_rs, du.replicas(d), d))[0]
        return (await self._scale_rs(new_rs, du.new_rs_new_replicas(d, all_rss, new_rs), d))[0]

    async def _reconcile_old_rss(self, all_rss: list[dict], old_rss: list[dict], new_rs: dict, d: dict) -> bool:
        if du.spec_replicas_sum(old_rss) == 0:
            return False
        min_available = du.replicas(d) - du.max_unavailable(d)
        new_unavailable = du.replicas(new_rs) - int((new_rs.get("status") or {}).get("availableReplicas") or 0)
        max_scale_down = du.spec_replicas_sum(all_rss) - min_available - new_unavailable
        if max_scale_down <= 0:
            return False
        # First the old Pods that are not available anyway: removing them costs no availability.
        scaled = 0
        remaining = []
        for rs in du.by_creation(old_rss):
            available = int((rs.get("status") or {}).get("availableReplicas") or 0)
            if scaled < max_scale_down and du.replicas(rs) > available:
                step = min(max_scale_down - scaled, du.replicas(rs) - available)
                _, rs = await self._scale_rs(rs, du.replicas(rs) - step, d)
                scaled += step
            remaining.append(rs)
        # Then available old Pods, as far as minAvailable allows.
        available_total = du.status_sum(remaining + [new_rs], "availableReplicas")
        budget = available_total - min_available
        for rs in remaining:
            if budget <= 0:
                break
            if du.replicas(rs) == 0:
                continue
            step = min(du.replicas(rs), budget)
            await self._scale_rs(rs, du.replicas(rs) - step, d)
            budget -= step
            scaled += step
        return scaled > 0

    async def _rollout_recreate(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, old_rss = await self._all_replicasets(d, rs_list, create=False)
        scaled_down = False
        for rs in du.active(old_rss):
            scaled_down = (await self._scale_rs(rs, 0, d))[0] or scaled_down
        if scaled_down or self._old_pods_running(new_rs, old_rss):
            await self._sync_rollout_status(old_rss + [new_rs], new_rs, d)
            return
        if new_rs is None:
            new_rs, old_rss = await self._all_replicasets(d, rs_list, create=True)
        await self._scale_rs(new_rs, du.replicas(d), d)
        if du.deployment_complete(d, d.get("status") or {}):
            await self._cleanup(old_rss, d)
        await self._sync_rollout_status(old_rss + [new_rs], new_rs, d)

    def _old_pods_running(self, new_rs: dict | None, old_rss: list[dict]) -> bool:
        if du.status_sum(old_rss, "replicas") > 0:
            return True
        return any(not podutil.is_terminal(p) for rs in old_rss for p in self.pods.by_index(CONTROLLER_UID, rs["metadata"]["uid"]))

    # --- status -----------------------------------------------------------------------------------------
    async def _check_paused_conditions(self, d: dict) -> None:
        if not du.has_progress_deadline(d):
            return
        status = d.setdefault("status", {})
        cond = du.get_condition(status, "Progressing")
        if cond is not None and cond.get("reason") == du.TIMED_OUT:
            return
        paused_cond = cond is not None and cond.get("reason") == du.PAUSED
        if d["spec"].get("paused") and not paused_cond:
            du.set_condition(status, du.new_condition("Progressing", "Unknown", du.PAUSED, "Deployment is paused"))
        elif not d["spec"].get("paused") and paused_cond:
            du.set_condition(status, du.new_condition("Progressing", "Unknown", du.RESUMED, "Deployment is resumed"))
        else:
            return
        await self._write_status(d)

    async def _sync_status(self, all_rss: list[dict], new_rs: dict | None, d: dict) -> None:
        status = du.calculate_status(all_rss, new_rs, d)
        if status != (d.get("status") or {}):
            d["status"] = status
            await self._write_status(d)

    async def _sync_rollout_status(self, all_rss: list[dict], new_rs: dict | None, d: dict) -> None:
        status = du.rollout_status(all_rss, new_rs, d)
        if status != (d.get("status") or {}):
            d["status"] = status
            await self._write_status(d)
        self._requeue_stuck(d, status)

    def _requeue_stuck(self, d: dict, status: dict) -> None:
        """Look again when the progress deadline would pass, so ProgressDeadlineExceeded shows up on time."""
        if du.deployment_complete(d, status):
            return
        left = du.seconds_until_timeout(d, status)
        if left is not None:
            self.queue.add_after(f"{d['metadata']['namespace']}/{d['metadata']['name']}", max(left, 0) + 1)


CONTROLLER = DeploymentController

"""Job controller (batch/v1): run Pods until enough succeed, or give up.

Follows pkg/controller/job as of 1.32: Pods carry the `batch.kubernetes.io/job-tracking` finalizer until
the controller has counted them (through status.uncountedTerminatedPods, so a count is never lost or
doubled); success first sets SuccessCriteriaMet and failure FailureTarget, and the final Complete/Failed
condition follows once no Pod of the Job is still running or terminating. Indexed Jobs give each Pod a
completion index (annotation, label, env JOB_COMPLETION_INDEX, hostname `<job>-<index>`).
"""
from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections.abc import Callable

from kubenet.api import podutil
from kubenet.api.errors import APIError
from kubenet.api.meta import controller_of, controller_ref, format_time, parse_time, set_condition
from kubenet.api.selectors import selector_matches
from kubenet.client.base import Client, object_key, split_key
from kubenet.client.informer import NAMESPACE
from kubenet.controllers.base import Controller, Informers
from kubenet.controllers.controller_ref import ControllerRefManager
from kubenet.controllers.expectations import BURST_REPLICAS, Expectations, owner_key_of, slow_start_batch

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
INDEX_KEY = "batch.kubernetes.io/job-completion-index"
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
UID_LABELS = ("batch.kubernetes.io/controller-uid", "controller-uid")
MSG_COMPLETIONS = "Reached expected number of succeeded pods"
MSG_BACKOFF = "Job has reached the specified backoff limit"
MSG_DEADLINE = "Job was active longer than specified deadline"


def job_condition(job: dict, ctype: str) -> dict | None:
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype and c.get("status") == "True":
            return c
    return None


def is_finished(job: dict) -> bool:
    return bool(job_condition(job, "Complete") or job_condition(job, "Failed"))


def format_indexes(indexes: set[int]) -> str:
    """status.completedIndexes: sorted, ranges collapsed ("0-2,5")."""
    out, items = [], sorted(indexes)
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        out.append(str(items[i]) if i == j else f"{items[i]}-{items[j]}")
        i = j + 1
    return ",".join(out)


def parse_indexes(text: str | None) -> set[int]:
    out: set[int] = set()
    for part in (text or "").split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            out.update(range(int(a), int(b) + 1))
        elif part.strip():
            out.add(int(part))
    return out


def selects(job: dict, labels: dict | None) -> bool:
    return selector_matches(job["spec"].get("selector"), labels)


def pod_index(pod: dict) -> int | None:
    value = (pod["metadata"].get("annotations") or {}).get(INDEX_KEY)
    return int(value) if value is not None and str(value).isdigit() else None


class JobController(Controller):
    name = "job"

    def __init__(self, client: Client, informers: Informers,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)):
        super().__init__(client, informers)
        self.clock = clock
        self.jobs = informers.get("jobs.batch")
        self.pods = informers.get("pods")
        self.expectations = Expectations()
        self.jobs.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), self._job_deleted)
        self.watch_owned_pods(self.pods, self.jobs, "Job", selects, self.expectations)

    def _job_deleted(self, job: dict) -> None:
        self.expectations.forget(object_key(job))
        self.enqueue(job)  # its Pods' tracking finalizers go (cleanupPodFinalizers upstream)

    # --- reconcile -----------------------------------------------------------------------------------------
    async def reconcile(self, key: str) -> None:
        job = self.jobs.get(key)
        namespace, _ = split_key(key)
        if job is None:
            await self._release_orphans(key, namespace or "")
            return
        if podutil.is_terminating(job):
            return
        pods = await self._claim_pods(job, self.pods.by_index(NAMESPACE, namespace or ""))
        if is_finished(job):
            await self._remove_finalizers([p for p in pods if TRACKING_FINALIZER in
                                           (p["metadata"].get("finalizers") or [])])
            await self._ttl(key, job)
            return
        if not self.expectations.satisfied(key):
            return
        job = await self._track_finished_pods(job, pods)
        await self._sync(key, job, pods)

    async def _release_orphans(self, key: str, namespace: str) -> None:
        """syncOrphanPod upstream: a Pod whose Job is gone (deleted, or the Pod orphaned by `--cascade=orphan`)
        loses the tracking finalizer, else nothing ever removes it and a deleted Pod stays Terminating forever.
        A Pod event of that Job, or of a Pod released from it, enqueues its key."""
        orphans = []
        for pod in self.pods.by_index(NAMESPACE, namespace):
            if TRACKING_FINALIZER not in (pod["metadata"].get("finalizers") or []):
                continue
            owner = owner_key_of(pod, "Job")
            if owner == key or (controller_of(pod) is None and owner is None):
                orphans.append(pod)
        await self._remove_finalizers(orphans)

    async def _claim_pods(self, job: dict, candidates: list[dict]) -> list[dict]:
        """getPodsForJob: adopt orphans the selector matches (adding the tracking finalizer, as the adoption
        patch does upstream) and release owned Pods that no longer match (removing it)."""
        manager = ControllerRefManager(self.client, job, "jobs.batch",
                                       lambda pod: selects(job, pod["metadata"].get("labels")),
                                       finalizers=(TRACKING_FINALIZER,))
        return await manager.claim("pods", candidates)

    async def _track_finished_pods(self, job: dict, pods: list[dict]) -> dict:
        """Count finished Pods exactly once: record their UIDs, drop the finalizer, then add them to the counts."""
        status = copy.deepcopy(job.get("status") or {})
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        recorded = set(uncounted.get("succeeded") or []) | set(uncounted.get("failed") or [])
        done_pods = []
        for pod in pods:
            if TRACKING_FINALIZER not in (pod["metadata"].get("finalizers") or []):
                continue
            uid = pod["metadata"]["uid"]
            result = {"Succeeded": "succeeded", "Failed": "failed"}.get(podutil.phase(pod))
            if result is None and podutil.is_terminating(pod):
                result = "failed"  # a Pod deleted before it finished counts as a failure
            if result is None:
                continue
            done_pods.append(pod)
            if uid not in recorded:
                uncounted.setdefault(result, []).append(uid)
        if not uncounted.get("succeeded") and not uncounted.get("failed"):
            return job
        if status != (job.get("status") or {}):
            job = await self.client.update("jobs.batch", {**job, "status": status}, subresource="status")
        await self._remove_finalizers(done_pods)
        # Finalizers are gone: move the UIDs into the counts.
        status = copy.deepcopy(job["status"])
        uncounted = status["uncountedTerminatedPods"]
        succeeded_uids = set(uncounted.get("succeeded") or [])
        status["succeeded"] = status.get("succeeded", 0) + len(succeeded_uids)
        status["failed"] = status.get("failed", 0) + len(uncounted.get("failed") or [])
        if job["spec"].get("completionMode") == "Indexed":
            indexes = parse_indexes(status.get("completedIndexes"))
            indexes |= {pod_index(p) for p in pods if p["metadata"]["uid"] in succeeded_uids} - {None}
            status["completedIndexes"] = format_indexes(indexes)
        status["uncountedTerminatedPods"] = {}
        return await self.client.update("jobs.batch", {**job, "status": status}, subresource="status")

    async def _remove_finalizers(self, pods: list[dict]) -> None:
        for pod in pods:
            await self.remove_finalizer("pods", pod, TRACKING_FINALIZER)

    async def _sync(self, key: str, job: dict, pods: list[dict]) -> None:
        spec, now = job["spec"], self.clock()
        status = copy.deepcopy(job.get("status") or {})
        conditions = status.setdefault("conditions", [])
        indexed = spec.get("completionMode") == "Indexed"
        active = [p for p in pods if podutil.is_active(p)]
        terminating = [p for p in pods if podutil.is_terminating(p) and not podutil.is_terminal(p)]
        suspended = bool(spec.get("suspend"))
        events: list[tuple[str, str, str]] = []

        def condition(ctype: str, state: str, reason: str, message: str) -> bool:
            return set_condition(conditions, ctype, state, reason, message, format_time(now), probe_time=True)

        if suspended:
            if condition("Suspended", "True", "JobSuspended", "Job suspended"):
                events.append(("Normal", "Suspended", "Job suspended"))
        elif job_condition(job, "Suspended"):
            condition("Suspended", "False", "JobResumed", "Job resumed")
            events.append(("Normal", "Resumed", "Job resumed"))
            status["startTime"] = format_time(now)  # activeDeadlineSeconds counts from the resume
        if not suspended and not status.get("startTime"):
            status["startTime"] = format_time(now)

        succeeded, failed = status.get("succeeded", 0), status.get("failed", 0)
        completions = spec.get("completions")
        parallelism = spec.get("parallelism", 1)
        done_indexes = parse_indexes(status.get("completedIndexes"))
        if indexed:
            success = completions is not None and len(done_indexes) >= completions
        elif completions is None:
            success = succeeded > 0 and not active
        else:
            success = succeeded >= completions
        restarts = 0
        if (spec.get("template", {}).get("spec") or {}).get("restartPolicy") == "OnFailure":
            restarts = sum(cs.get("restartCount", 0) for p in active
                           for cs in (p.get("status") or {}).get("containerStatuses") or [])
        failure = None
        if job_condition(job, "FailureTarget"):
            c = job_condition(job, "FailureTarget")
            failure = (c["reason"], c["message"])
        elif failed + restarts > spec.get("backoffLimit", 6):
            failure = ("BackoffLimitExceeded", MSG_BACKOFF)
        elif spec.get("activeDeadlineSeconds") is not None and status.get("startTime") and not suspended:
            deadline = parse_time(status["startTime"]) + dt.timedelta(seconds=spec["activeDeadlineSeconds"])
            if now >= deadline:
                failure = ("DeadlineExceeded", MSG_DEADLINE)
            else:
                self.queue.add_after(key, (deadline - now).total_seconds())

        to_delete: list[dict] = []
        to_create: list[int | None] = []
        if failure or success or job_condition(job, "SuccessCriteriaMet"):
            to_delete = active  # the Job is decided: stop what still runs
            if failure:
                condition("FailureTarget", "True", failure[0], failure[1])
            else:
                condition("SuccessCriteriaMet", "True", "CompletionsReached", MSG_COMPLETIONS)
            if not active and not terminating:
                if failure:
                    condition("Failed", "True", failure[0], failure[1])
                    events.append(("Warning", failure[0], failure[1]))
                else:
                    condition("Complete", "True", "CompletionsReached", MSG_COMPLETIONS)
                    status["completionTime"] = format_time(now)
                    events.append(("Normal", "Completed", "Job completed"))
        elif suspended:
            to_delete = active
        elif indexed:
            running = {pod_index(p) for p in active}
            wanted = min(max(0, parallelism - len(active)), BURST_REPLICAS)  # never walk 2^31 indexes in one sync
            pending = (i for i in range(completions or 0) if i not in done_indexes and i not in running)
            to_create = list(itertools.islice(pending, wanted))
        else:
            remaining = parallelism if completions is None else min(parallelism, completions - succeeded)
            if completions is None and succeeded > 0:
                remaining = 0  # a work queue Job starts no new Pods once one has succeeded
            if len(active) < remaining:
                to_create = [None] * min(remaining - len(active), BURST_REPLICAS)
            elif len(active) > remaining:
                # Remove the least useful first: not-ready, then the newest.
                ranked = sorted(active, key=lambda p: (podutil.is_pod_ready(p),
                                                       p["metadata"].get("creationTimestamp", "")))
                to_delete = ranked[:len(active) - remaining]

        # MaxPodCreateDeletePerSync: a huge parallelism makes Pods over many syncs, creates in slow-start batches.
        to_delete = to_delete[:BURST_REPLICAS]
        if to_delete:
            self.expectations.expect_deletions(key, [p["metadata"]["uid"] for p in to_delete])
        for pod in to_delete:
            await self.delete_pod(job, pod, self.expectations, key)
        self.expectations.expect_creations(key, len(to_create))
        created, create_error = await slow_start_batch(to_create, lambda index: self._create_pod(job, index))
        self.expectations.creation_observed(key, len(to_create) - created)
        gone = {p["metadata"]["uid"] for p in to_delete}
        still = [p for p in active if p["metadata"]["uid"] not in gone]
        status["active"] = len(still) + created
        status["ready"] = sum(1 for p in still if podutil.is_pod_ready(p))
        status["terminating"] = len(terminating) + len(to_delete)
        status.setdefault("succeeded", 0)
        status.setdefault("failed", 0)
        status.setdefault("uncountedTerminatedPods", {})
        for field in ("succeeded", "failed", "active"):  # omitempty in batch/v1; ready/terminating are not
            if not status.get(field):
                status.pop(field)
        if not conditions:
            status.pop("conditions")
        if status != (job.get("status") or {}):
            await self.client.update("jobs.batch", {**job, "status": status}, subresource="status")
        for type_, reason, message in events:
            await self.recorder.event(job, type_, reason, message)
        if create_error is not None:
            raise create_error  # retried with back-off, after the status above counts what was made

    def _new_pod(self, job: dict, index: int | None) -> dict:
        template = copy.deepcopy(job["spec"]["template"])
        meta, spec = template.get("metadata") or {}, template.get("spec") or {}
        job_name, uid = job["metadata"]["name"], job["metadata"]["uid"]
        labels = meta.setdefault("labels", {})
        for label in JOB_NAME_LABELS:
            labels.setdefault(label, job_name)
        for label in UID_LABELS:
            labels.setdefault(label, uid)
        meta.setdefault("finalizers", []).append(TRACKING_FINALIZER)
        generate_name = f"{job_name}-"
        if index is not None:
            meta.setdefault("annotations", {})[INDEX_KEY] = str(index)
            labels[INDEX_KEY] = str(index)
            generate_name = f"{job_name}-{index}-"
            spec.setdefault("hostname", f"{job_name}-{index}")
            env = {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
                "apiVersion": "v1", "fieldPath": f"metadata.annotations['{INDEX_KEY}']"}}}
            for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
                if not any(e.get("name") == "JOB_COMPLETION_INDEX" for e in container.get("env") or []):
                    container.setdefault("env", []).append(dict(env))
        meta.pop("name", None)
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {**meta, "generateName": generate_name, "namespace": job["metadata"]["namespace"],
                             "ownerReferences": [controller_ref(job)]},
                "spec": spec}

    async def _create_pod(self, job: dict, index: int | None) -> None:
        await self.create_pod(job, self._new_pod(job, index))

    async def _ttl(self, key: str, job: dict) -> None:
        """ttlSecondsAfterFinished (the TTL-after-finished controller's job): delete the Job and its Pods."""
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        if ttl is None:
            return
        status = job.get("status") or {}
        finished = parse_time(status.get("completionTime")) or \
            parse_time((job_condition(job, "Failed") or {}).get("lastTransitionTime"))
        if finished is None:
            return
        expires = finished + dt.timedelta(seconds=ttl)
        now = self.clock()
        if now < expires:
            self.queue.add_after(key, (expires - now).total_seconds())
            return
        try:
            await self.client.delete("jobs.batch", job["metadata"]["name"], job["metadata"]["namespace"],
                                     propagation_policy="Foreground",
                                     preconditions={"uid": job["metadata"]["uid"]})
        except APIError as exc:
            if exc.code != 404:
                raise


CONTROLLER = JobController

"""CronJob controller (batch/v1): a Job for every time the schedule fires.

Follows pkg/controller/cronjob (controller v2): Jobs are named `<cronjob>-<scheduled time in minutes since
the epoch>` so one schedule time can only ever make one Job; only the most recent missed time is started
(more than 100 missed times gives a TooManyMissedTimes warning); startingDeadlineSeconds drops starts that
are too late; concurrencyPolicy Allow / Forbid / Replace; finished Jobs beyond the history limits are
deleted. The clock is injectable so tests can move time.
"""
from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable

from kubenet.api import podutil
from kubenet.api.cron import CronError, parse_schedule
from kubenet.api.errors import APIError
from kubenet.api.meta import controller_ref, format_time, parse_time
from kubenet.client.base import Client
from kubenet.client.informer import CONTROLLER_UID
from kubenet.controllers.base import Controller, Informers
from kubenet.controllers.job import job_condition

SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"
MAX_MISSED = 100


def job_name_for(cronjob_name: str, scheduled: dt.datetime) -> str:
    return f"{cronjob_name}-{int(scheduled.timestamp()) // 60}"


def finished_condition(job: dict) -> str | None:
    for ctype in ("Complete", "Failed"):
        if job_condition(job, ctype):
            return ctype
    return None


class CronJobController(Controller):
    name = "cronjob"

    def __init__(self, client: Client, informers: Informers,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)):
        super().__init__(client, informers)
        self.clock = clock
        self.cronjobs = informers.get("cronjobs.batch")
        self.jobs = informers.get("jobs.batch", CONTROLLER_UID)
        self.cronjobs.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), None)
        self.jobs.add_handlers(self._job_changed, lambda old, new: self._job_changed(new), self._job_changed)

    def _job_changed(self, job: dict) -> None:
        self.enqueue_owner(job, "CronJob")

    def _owned_jobs(self, cj: dict) -> list[dict]:
        ns = cj["metadata"]["namespace"]
        return [j for j in self.jobs.by_index(CONTROLLER_UID, cj["metadata"]["uid"]) if j["metadata"].get("namespace") == ns]

    async def reconcile(self, key: str) -> None:
        cj = self.cronjobs.get(key)
        if cj is None or podutil.is_terminating(cj):
            return
        jobs = self._owned_jobs(cj)
        status = copy.deepcopy(cj.get("status") or {})
        events: list[tuple[str, str, str]] = []
        self._sync_active(cj, jobs, status, events)
        await self._cleanup_history(cj, jobs)
        requeue: float | None = None
        if not cj["spec"].get("suspend"):
            requeue = await self._maybe_start(cj, jobs, status, events)
        if not status.get("active"):
            status.pop("active", None)
        if status != (cj.get("status") or {}):
            await self.client.update("cronjobs.batch", {**cj, "status": status}, subresource="status")
        for type_, reason, message in events:
            await self.recorder.event(cj, type_, reason, message)
        if requeue is not None:
            self.queue.add_after(key, requeue)

    def _sync_active(self, cj: dict, jobs: list[dict], status: dict, events: list) -> None:
        """status.active lists our unfinished Jobs; note the ones that finished or vanished."""
        by_uid = {j["metadata"]["uid"]: j for j in jobs}
        active = []
        for ref in status.get("active") or []:
            job = by_uid.get(ref.get("uid"))
            if job is None:
                if self.jobs.get(f"{ref.get('namespace')}/{ref.get('name')}") is None:
                    events.append(("Normal", "MissingJob", f"Active job went missing: {ref.get('name')}"))
                continue
            condition = finished_condition(job)
            if condition:
                events.append(("Normal", "SawCompletedJob",
                               f"Saw completed job: {job['metadata']['name']}, condition: {condition}"))
                continue
            active.append(ref)
        known = {ref.get("uid") for ref in active}
        for job in jobs:
            condition = finished_condition(job)
            if condition == "Complete":
                done = parse_time((job.get("status") or {}).get("completionTime"))
                last = parse_time(status.get("lastSuccessfulTime"))
                if done and (last is None or done > last):
                    status["lastSuccessfulTime"] = format_time(done)
            if condition is None and job["metadata"]["uid"] not in known and not podutil.is_terminating(job):
                active.append(self._ref(job))  # a Job of ours we had not listed yet
        status["active"] = active

    @staticmethod
    def _ref(job: dict) -> dict:
        meta = job["metadata"]
        return {"kind": "Job", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"],
                "apiVersion": "batch/v1", "resourceVersion": meta.get("resourceVersion")}

    async def _cleanup_history(self, cj: dict, jobs: list[dict]) -> None:
        limits = {"Complete": cj["spec"].get("successfulJobsHistoryLimit", 3),
                  "Failed": cj["spec"].get("failedJobsHistoryLimit", 1)}
        for condition, limit in limits.items():
            if limit is None:
                continue
            finished = [j for j in jobs if finished_condition(j) == condition and not podutil.is_terminating(j)]
            finished.sort(key=lambda j: (j.get("status") or {}).get("startTime")
                          or j["metadata"].get("creationTimestamp", ""))
            for job in finished[:max(0, len(finished) - limit)]:
                await self._delete_job(cj, job)

    async def _delete_job(self, cj: dict, job: dict) -> None:
        try:
            await self.client.delete("jobs.batch", job["metadata"]["name"], job["metadata"]["namespace"],
                                     propagation_policy="Background")
        except APIError as exc:
            if exc.code == 404:
                return
            await self.recorder.event(cj, "Warning", "FailedDelete",
                                      f"Deleted job: {exc.message}")
            raise
        await self.recorder.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {job['metadata']['name']}")

    async def _maybe_start(self, cj: dict, jobs: list[dict], status: dict, events: list) -> float | None:
        """Start the Job for the most recent due time, if any; return seconds until the next time."""
        spec = cj["spec"]
        try:
            schedule = parse_schedule(spec["schedule"], spec.get("timeZone"))
        except CronError as exc:
            reason = "UnknownTimeZone" if "time zone" in str(exc) else "UnparseableSchedule"
            events.append(("Warning", reason, f"unparseable schedule: {spec['schedule']!r} : {exc}"))
            return None
        now = self.clock()
        earliest = parse_time(status.get("lastScheduleTime")) or parse_time(cj["metadata"]["creationTimestamp"])
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now - dt.timedelta(seconds=deadline))
        next_time = schedule.next_after(now)
        wait = max(0.0, (next_time - now).total_seconds()) + 0.1 if next_time else None
        scheduled = schedule.last_at_or_before(now)
        if scheduled is None or scheduled <= earliest:
            return wait
        missed, t = 0, earliest
        while missed <= MAX_MISSED:
            t = schedule.next_after(t)
            if t is None or t > now:
                break
            missed += 1
        if missed > MAX_MISSED:
            events.append(("Warning", "TooManyMissedTimes",
                           ("too many missed start times. Set or decrease .spec.startingDeadlineSeconds or "
                            "check clock skew")))
        if deadline is not None and scheduled + dt.timedelta(seconds=deadline) < now:
            events.append(("Warning", "MissSchedule", f"Missed scheduled time to start a job: {format_time(scheduled)}"))
            return wait
        name = job_name_for(cj["metadata"]["name"], scheduled)
        if any(ref.get("name") == name for ref in status.get("active") or []) or \
                self.jobs.get(f"{cj['metadata']['namespace']}/{name}") is not None:
            return wait  # this time was started already
        policy = spec.get("concurrencyPolicy", "Allow")
        if policy == "Forbid" and status.get("active"):
            events.append(("Normal", "JobAlreadyActive",
                           "Not starting job because prior execution is running and concurrency policy is Forbid"))
            return wait
        if policy == "Replace":
            for ref in status.get("active") or []:
                job = self.jobs.get(f"{ref.get('namespace')}/{ref.get('name')}")
                if job is not None:
                    await self._delete_job(cj, job)
            status["active"] = []
        job = await self._create_job(cj, name, scheduled, schedule.tz)
        if job is not None:
            events.append(("Normal", "SuccessfulCreate", f"Created job {name}"))
            status.setdefault("active", []).append(self._ref(job))
        status["lastScheduleTime"] = format_time(scheduled)
        return wait

    async def _create_job(self, cj: dict, name: str, scheduled: dt.datetime, tz: dt.tzinfo) -> dict | None:
        template = copy.deepcopy(cj["spec"].get("jobTemplate") or {})
        meta = template.get("metadata") or {}
        annotations = dict(meta.get("annotations") or {})
        annotations[SCHEDULED_TIMESTAMP] = scheduled.astimezone(tz).isoformat().replace("+00:00", "Z")
        job = {"apiVersion": "batch/v1", "kind": "Job",
               "metadata": {"name": name, "namespace": cj["metadata"]["namespace"],
                            "labels": dict(meta.get("labels") or {}), "annotations": annotations,
                            "ownerReferences": [controller_ref(cj)]},
               "spec": template.get("spec") or {}}
        try:
            return await self.client.create("jobs.batch", job)
        except APIError as exc:
            if exc.code == 409:
                return None  # made by an earlier pass whose cache update we have not seen yet
            await self.recorder.event(cj, "Warning", "FailedCreate", f"Error creating job: {exc.message}")
            raise


CONTROLLER = CronJobController

"""Job controller: Pods until enough succeed; the conditions, counts and events `kubectl describe job` shows."""
from __future__ import annotations

import datetime as dt

from kubenet.controllers.job import TRACKING_FINALIZER, JobController, format_indexes, parse_indexes
from tests.unit.controller_harness import Cluster, run


def job(name: str = "pi", **spec) -> dict:
    body = {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}},
            **spec}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": body}


async def get_job(c: Cluster, name: str = "pi") -> dict:
    return await c.client.get("jobs.batch", name, "default")


def conditions(j: dict) -> dict[str, tuple[str, str]]:
    return {x["type"]: (x["status"], x.get("reason", "")) for x in j["status"].get("conditions") or []}


async def wait_pods(c: Cluster, n: int) -> list[dict]:
    async def running():
        pods = [p for p in await c.pods() if p["status"].get("phase") in (None, "Pending", "Running")]
        return pods if len(pods) == n else None
    running.__name__ = f"{n} active pods"
    return await c.until(running)


def test_indexes_round_trip():
    assert format_indexes({0, 1, 2, 5, 7, 8}) == "0-2,5,7-8"
    assert parse_indexes("0-2,5,7-8") == {0, 1, 2, 5, 7, 8}
    assert parse_indexes("") == set()


def test_job_runs_to_completion():
    async def story():
        async with Cluster(JobController) as c:
            created = await c.client.create("jobs.batch", job(completions=2), "default")
            (first,) = await wait_pods(c, 1)
            meta = first["metadata"]
            assert meta["name"].startswith("pi-") and len(meta["name"]) == len("pi-") + 5
            assert meta["labels"]["batch.kubernetes.io/job-name"] == "pi"
            assert meta["labels"]["job-name"] == "pi"
            assert meta["labels"]["controller-uid"] == created["metadata"]["uid"]
            assert meta["labels"]["batch.kubernetes.io/controller-uid"] == created["metadata"]["uid"]
            assert TRACKING_FINALIZER in meta["finalizers"]
            assert meta["ownerReferences"][0]["kind"] == "Job"
            assert (await get_job(c))["status"]["active"] == 1
            assert (await get_job(c))["status"]["startTime"]

            await c.set_pod_status(meta["name"], phase="Succeeded", ready=False)

            async def second():
                pods = await c.pods()
                return len(pods) == 2 and pods
            pods = await c.until(second)
            done = next(p for p in pods if p["metadata"]["name"] == meta["name"])
            assert TRACKING_FINALIZER not in (done["metadata"].get("finalizers") or [])  # counted
            other = next(p for p in pods if p["metadata"]["name"] != meta["name"])
            await c.set_pod_status(other["metadata"]["name"], phase="Succeeded", ready=False)

            async def complete():
                j = await get_job(c)
                return "Complete" in conditions(j) and j
            j = await c.until(complete)
            assert conditions(j) == {"SuccessCriteriaMet": ("True", "CompletionsReached"),
                                     "Complete": ("True", "CompletionsReached")}
            assert j["status"]["succeeded"] == 2 and "active" not in j["status"]
            assert j["status"]["uncountedTerminatedPods"] == {}
            assert j["status"]["completionTime"] and j["status"]["ready"] == 0
            msgs = [e["message"] for e in await c.events("SuccessfulCreate")]
            assert sorted(msgs) == sorted(f"Created pod: {p['metadata']['name']}" for p in pods)
            assert [e["message"] for e in await c.events("Completed")] == ["Job completed"]
    run(story)


def test_backoff_limit_fails_the_job():
    async def story():
        async with Cluster(JobController) as c:
            await c.client.create("jobs.batch", job(backoffLimit=1), "default")
            for attempt in range(2):
                (p,) = await wait_pods(c, 1)
                await c.set_pod_status(p["metadata"]["name"], phase="Failed", ready=False)

            async def failed():
                j = await get_job(c)
                return "Failed" in conditions(j) and j
            j = await c.until(failed)
            assert conditions(j) == {"FailureTarget": ("True", "BackoffLimitExceeded"),
                                     "Failed": ("True", "BackoffLimitExceeded")}
            failed_cond = next(x for x in j["status"]["conditions"] if x["type"] == "Failed")
            assert failed_cond["message"] == "Job has reached the specified backoff limit"
            assert j["status"]["failed"] == 2 and "completionTime" not in j["status"]
            await c.settle()
            assert len(await c.pods()) == 2  # no third attempt
            assert [e["type"] for e in await c.events("BackoffLimitExceeded")] == ["Warning"]
    run(story)


def test_indexed_job_gives_each_pod_its_index():
    async def story():
        async with Cluster(JobController) as c:
            await c.client.create("jobs.batch", job("work", completions=3, parallelism=3,
                                                    completionMode="Indexed"), "default")
            pods = await wait_pods(c, 3)
            by_index = {p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]: p for p in pods}
            assert set(by_index) == {"0", "1", "2"}
            p1 = by_index["1"]
            assert p1["metadata"]["name"].startswith("work-1-")
            assert p1["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == "1"
            assert p1["spec"]["hostname"] == "work-1"
            env = p1["spec"]["containers"][0]["env"]
            assert env == [{"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
                "apiVersion": "v1", "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}]

            await c.set_pod_status(p1["metadata"]["name"], phase="Succeeded", ready=False)

            async def index_done():
                j = await get_job(c, "work")
                return j["status"].get("completedIndexes") == "1" and j
            j = await c.until(index_done)
            assert j["status"]["succeeded"] == 1
            await c.settle()
            assert len(await wait_pods(c, 2)) == 2  # index 1 is not run again
            for p in await c.pods():
                if p["status"].get("phase") != "Succeeded":
                    await c.set_pod_status(p["metadata"]["name"], phase="Succeeded", ready=False)

            async def complete():
                j = await get_job(c, "work")
                return "Complete" in conditions(j) and j
            j = await c.until(complete)
            assert j["status"]["completedIndexes"] == "0-2"
    run(story)


def test_active_deadline_with_a_fake_clock():
    now = [dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)]

    async def story():
        async with Cluster((JobController, {"clock": lambda: now[0]})) as c:
            await c.client.create("jobs.batch", job(activeDeadlineSeconds=30, parallelism=2, completions=4),
                                  "default")
            await wait_pods(c, 2)
            now[0] += dt.timedelta(seconds=31)
            c.controllers[0].queue.add("default/pi")

            async def failed():
                j = await get_job(c)
                return "Failed" in conditions(j) and j
            j = await c.until(failed)
            assert conditions(j)["Failed"] == ("True", "DeadlineExceeded")
            assert j["status"]["failed"] == 2  # the Pods it stopped
            assert await c.pods() == []
            assert [e["message"] for e in await c.events("DeadlineExceeded")] == \
                ["Job was active longer than specified deadline"]
    run(story)


def test_suspend_and_resume():
    async def story():
        async with Cluster(JobController) as c:
            await c.client.create("jobs.batch", job(parallelism=2, completions=2), "default")
            await wait_pods(c, 2)
            j = await get_job(c)
            j["spec"]["suspend"] = True
            await c.client.update("jobs.batch", j, "default")

            async def suspended():
                j = await get_job(c)
                return conditions(j).get("Suspended") == ("True", "JobSuspended") and not await c.pods() and j
            await c.until(suspended)
            j = await get_job(c)
            j["spec"]["suspend"] = False
            await c.client.update("jobs.batch", j, "default")
            await wait_pods(c, 2)

            async def resumed():
                return conditions(await get_job(c)).get("Suspended") == ("False", "JobResumed")
            await c.until(resumed)
            assert [e["message"] for e in await c.events("Suspended")] == ["Job suspended"]
    run(story)


def test_a_deleted_or_orphaning_job_releases_its_pods_tracking_finalizers():
    """`kubectl delete job` of a running Job: its Pods (deleted by the garbage collector, or orphaned by
    `--cascade=orphan`) lose the tracking finalizer, as syncOrphanPod does upstream; before, nothing removed it
    and a deleted Pod stayed Terminating forever."""
    async def story():
        async with Cluster(JobController) as c:
            await c.client.create("jobs.batch", job("a"), "default")
            await c.client.create("jobs.batch", job("b"), "default")
            (pa, pb) = sorted((await wait_pods(c, 2)), key=lambda p: p["metadata"]["name"])
            await c.client.delete("jobs.batch", "a", "default")  # no GC here: the Pod still names its Job
            await c.client.delete("pods", pa["metadata"]["name"], "default")  # what the GC does next
            assert await c.until(lambda: c.gone("pods", pa["metadata"]["name"]))

            orphan = await c.client.get("pods", pb["metadata"]["name"], "default")
            orphan["metadata"]["ownerReferences"] = []  # the GC's orphaning of `--cascade=orphan`, then the Job goes
            await c.client.update("pods", orphan, "default")
            await c.client.delete("jobs.batch", "b", "default")

            async def released():
                p = await c.client.get("pods", pb["metadata"]["name"], "default")
                return TRACKING_FINALIZER not in (p["metadata"].get("finalizers") or [])
            assert await c.until(released)
    run(story)

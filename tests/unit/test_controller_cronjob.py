"""CronJob controller and its schedule parser, driven by a fake clock."""
from __future__ import annotations

import datetime as dt

import pytest

from kubenet.api.cron import CronError, parse_schedule
from kubenet.api.meta import parse_time
from kubenet.controllers.cronjob import CronJobController, job_name_for
from tests.unit.controller_harness import Cluster, run

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("schedule, after, expected", [
    ("*/15 9-17 * * MON-FRI", "2025-01-03 17:50", "2025-01-06 09:00"),  # Friday evening → Monday 9:00
    ("@hourly", "2025-01-01 10:00", "2025-01-01 11:00"),
    ("@daily", "2025-01-01 10:00", "2025-01-02 00:00"),
    ("@weekly", "2025-01-01 10:00", "2025-01-05 00:00"),  # next Sunday
    ("@monthly", "2025-01-31 10:00", "2025-02-01 00:00"),
    ("@yearly", "2025-03-01 00:00", "2026-01-01 00:00"),
    ("5,35 */6 * jan,Jul *", "2025-01-01 06:05", "2025-01-01 06:35"),
    ("0 0 29 2 *", "2025-01-01 00:00", "2028-02-29 00:00"),
    ("0 0 13 * FRI", "2025-01-01 00:00", "2025-01-03 00:00"),  # day fields OR: Friday 3rd comes first
    ("0 0 1-31/10 * *", "2025-01-01 00:00", "2025-01-11 00:00"),
    ("30 2/12 * * *", "2025-01-01 03:00", "2025-01-01 14:30"),
    ("0 12 * * ?", "2025-01-01 12:00", "2025-01-02 12:00"),
])
def test_next_activation(schedule, after, expected):
    assert parse_schedule(schedule).next_after(at(after)) == at(expected)


def test_time_zone_and_last_activation():
    s = parse_schedule("0 9 * * *", "Europe/Berlin")
    assert s.next_after(at("2025-07-01 00:00")) == at("2025-07-01 07:00")  # 09:00 CEST
    assert s.next_after(at("2025-01-01 00:00")) == at("2025-01-01 08:00")  # 09:00 CET
    assert parse_schedule("*/5 * * * *").last_at_or_before(at("2025-01-01 10:07")) == at("2025-01-01 10:05")


@pytest.mark.parametrize("bad", ["* * * *", "60 * * * *", "* * * 13 *", "@fortnightly", "5-1 * * * *",
                                 "* * * * FOO", "*/0 * * * *"])
def test_bad_schedules(bad):
    with pytest.raises(CronError):
        parse_schedule(bad)
    with pytest.raises(CronError):
        parse_schedule("* * * * *", "Mars/Olympus")


def cronjob(name: str = "hello", schedule: str = "*/5 * * * *", **spec) -> dict:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": {"schedule": schedule, **spec, "jobTemplate": {
                "metadata": {"labels": {"app": name}},
                "spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                                               "containers": [{"name": "c", "image": "busybox"}]}}}}}}


class FakeClock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(UTC)

    def __call__(self) -> dt.datetime:
        return self.now


async def jobs(c: Cluster) -> list[dict]:
    return sorted((j for j in await c.list("jobs.batch") if not j["metadata"].get("deletionTimestamp")),
                  key=lambda j: j["metadata"]["name"])


async def finish(c: Cluster, name: str, ctype: str = "Complete") -> None:
    j = await c.client.get("jobs.batch", name, "default")
    stamp = (parse_time(j["metadata"]["creationTimestamp"]) + dt.timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    j["status"] = {"conditions": [{"type": ctype, "status": "True", "lastTransitionTime": stamp}],
                   "startTime": j["metadata"]["creationTimestamp"]}
    if ctype == "Complete":
        j["status"]["completionTime"] = stamp
    await c.client.update("jobs.batch", j, "default", subresource="status")


async def tick(c: Cluster, clock: FakeClock, minutes: int) -> None:
    clock.now += dt.timedelta(minutes=minutes)
    for ctrl in c.controllers:
        ctrl.queue.add("default/hello")
    await c.settle()


def test_creates_jobs_on_schedule_and_sees_them_complete():
    clock = FakeClock()

    async def story():
        async with Cluster((CronJobController, {"clock": clock})) as c:
            cj = await c.client.create("cronjobs.batch", cronjob(), "default")
            clock.now = parse_time(cj["metadata"]["creationTimestamp"])
            await tick(c, clock, 0)
            assert await jobs(c) == []  # not due yet
            await tick(c, clock, 5)
            due = parse_schedule("*/5 * * * *").last_at_or_before(clock.now)

            async def one_job():
                return await jobs(c)
            (job,) = await c.until(one_job)
            assert job["metadata"]["name"] == job_name_for("hello", due) == f"hello-{int(due.timestamp()) // 60}"
            assert job["metadata"]["labels"] == {"app": "hello"}
            assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
            assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == \
                due.strftime("%Y-%m-%dT%H:%M:%SZ")
            status = (await c.client.get("cronjobs.batch", "hello", "default"))["status"]
            assert [a["name"] for a in status["active"]] == [job["metadata"]["name"]]
            assert status["lastScheduleTime"] == due.strftime("%Y-%m-%dT%H:%M:%SZ")
            assert [e["message"] for e in await c.events("SuccessfulCreate")] == \
                [f"Created job {job['metadata']['name']}"]

            await finish(c, job["metadata"]["name"])

            async def seen():
                st = (await c.client.get("cronjobs.batch", "hello", "default"))["status"]
                return "active" not in st and st.get("lastSuccessfulTime") and st
            await c.until(seen)
            assert [e["message"] for e in await c.events("SawCompletedJob")] == \
                [f"Saw completed job: {job['metadata']['name']}, condition: Complete"]
    run(story)


def test_concurrency_policies():
    clock = FakeClock()

    async def story():
        async with Cluster((CronJobController, {"clock": clock})) as c:
            cj = await c.client.create("cronjobs.batch", cronjob(concurrencyPolicy="Forbid"), "default")
            clock.now = parse_time(cj["metadata"]["creationTimestamp"])
            await tick(c, clock, 5)
            first = await c.until(lambda: jobs(c))
            await tick(c, clock, 5)
            assert await jobs(c) == first  # Forbid: the running Job blocks the next one
            assert await c.events("JobAlreadyActive")

            cj = await c.client.get("cronjobs.batch", "hello", "default")
            cj["spec"]["concurrencyPolicy"] = "Replace"
            await c.client.update("cronjobs.batch", cj, "default")
            await tick(c, clock, 5)

            async def replaced():
                js = await jobs(c)
                return len(js) == 1 and js[0]["metadata"]["name"] != first[0]["metadata"]["name"]
            await c.until(replaced)
            assert [e["message"] for e in await c.events("SuccessfulDelete")] == \
                [f"Deleted job {first[0]['metadata']['name']}"]

            cj = await c.client.get("cronjobs.batch", "hello", "default")
            cj["spec"]["concurrencyPolicy"] = "Allow"
            await c.client.update("cronjobs.batch", cj, "default")
            await tick(c, clock, 5)

            async def two():
                return len(await jobs(c)) == 2
            await c.until(two)
    run(story)


def test_suspend_deadline_and_history_limit():
    clock = FakeClock()

    async def story():
        async with Cluster((CronJobController, {"clock": clock})) as c:
            cj = await c.client.create("cronjobs.batch", cronjob(suspend=True, startingDeadlineSeconds=60,
                                                                 successfulJobsHistoryLimit=1), "default")
            clock.now = parse_time(cj["metadata"]["creationTimestamp"])
            await tick(c, clock, 10)
            assert await jobs(c) == []  # suspended

            cj = await c.client.get("cronjobs.batch", "hello", "default")
            cj["spec"]["suspend"] = False
            await c.client.update("cronjobs.batch", cj, "default")
            # The due time passed more than startingDeadlineSeconds ago: skipped, not caught up.
            clock.now = parse_schedule("*/5 * * * *").last_at_or_before(clock.now) + dt.timedelta(minutes=2)
            await tick(c, clock, 0)
            assert await jobs(c) == []
            for _ in range(2):
                clock.now = parse_schedule("*/5 * * * *").next_after(clock.now) + dt.timedelta(seconds=1)
                await tick(c, clock, 0)
                js = await c.until(lambda: jobs(c))
                for j in js:
                    if not j.get("status", {}).get("conditions"):
                        await finish(c, j["metadata"]["name"])
                await c.settle()
            await tick(c, clock, 0)

            async def one_kept():
                return len(await jobs(c)) == 1
            await c.until(one_kept)
    run(story)

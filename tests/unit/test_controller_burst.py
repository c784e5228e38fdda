"""Bounded work per sync: burstReplicas, slow-start batches, and expectations (pkg/controller controller_utils)."""
from __future__ import annotations

import pytest

from kubenet.api.errors import APIError
from kubenet.controllers.expectations import BURST_REPLICAS, Expectations, slow_start_batch
from kubenet.controllers.job import JobController
from kubenet.controllers.replicaset import ReplicaSetController
from tests.unit.controller_harness import Cluster, replicaset, run

INT32_MAX = 2**31 - 1


def test_slow_start_batches_double_and_stop_after_the_first_failing_batch():
    async def story():
        attempted: list[int] = []

        async def create(item: int) -> None:
            attempted.append(item)
            if item == 4:
                raise APIError(403, "Forbidden", "refused")
        done, error = await slow_start_batch(list(range(100)), create)
        # Batches [0], [1, 2], [3, 4, 5, 6]: the failing batch is made to its end, nothing after it.
        assert attempted == [0, 1, 2, 3, 4, 5, 6]
        assert done == 6 and isinstance(error, APIError)

        async def ok(item: int) -> None:
            return None
        assert await slow_start_batch(list(range(7)), ok) == (7, None)
    run(story)


def test_expectations_count_creations_track_deletions_and_expire():
    now = [0.0]
    exp = Expectations(ttl=300, clock=lambda: now[0])
    exp.expect_creations("ns/a", 2)
    assert not exp.satisfied("ns/a")
    exp.creation_observed("ns/a")
    assert not exp.satisfied("ns/a")
    exp.creation_observed("ns/a")
    assert exp.satisfied("ns/a")
    exp.expect_deletions("ns/a", {"uid-1"})
    assert not exp.satisfied("ns/a")
    exp.deletion_observed("ns/a", "uid-1")
    assert exp.satisfied("ns/a")
    exp.expect_creations("ns/b", 1)
    now[0] = 301.0  # a lost event cannot wedge an owner forever
    assert exp.satisfied("ns/b")
    assert exp.satisfied("ns/never-seen")


def _manual(cls):
    """A cluster whose informers run but whose controller only reconciles when the test says so."""
    cluster = Cluster()
    controller = cls(cluster.client, cluster.informers)
    return cluster, controller


async def _cached(c: Cluster, informer, key: str, resource: str = "replicasets.apps") -> None:
    """Wait until the informer holds the object as the API has it now (a sync reads its cache)."""
    ns, name = key.split("/")

    async def caught_up():
        cached = informer.get(key)
        live = await c.client.get(resource, name, ns)
        return cached and cached["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"]
    await c.until(caught_up)


def test_replicaset_with_int32_max_replicas_creates_one_burst_per_sync():
    async def story():
        c, rsc = _manual(ReplicaSetController)
        async with c:
            await c.client.create("replicasets.apps", replicaset(replicas=INT32_MAX), "default")
            await _cached(c, rsc.replicasets, "default/web")
            await rsc.reconcile("default/web")
            assert len(await c.list("pods")) == BURST_REPLICAS == 500
    run(story)


def test_a_sync_with_creations_in_flight_makes_no_pods():
    async def story():
        c, rsc = _manual(ReplicaSetController)
        async with c:
            await c.client.create("replicasets.apps", replicaset(replicas=3), "default")
            await _cached(c, rsc.replicasets, "default/web")
            rsc.expectations.expect_creations("default/web", 3)  # made by a sync the cache has not shown yet
            await rsc.reconcile("default/web")
            assert await c.list("pods") == []
            for _ in range(3):
                rsc.expectations.creation_observed("default/web")
            await _cached(c, rsc.replicasets, "default/web")
            await rsc.reconcile("default/web")
            assert len(await c.list("pods")) == 3
    run(story)


def test_a_refused_template_costs_one_create_per_sync_not_a_burst():
    async def story():
        c, rsc = _manual(ReplicaSetController)
        async with c:
            await c.client.create("replicasets.apps", replicaset(replicas=INT32_MAX), "default")
            await _cached(c, rsc.replicasets, "default/web")
            real_create, attempts = c.client.create, []

            async def refusing(resource, obj, namespace=None, **kw):
                if resource == "pods":
                    attempts.append(obj)
                    raise APIError(403, "Forbidden", 'pods "x" is forbidden: exceeded quota')
                return await real_create(resource, obj, namespace, **kw)
            c.client.create = refusing
            with pytest.raises(APIError):
                await rsc.reconcile("default/web")
            assert len(attempts) == 1
            assert rsc.expectations.satisfied("default/web")  # the creates never made are not waited for
            status = (await c.client.get("replicasets.apps", "web", "default"))["status"]
            assert status["conditions"][0]["type"] == "ReplicaFailure"
    run(story)


def test_job_with_int32_max_parallelism_creates_one_burst_per_sync():
    async def story():
        c, jc = _manual(JobController)
        async with c:
            job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "wide"},
                   "spec": {"parallelism": INT32_MAX, "template": {"spec": {
                       "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}
            await c.client.create("jobs.batch", job, "default")
            await _cached(c, jc.jobs, "default/wide", "jobs.batch")
            await jc.reconcile("default/wide")
            assert len(await c.list("pods")) == BURST_REPLICAS
            status = (await c.client.get("jobs.batch", "wide", "default"))["status"]
            assert status["active"] == BURST_REPLICAS
    run(story)

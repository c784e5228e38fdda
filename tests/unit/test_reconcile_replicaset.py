"""ReplicaSet controller, one reconcile at a time: the exact writes for a given cache (fake_client.py)."""
from __future__ import annotations

import asyncio

import pytest

from kubenet.api.errors import APIError
from kubenet.api.meta import controller_ref
from kubenet.controllers.base import Informers
from kubenet.controllers.replicaset import ReplicaSetController
from tests.unit.controller_harness import READY_AT, replicaset
from tests.unit.fake_client import FakeClient, reconcile_once


async def setup(replicas: int = 3) -> tuple[FakeClient, ReplicaSetController, dict]:
    client = FakeClient()
    await client.seed("namespaces", {"metadata": {"name": "default"}})
    (rs,) = await client.seed("replicasets.apps", {**replicaset(replicas=replicas),
                                                   "metadata": {"name": "web", "namespace": "default"}})
    return client, ReplicaSetController(client, Informers(client)), rs


def owned_pod(rs: dict, name: str, ready: bool, owner: bool = True) -> dict:
    meta = {"name": name, "namespace": "default", "labels": {"app": "web"}}
    if owner:
        meta["ownerReferences"] = [controller_ref(rs)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"nodeName": "kn-worker", "containers": [{"name": "c", "image": "nginx"}]},
            "status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": READY_AT}]}}


def test_a_new_replicaset_creates_its_pods_with_a_controller_ref_then_writes_status():
    async def story():
        client, rsc, rs = await setup(replicas=3)
        actions = await reconcile_once(rsc, "default/web", client)
        assert [a.key for a in actions] == [("create", "pods", None), ("create", "events", None)] * 3 + [
            ("update", "replicasets.apps", "status")]
        for create in client.writes("pods"):
            meta = create.object["metadata"]
            assert meta["generateName"] == "web-" and meta["labels"] == {"app": "web"}
            assert meta["ownerReferences"] == [controller_ref(rs)]
        events = [a.object for a in client.writes("events")]
        assert [e["reason"] for e in events] == ["SuccessfulCreate"] * 3
        assert [e["message"] for e in events] == [f"Created pod: {a.name}" for a in client.writes("pods")]
        status = client.writes("replicasets.apps")[0].object["status"]
        assert status == {"replicas": 0, "observedGeneration": 1}  # none observed in the cache yet
    asyncio.run(story())


def test_creations_not_yet_seen_in_the_cache_are_not_made_twice():
    async def story():
        client, rsc, _ = await setup(replicas=3)
        await reconcile_once(rsc, "default/web", client)
        client.clear()
        # The informer has not shown the three Pods yet: expectations hold the next sync back.
        with pytest.raises(APIError) as stale:
            await rsc.reconcile("default/web")  # its status write meets the newer ReplicaSet: 409, requeued
        assert stale.value.code == 409
        assert client.writes("pods") == []
    asyncio.run(story())


def test_scaling_down_deletes_the_not_ready_pods_first():
    async def story():
        client, rsc, rs = await setup(replicas=1)
        await client.seed_with_status("pods", owned_pod(rs, "web-a", ready=True), owned_pod(rs, "web-b", ready=False),
                                      owned_pod(rs, "web-c", ready=True))
        actions = await reconcile_once(rsc, "default/web", client)
        deleted = [a.name for a in actions if a.verb == "delete"]
        assert len(deleted) == 2 and deleted[0] == "web-b" and set(deleted) < {"web-a", "web-b", "web-c"}
        assert [a.object["message"] for a in client.writes("events")] == [f"Deleted pod: {n}" for n in deleted]
        assert client.writes("pods") == [a for a in actions if a.verb == "delete"]
    asyncio.run(story())


def test_a_matching_orphan_is_adopted_and_counted_instead_of_creating_one():
    async def story():
        client, rsc, rs = await setup(replicas=1)
        await client.seed_with_status("pods", owned_pod(rs, "stray", ready=True, owner=False))
        await reconcile_once(rsc, "default/web", client)
        (adopt,) = client.writes("pods")
        assert adopt.key == ("patch", "pods", None) and adopt.name == "stray"
        # a JSON patch that first tests the Pod is as seen (its uid and owner references), then adds ours
        assert {"op": "add", "path": "/metadata/ownerReferences", "value": [controller_ref(rs)]} in adopt.object
        assert any(op["op"] == "test" for op in adopt.object)
        status = client.writes("replicasets.apps")[0].object["status"]
        assert status["replicas"] == 1 and status["readyReplicas"] == 1
    asyncio.run(story())


def test_a_refused_create_is_a_failed_create_event_and_a_replica_failure_condition():
    async def story():
        client, rsc, _ = await setup(replicas=1)
        client.fail("create", "pods", APIError(403, "Forbidden", 'pods "web-x" is forbidden: exceeded quota'))
        with pytest.raises(APIError):
            await reconcile_once(rsc, "default/web", client)
        (event,) = [a.object for a in client.writes("events")]
        assert event["reason"] == "FailedCreate" and event["type"] == "Warning"
        assert event["message"] == 'Error creating: pods "web-x" is forbidden: exceeded quota'
        (condition,) = client.writes("replicasets.apps")[0].object["status"]["conditions"]
        assert (condition["type"], condition["reason"]) == ("ReplicaFailure", "FailedCreate")
    asyncio.run(story())

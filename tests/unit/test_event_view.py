"""One Event storage, two shapes: what core/v1 records is an events.k8s.io/v1 Event and the other way round."""
from __future__ import annotations

import asyncio

import pytest

from kubenet.api.errors import APIError
from kubenet.apiserver.registry import Registry
from kubenet.client.local import LocalClient
from kubenet.store.memory import MemoryStore

CORE = "events"
EVENTS_V1 = "events.events.k8s.io"


@pytest.fixture
def client() -> LocalClient:
    registry = Registry(MemoryStore())
    c = LocalClient(registry)
    run(c.create("namespaces", {"metadata": {"name": "default"}}))
    return c


def run(coro):
    return asyncio.run(coro)


def core_event(name: str, pod: str = "web-1", reason: str = "Scheduled") -> dict:
    """An Event the way a client-go recorder (and kubenet's EventRecorder) writes it through core/v1."""
    return {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": pod, "uid": "u-1", "apiVersion": "v1"},
        "reason": reason, "message": f"Successfully assigned default/{pod}", "type": "Normal", "count": 1,
        "source": {"component": "default-scheduler"}, "firstTimestamp": "2024-01-01T00:00:00Z",
        "lastTimestamp": "2024-01-01T00:00:05Z", "eventTime": None,
        "reportingComponent": "default-scheduler", "reportingInstance": "",
    }


def new_event(name: str, **overrides) -> dict:
    """An Event the way an events.k8s.io/v1 recorder writes it."""
    event = {
        "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": name, "namespace": "default"},
        "eventTime": "2024-01-01T00:00:00.000000Z", "reportingController": "example.com/backup",
        "reportingInstance": "backup-0", "action": "Snapshot", "reason": "SnapshotTaken", "type": "Normal",
        "note": "snapshot of web-1 taken",
        "regarding": {"kind": "Pod", "namespace": "default", "name": "web-1", "apiVersion": "v1"},
    }
    event.update(overrides)
    return event


def test_a_core_event_reads_back_through_events_k8s_io_converted(client):
    created = run(client.create(CORE, core_event("web-1.a")))
    seen = run(client.get(EVENTS_V1, "web-1.a", "default"))
    assert seen["apiVersion"] == "events.k8s.io/v1"
    assert seen["regarding"] == created["involvedObject"]
    assert seen["note"] == "Successfully assigned default/web-1"
    assert seen["reportingController"] == "default-scheduler"
    assert seen["deprecatedSource"] == {"component": "default-scheduler"}
    assert seen["deprecatedFirstTimestamp"] == "2024-01-01T00:00:00Z"
    assert seen["deprecatedLastTimestamp"] == "2024-01-01T00:00:05Z"
    assert seen["deprecatedCount"] == 1
    assert seen["eventTime"] is None
    assert seen["metadata"]["uid"] == created["metadata"]["uid"]
    assert seen["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    for core_only in ("involvedObject", "message", "source", "count", "reportingComponent"):
        assert core_only not in seen


def test_an_events_k8s_io_event_shows_up_in_core(client):
    created = run(client.create(EVENTS_V1, new_event("backup.1")))
    assert created["apiVersion"] == "events.k8s.io/v1" and created["note"] == "snapshot of web-1 taken"
    core = run(client.get(CORE, "backup.1", "default"))
    assert core["involvedObject"]["name"] == "web-1"
    assert core["message"] == "snapshot of web-1 taken"
    assert core["reportingComponent"] == "example.com/backup"
    assert core["reportingInstance"] == "backup-0"
    assert core["action"] == "Snapshot" and core["eventTime"] == "2024-01-01T00:00:00.000000Z"
    assert core["source"] == {}
    assert core["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    # kubectl describe pod web-1 asks core/v1 with these field selectors
    items, _ = run(client.list(CORE, "default", field_selector="involvedObject.name=web-1,involvedObject.kind=Pod"))
    assert [e["metadata"]["name"] for e in items] == ["backup.1"]


def test_lists_through_both_apis_hold_the_same_events(client):
    run(client.create(CORE, core_event("web-1.a")))
    run(client.create(EVENTS_V1, new_event("backup.1")))
    core_items, core_rv = run(client.list(CORE, "default"))
    new_items, new_rv = run(client.list(EVENTS_V1, "default"))
    assert core_rv == new_rv
    assert [e["metadata"]["name"] for e in core_items] == [e["metadata"]["name"] for e in new_items] \
        == ["backup.1", "web-1.a"]
    assert all(e["apiVersion"] == "events.k8s.io/v1" and "regarding" in e for e in new_items)


def test_events_k8s_io_field_selectors_use_their_own_labels(client):
    run(client.create(CORE, core_event("web-1.a", pod="web-1")))
    run(client.create(CORE, core_event("web-2.a", pod="web-2", reason="Pulled")))
    assert names(run(client.list(EVENTS_V1, "default", field_selector="regarding.name=web-2"))[0]) == ["web-2.a"]
    assert names(run(client.list(EVENTS_V1, "default", field_selector="reason!=Pulled"))[0]) == ["web-1.a"]
    assert names(run(client.list(
        EVENTS_V1, "default", field_selector="reportingController=default-scheduler,regarding.kind=Pod"))[0]) \
        == ["web-1.a", "web-2.a"]
    with pytest.raises(APIError) as err:
        run(client.list(EVENTS_V1, "default", field_selector="involvedObject.name=web-1"))
    assert err.value.code == 400 and err.value.message == "field label not supported: involvedObject.name"


def test_a_watch_through_events_k8s_io_sees_core_writes_converted(client):
    async def story():
        watch = client.registry.watch(_events_kind(), "default",
                                      field_selector="regarding.name=web-1", resource_version=None)
        created = await client.create(CORE, core_event("web-1.a"))
        await client.create(CORE, core_event("web-2.a", pod="web-2"))
        await client.patch(CORE, "web-1.a", {"count": 2}, "default")
        await client.delete(EVENTS_V1, "web-1.a", "default")
        seen = [await watch.next(1) for _ in range(3)]
        assert await watch.next(0.1) is None
        watch.close()
        return created, seen
    created, seen = run(story())
    assert [etype for etype, _ in seen] == ["ADDED", "MODIFIED", "DELETED"]
    assert all(obj["apiVersion"] == "events.k8s.io/v1" for _, obj in seen)
    assert seen[0][1]["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert seen[1][1]["deprecatedCount"] == 2


def test_a_core_watch_sees_events_k8s_io_writes(client):
    async def story():
        seen = []
        async for item in client.watch(CORE, "default", resource_version="0", timeout_seconds=0.2):
            seen.append(item)
        return seen
    run(client.create(EVENTS_V1, new_event("backup.1")))
    seen = run(story())
    assert [(t, o["apiVersion"], o["message"]) for t, o in seen] == [("ADDED", "v1", "snapshot of web-1 taken")]


def test_events_k8s_io_creates_get_the_strict_validation(client):
    with pytest.raises(APIError) as err:
        run(client.create(EVENTS_V1, {"metadata": {"name": "bare"}, "regarding": {"namespace": "default"},
                                      "type": "Normal", "reason": "Why"}, "default"))
    assert err.value.code == 422
    assert err.value.message == 'Event "bare" is invalid: eventTime: Required value'
    with pytest.raises(APIError) as err:
        run(client.create(EVENTS_V1, new_event("x", reportingController="", reportingInstance="", action="",
                                               type="Info", deprecatedCount=3)))
    fields = [c["field"] for c in err.value.details["causes"]]
    assert fields == ["reportingController", "reportingController", "reportingController", "reportingInstance",
                      "action", "type", "count"]
    assert 'type: Invalid value: "": has invalid value: Info' in err.value.message
    assert run(client.list(CORE, "default"))[0] == []


def test_events_k8s_io_updates_keep_the_event_immutable_but_allow_series(client):
    run(client.create(EVENTS_V1, new_event("backup.1")))
    live = run(client.get(EVENTS_V1, "backup.1", "default"))
    with pytest.raises(APIError) as err:
        run(client.update(EVENTS_V1, dict(live, note="rewritten")))
    assert err.value.code == 422 and err.value.details["causes"][0]["field"] == "message"
    series = {"count": 2, "lastObservedTime": "2024-01-01T00:01:00.000000Z"}
    patched = run(client.patch(EVENTS_V1, "backup.1", {"series": series}, "default"))
    assert patched["series"] == series and patched["apiVersion"] == "events.k8s.io/v1"
    assert run(client.get(CORE, "backup.1", "default"))["series"] == series


def test_errors_name_the_resource_the_request_used(client):
    with pytest.raises(APIError) as err:
        run(client.get(EVENTS_V1, "nope", "default"))
    assert err.value.message == 'events.events.k8s.io "nope" not found'
    assert err.value.details == {"name": "nope", "kind": "events", "group": "events.k8s.io"}
    run(client.create(EVENTS_V1, new_event("dup")))
    with pytest.raises(APIError) as err:
        run(client.create(EVENTS_V1, new_event("dup")))
    assert err.value.code == 409 and err.value.message == 'events.events.k8s.io "dup" already exists'
    with pytest.raises(APIError) as err:
        run(client.create(EVENTS_V1, dict(new_event("v1"), apiVersion="v1")))
    assert err.value.code == 400


def test_delete_collection_through_events_k8s_io_empties_the_core_storage(client):
    run(client.create(CORE, core_event("web-1.a")))
    run(client.create(EVENTS_V1, new_event("backup.1")))
    gone = client.registry.delete_collection(_events_kind(), "default")
    assert {e["apiVersion"] for e in gone["items"]} == {"events.k8s.io/v1"}
    assert run(client.list(CORE, "default"))[0] == []


def names(items: list[dict]) -> list[str]:
    return [e["metadata"]["name"] for e in items]


def _events_kind():
    from kubenet.api.kinds import by_resource
    return by_resource("events.k8s.io", "events")


def test_managed_fields_keep_the_vocabulary_of_the_api_that_wrote_them(client):
    created = client.registry.create(_events_kind(), "default", new_event("backup.1"), field_manager="backup")
    entry = created["metadata"]["managedFields"][0]
    assert entry["apiVersion"] == "events.k8s.io/v1" and entry["manager"] == "backup"
    assert "f:note" in entry["fieldsV1"] and "f:regarding" in entry["fieldsV1"]
    assert run(client.get(CORE, "backup.1", "default"))["metadata"]["managedFields"] == [entry]


def test_a_delete_held_by_a_finalizer_says_the_event_is_not_gone(client):
    client.registry.create(_events_kind(), "default", new_event("held.1"))
    answer, deleted = client.registry.delete_object(_events_kind(), "default", "held.1", {"orphanDependents": False})
    assert not deleted  # so the server answers 202, as delete.go does for orphanDependents=false
    assert answer["apiVersion"] == "events.k8s.io/v1" and answer["metadata"]["deletionTimestamp"]
    assert answer["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert run(client.get(CORE, "held.1", "default"))["metadata"]["finalizers"] == ["foregroundDeletion"]

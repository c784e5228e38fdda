"""The EventRecorder aggregates repeats into one Event's count, forgets old ones, and survives a deleted Event."""
from __future__ import annotations

import asyncio

import pytest

from kubenet.apiserver.registry import Registry
from kubenet.client import events as events_module
from kubenet.client.events import EventRecorder
from kubenet.client.local import LocalClient
from kubenet.store.memory import MemoryStore

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "default", "uid": "u-1"}}


@pytest.fixture
def client() -> LocalClient:
    c = LocalClient(Registry(MemoryStore()))
    asyncio.run(c.create("namespaces", {"metadata": {"name": "default"}}))
    return c


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(events_module.time, "monotonic", c)
    return c


def events_for(client: LocalClient) -> list[tuple[str, int]]:
    items, _ = asyncio.run(client.list("events", "default"))
    return sorted((e["reason"], e["count"]) for e in items)


def test_a_repeat_raises_the_count_of_the_same_event(client, clock):
    recorder = EventRecorder(client, "kubelet", host="node1")
    for _ in range(3):
        asyncio.run(recorder.event(POD, "Warning", "BackOff", "Back-off restarting failed container"))
    assert events_for(client) == [("BackOff", 3)]


def test_a_repeat_after_its_event_was_deleted_records_a_new_one(client, clock):
    recorder = EventRecorder(client, "kubelet")
    asyncio.run(recorder.event(POD, "Normal", "Pulled", "Container image already present"))
    (event,), _ = asyncio.run(client.list("events", "default"))
    asyncio.run(client.delete("events", event["metadata"]["name"], "default"))
    asyncio.run(recorder.event(POD, "Normal", "Pulled", "Container image already present"))
    asyncio.run(recorder.event(POD, "Normal", "Pulled", "Container image already present"))
    assert events_for(client) == [("Pulled", 2)]


def test_events_older_than_ten_minutes_are_forgotten(client, clock):
    recorder = EventRecorder(client, "kubelet")
    asyncio.run(recorder.event(POD, "Normal", "Started", "Started container web"))
    clock.now += 300
    asyncio.run(recorder.event(POD, "Normal", "Killing", "Stopping container web"))
    clock.now += 301  # "Started" is now 601 s old, "Killing" 301 s
    asyncio.run(recorder.event(POD, "Normal", "Pulling", "Pulling image"))
    assert [key[2] for key in recorder._seen] == ["Killing", "Pulling"]
    asyncio.run(recorder.event(POD, "Normal", "Started", "Started container web"))  # a new Event, not count 2
    assert events_for(client) == [("Killing", 1), ("Pulling", 1), ("Started", 1), ("Started", 1)]

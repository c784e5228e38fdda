"""Pod control (controllers/base.py, upstream RealPodControl): the one create/delete path of the ReplicaSet,
DaemonSet and Job controllers, with the events upstream records and the expectation lowered on a failed delete."""
from __future__ import annotations

import asyncio

import pytest

from kubenet.api.errors import APIError
from kubenet.apiserver.registry import Registry
from kubenet.client.local import LocalClient
from kubenet.controllers.base import Controller, Informers
from kubenet.controllers.expectations import Expectations
from kubenet.store.memory import MemoryStore

OWNER = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi", "namespace": "default", "uid": "j-1"}}


class FailingDeletes(LocalClient):
    """A LocalClient whose Pod deletes fail with the given error (a server that cannot delete right now)."""

    def __init__(self, registry: Registry, error: APIError) -> None:
        super().__init__(registry)
        self.error = error

    async def delete(self, resource, name, namespace=None, **kwargs):
        if resource == "pods":
            raise self.error
        return await super().delete(resource, name, namespace, **kwargs)


def pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "pi"}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


async def reasons(client: LocalClient, namespace: str = "default") -> list[str]:
    items, _ = await client.list("events", namespace)
    return sorted(e["reason"] for e in items)


async def setup(error: APIError | None = None) -> tuple[LocalClient, Controller]:
    registry = Registry(MemoryStore())
    client = FailingDeletes(registry, error) if error else LocalClient(registry)
    await client.create("namespaces", {"metadata": {"name": "default"}})
    controller = Controller(client, Informers(client))
    controller.name = "job"
    return client, controller


def test_create_and_delete_record_upstream_events():
    async def story():
        client, controller = await setup()
        created = await controller.create_pod(OWNER, pod("pi-1"))
        assert created["metadata"]["namespace"] == "default"
        expectations = Expectations()
        expectations.expect_deletions("default/pi", [created["metadata"]["uid"]])
        await controller.delete_pod(OWNER, created, expectations, "default/pi")
        assert not expectations.satisfied("default/pi")  # a delete that went through is observed by the informer
        await controller.delete_pod(OWNER, created, expectations, "default/pi")  # gone already: NotFound, quietly
        assert expectations.satisfied("default/pi")
        assert await reasons(client) == ["SuccessfulCreate", "SuccessfulDelete"]
    asyncio.run(story())


def test_a_failed_delete_is_an_event_an_error_and_an_observed_deletion():
    async def story():
        client, controller = await setup(APIError(500, "InternalError", "etcd is away"))
        created = await controller.create_pod(OWNER, pod("pi-1"))
        expectations = Expectations()
        expectations.expect_deletions("default/pi", [created["metadata"]["uid"]])
        with pytest.raises(APIError):
            await controller.delete_pod(OWNER, created, expectations, "default/pi")
        assert expectations.satisfied("default/pi")  # it will never be observed: do not wait for it
        items, _ = await client.list("events", "default")
        failed = [e for e in items if e["reason"] == "FailedDelete"]
        assert [e["message"] for e in failed] == ["Error deleting: etcd is away"]
        assert failed[0]["involvedObject"]["kind"] == "Job" and failed[0]["type"] == "Warning"
    asyncio.run(story())


class SpyRecorder:
    """What the controller asks to record (an Event in a terminating namespace could not be written anyway)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    async def event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        self.events.append((obj["metadata"]["namespace"], reason))


def test_no_failed_create_event_while_the_namespace_is_terminating():
    async def story():
        client, controller = await setup()
        controller.recorder = spy = SpyRecorder()
        await client.create("namespaces", {"metadata": {"name": "going"}})
        await client.create("configmaps", {"metadata": {"name": "keep", "finalizers": ["example.com/hold"]}},
                            "going")
        await client.delete("namespaces", "going")
        owner = {**OWNER, "metadata": {**OWNER["metadata"], "namespace": "going"}}
        with pytest.raises(APIError) as refused:
            await controller.create_pod(owner, pod("pi-1"))
        assert refused.value.code == 403
        with pytest.raises(APIError) as other:
            await controller.create_pod(OWNER, {**pod("bad"), "spec": {"containers": []}})
        assert other.value.code == 422
        assert spy.events == [("default", "FailedCreate")]  # the invalid Pod only
    asyncio.run(story())

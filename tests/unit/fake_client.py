"""A client that records what a controller asks of the API (client-go's fake clientset and its Actions()).

Reconcile-level tests call `controller.reconcile(key)` once, on informer caches filled from a fixed set of
objects, and assert the exact writes it made: which verbs on which resources, with which bodies. The story
tests (controllers running against a live in-memory API) show the behaviour over time; these show each step.

Objects live in a real Registry over a MemoryStore, so defaults, generateName and resourceVersions behave as
the API server's do (client-go's tracker is a simpler store; ours is the real thing).
"""
from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field

from kubenet.apiserver.registry import Registry
from kubenet.client.local import LocalClient
from kubenet.controllers.base import Informers
from kubenet.store.memory import MemoryStore


@dataclass
class Action:
    verb: str  # get, list, watch, create, update, patch, delete
    resource: str
    namespace: str | None
    name: str | None = None
    subresource: str | None = None
    object: dict | None = field(default=None, repr=False)  # the body sent (create, update), or the patch

    @property
    def key(self) -> tuple[str, str, str | None]:
        """(verb, resource, subresource): what most assertions compare."""
        return self.verb, self.resource, self.subresource


class FakeClient(LocalClient):
    """Records every write (and read) a controller makes; `objects` are there before, unrecorded."""

    def __init__(self) -> None:
        super().__init__(Registry(MemoryStore()))
        self.actions: list[Action] = []
        self.failures: dict[tuple[str, str], Exception] = {}

    async def seed(self, resource: str, *objects: dict) -> list[dict]:
        """Put objects in the store without recording (NewSimpleClientset(objects...))."""
        return [await LocalClient.create(self, resource, obj, obj["metadata"].get("namespace")) for obj in objects]

    async def seed_with_status(self, resource: str, *objects: dict) -> list[dict]:
        """Seed objects and then their status (a create resets it, as the API server does)."""
        out = []
        for created, obj in zip(await self.seed(resource, *objects), objects, strict=True):
            created["status"] = obj["status"]
            out.append(await self.unrecorded_update(resource, created, subresource="status"))
        return out

    async def registry_get(self, resource: str, name: str, namespace: str | None = "default") -> dict:
        """Read without recording (the test looking, not the controller)."""
        return await LocalClient.get(self, resource, name, namespace)

    async def unrecorded_update(self, resource: str, obj: dict, subresource: str | None = None) -> dict:
        """Change an object as some other actor would (a user, another controller): not recorded."""
        return await LocalClient.update(self, resource, obj, subresource=subresource)

    def fail(self, verb: str, resource: str, error: Exception) -> None:
        """Every `verb` on `resource` from now on raises `error` (a PrependReactor returning an error)."""
        self.failures[(verb, resource)] = error

    def _record(self, action: Action) -> None:
        action.object = copy.deepcopy(action.object)  # as sent: the caller may change its dict afterwards
        self.actions.append(action)
        error = self.failures.get((action.verb, action.resource))
        if error is not None:
            raise error

    def writes(self, resource: str | None = None) -> list[Action]:
        """The create/update/patch/delete actions, optionally on one resource; events excluded unless asked."""
        return [a for a in self.actions if a.verb in ("create", "update", "patch", "delete")
                and (a.resource == resource if resource else a.resource != "events")]

    def clear(self) -> None:
        self.actions.clear()

    async def get(self, resource, name, namespace=None, subresource=None):
        self._record(Action("get", resource, namespace, name, subresource))
        return await super().get(resource, name, namespace, subresource)

    async def create(self, resource, obj, namespace=None, subresource=None, name=None):
        namespace = namespace or obj.get("metadata", {}).get("namespace")
        self._record(Action("create", resource, namespace, name or obj.get("metadata", {}).get("name"),
                            subresource, obj))
        return await super().create(resource, obj, namespace, subresource, name)

    async def update(self, resource, obj, namespace=None, subresource=None):
        namespace = namespace or obj["metadata"].get("namespace")
        self._record(Action("update", resource, namespace, obj["metadata"]["name"], subresource, obj))
        return await super().update(resource, obj, namespace, subresource)

    async def patch(self, resource, name, patch, namespace=None, patch_type="merge", subresource=None):
        self._record(Action("patch", resource, namespace, name, subresource, patch))
        return await super().patch(resource, name, patch, namespace, patch_type, subresource)

    async def delete(self, resource, name, namespace=None, propagation_policy=None, grace_period_seconds=None,
                     preconditions=None):
        self._record(Action("delete", resource, namespace, name))
        return await super().delete(resource, name, namespace, propagation_policy, grace_period_seconds,
                                    preconditions)


async def synced_caches(informers: Informers) -> None:
    """Fill every informer from the store and stop it: the caches are a snapshot the test controls (the
    informer handlers ran for each object, so the controller's own indexes are built too)."""
    tasks = informers.start()
    try:
        await asyncio.wait_for(informers.wait_synced(), 5)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def reconcile_once(controller, key: str, client: FakeClient) -> list[Action]:
    """Snapshot the caches, forget the set-up's actions, reconcile `key` once; the actions it made."""
    await synced_caches(controller.informers)
    client.clear()
    await controller.reconcile(key)
    return client.actions

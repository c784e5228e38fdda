"""Informer indexes (client-go Indexers / ByIndex): namespace, controller UID and node name, kept in step with the
cache through adds, updates that move an object between index values, deletes, and indexes added late."""
from __future__ import annotations

import asyncio

import pytest

from kubenet.apiserver.registry import Registry
from kubenet.client.informer import CONTROLLER_UID, NAMESPACE, NODE_NAME, STANDARD_INDEXERS, Informer
from kubenet.client.local import LocalClient
from kubenet.controllers.base import Informers
from kubenet.store.memory import MemoryStore


def pod(name: str, node: str | None = None, owner_uid: str | None = None) -> dict:
    meta: dict = {"name": name}
    if owner_uid:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": owner_uid,
                                    "controller": True}]
    spec: dict = {"containers": [{"name": "c", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": meta, "spec": spec}


class Events:
    """Wakes a waiter on every informer event, so a test waits for the cache to converge without sleeping."""

    def __init__(self, informer: Informer) -> None:
        self.changed = asyncio.Event()
        informer.add_handlers(self._seen, lambda old, new: self._seen(new), self._seen)

    def _seen(self, obj: dict) -> None:
        self.changed.set()

    async def until(self, check, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not check():
                self.changed.clear()
                await self.changed.wait()


def names(objs: list[dict]) -> list[str]:
    return [o["metadata"]["name"] for o in objs]


def test_indexes_follow_adds_moves_and_deletes():
    async def story():
        client = LocalClient(Registry(MemoryStore()))
        for ns in ("a", "b"):
            await client.create("namespaces", {"metadata": {"name": ns}})
        await client.create("pods", pod("early", node="n1"), "a")
        inf = Informer(client, "pods", indexers=dict(STANDARD_INDEXERS))
        converge = Events(inf).until
        task = asyncio.create_task(inf.run())
        try:
            await inf.wait_synced()
            assert names(inf.by_index(NODE_NAME, "n1")) == ["early"]  # indexed by the first list
            await client.create("pods", pod("web-2", owner_uid="u1"), "a")
            await client.create("pods", pod("web-1", node="n1", owner_uid="u1"), "a")
            await client.create("pods", pod("other", owner_uid="u2"), "b")
            await converge(lambda: len(inf.cache) == 4)
            assert names(inf.by_index(NAMESPACE, "a")) == ["early", "web-1", "web-2"]  # key order
            assert names(inf.by_index(NAMESPACE, "b")) == ["other"]
            assert names(inf.by_index(CONTROLLER_UID, "u1")) == ["web-1", "web-2"]
            assert inf.index_keys(NODE_NAME, "n1") == ["a/early", "a/web-1"]

            # Binding moves a Pod into the node's index; releasing moves it out of its owner's.
            await client.create("pods", {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web-2"},
                                         "target": {"kind": "Node", "name": "n2"}}, "a", subresource="binding",
                                name="web-2")
            await client.patch("pods", "web-2", {"metadata": {"ownerReferences": None}}, "a")
            await converge(lambda: inf.index_keys(NODE_NAME, "n2") == ["a/web-2"])
            assert names(inf.by_index(CONTROLLER_UID, "u1")) == ["web-1"]

            await client.delete("pods", "web-1", "a", grace_period_seconds=0)
            await converge(lambda: "a/web-1" not in inf.cache)
            assert inf.index_keys(NODE_NAME, "n1") == ["a/early"]
            assert inf.by_index(CONTROLLER_UID, "u1") == []
            assert inf.by_index(NAMESPACE, "nowhere") == []
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    asyncio.run(story())


def test_indexes_added_later_cover_the_cache_and_conflicts_are_refused():
    async def story():
        client = LocalClient(Registry(MemoryStore()))
        await client.create("namespaces", {"metadata": {"name": "a"}})
        await client.create("pods", pod("p", node="n1"), "a")
        informers = Informers(client)
        pods = informers.get("pods")
        tasks = informers.start()
        try:
            await informers.wait_synced()
            assert names(pods.by_index(NAMESPACE, "a")) == ["p"]  # every shared informer is namespace-indexed
            with pytest.raises(KeyError):
                pods.by_index(NODE_NAME, "n1")
            assert informers.get("pods", NODE_NAME) is pods  # a second controller asks for another index
            assert names(pods.by_index(NODE_NAME, "n1")) == ["p"]  # what was cached is indexed at once
            informers.get("pods", NODE_NAME)  # asking again is a no-op
            with pytest.raises(ValueError, match="indexer conflict"):
                pods.add_indexers({NODE_NAME: lambda obj: []})
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    asyncio.run(story())

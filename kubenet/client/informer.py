"""Informers: a list+watch cache of one resource, with indexes and add/update/delete handlers (client-go's shape).

Indexes are client-go's `Indexers` / `ByIndex`: an index function maps an object to the values it is filed under
(its namespace, its controller's UID, its node), and `by_index(name, value)` returns the cached objects filed
under a value without scanning the cache. The store and its indexes are updated before the handlers run, so a
handler (and every reconcile after it) sees an index that already includes the event it is handling.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from kubenet.api.errors import APIError
from kubenet.api.meta import controller_of
from kubenet.client.base import Client, object_key

log = logging.getLogger(__name__)
Handler = Callable[..., None]
IndexFunc = Callable[[dict], list[str]]

# The index names every component uses (client-go: cache.NamespaceIndex; the controllers' own ones).
NAMESPACE = "namespace"
CONTROLLER_UID = "controller-uid"
NODE_NAME = "node-name"


def namespace_index(obj: dict) -> list[str]:
    """cache.MetaNamespaceIndexFunc: a namespaced object under its namespace ("" for cluster-scoped)."""
    return [obj["metadata"].get("namespace") or ""]


def controller_uid_index(obj: dict) -> list[str]:
    """Under the UID of the object's controller (the ownerReference with controller: true), if it has one."""
    ref = controller_of(obj)
    return [ref["uid"]] if ref and ref.get("uid") else []


def node_name_index(obj: dict) -> list[str]:
    """A Pod under the node it is bound to (spec.nodeName), if it is bound."""
    node = (obj.get("spec") or {}).get("nodeName")
    return [node] if node else []


STANDARD_INDEXERS: dict[str, IndexFunc] = {NAMESPACE: namespace_index, CONTROLLER_UID: controller_uid_index,
                                           NODE_NAME: node_name_index}


class Informer:
    def __init__(self, client: Client, resource: str, namespace: str | None = None,
                 label_selector: str | None = None, field_selector: str | None = None,
                 indexers: dict[str, IndexFunc] | None = None):
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.cache: dict[str, dict] = {}
        self._handlers: list[tuple[Handler | None, Handler | None, Handler | None]] = []
        self._synced = asyncio.Event()
        self.resource_version = "0"
        # Made by a `wait_revision` waiter, set and dropped when resource_version moves (no cost without one).
        self._moved: asyncio.Event | None = None
        self._indexers: dict[str, IndexFunc] = {}
        self._indices: dict[str, dict[str, set[str]]] = {}  # index name → value → keys
        self._filed: dict[str, dict[str, list[str]]] = {}  # index name → key → the values it is filed under
        self.add_indexers(indexers or {})

    def add_indexers(self, indexers: dict[str, IndexFunc]) -> None:
        """Add indexes (also after start: what is cached is indexed at once). Adding a name again with the same
        function is a no-op, so every controller can ask for the index it uses; another function under a taken
        name is refused, as client-go's AddIndexers refuses a conflict."""
        for name, fn in indexers.items():
            if name in self._indexers:
                if self._indexers[name] is not fn:
                    raise ValueError(f"indexer conflict: {name}")
                continue
            self._indexers[name] = fn
            self._indices[name] = {}
            self._filed[name] = {}
            for key, obj in self.cache.items():
                self._file(name, key, obj)

    def by_index(self, index_name: str, value: str) -> list[dict]:
        """The cached objects filed under `value` in this index, in key order (client-go ByIndex)."""
        return [self.cache[k] for k in self.index_keys(index_name, value)]

    def index_keys(self, index_name: str, value: str) -> list[str]:
        """The keys filed under `value`, sorted (client-go IndexKeys); unknown index: KeyError."""
        return sorted(self._indices[index_name].get(value, ()))

    def _file(self, name: str, key: str, obj: dict) -> None:
        values = self._indexers[name](obj)
        self._filed[name][key] = values
        index = self._indices[name]
        for value in values:
            index.setdefault(value, set()).add(key)

    def _unfile(self, name: str, key: str) -> None:
        index = self._indices[name]
        for value in self._filed[name].pop(key, ()):
            keys = index.get(value)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del index[value]

    def _store(self, key: str, obj: dict) -> dict | None:
        """Put an object into the cache and its indexes; returns what it replaced."""
        old = self.cache.get(key)
        self.cache[key] = obj
        for name in self._indexers:
            self._unfile(name, key)
            self._file(name, key, obj)
        return old

    def _drop(self, key: str) -> dict | None:
        for name in self._indexers:
            self._unfile(name, key)
        return self.cache.pop(key, None)

    def add_handlers(self, on_add: Handler | None = None, on_update: Handler | None = None,
                     on_delete: Handler | None = None) -> None:
        """on_add(obj), on_update(old, new), on_delete(obj). Handlers must not mutate the objects."""
        self._handlers.append((on_add, on_update, on_delete))
        for obj in list(self.cache.values()):
            if on_add:
                on_add(obj)

    def get(self, key: str) -> dict | None:
        return self.cache.get(key)

    def list(self) -> list[dict]:
        return list(self.cache.values())

    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_synced(self) -> None:
        await self._synced.wait()

    def synced_revision(self) -> int:
        """The store revision this cache reflects: every event up to it has been applied and handled."""
        return int(self.resource_version or 0)

    async def wait_revision(self, revision: int) -> None:
        """Return once the cache reflects `revision` (its handlers have run for every event up to it)."""
        while self.synced_revision() < revision:
            if self._moved is None:
                self._moved = asyncio.Event()
            await self._moved.wait()

    def _moved_to(self, resource_version: str) -> None:
        self.resource_version = resource_version
        if self._moved is not None:
            self._moved.set()
            self._moved = None

    def _emit(self, index: int, *args) -> None:
        for handlers in self._handlers:
            fn = handlers[index]
            if fn is not None:
                try:
                    fn(*args)
                except Exception:  # a handler bug must not stop the informer
                    log.exception("informer %s handler failed", self.resource)

    async def _relist(self) -> None:
        items, rv = await self.client.list(self.resource, self.namespace, self.label_selector, self.field_selector)
        fresh = {object_key(o): o for o in items}
        for key in list(self.cache):
            if key not in fresh:
                self._emit(2, self._drop(key))
        for key, obj in fresh.items():
            old = self._store(key, obj)
            if old is None:
                self._emit(0, obj)
            elif old["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                self._emit(1, old, obj)
        self._moved_to(rv)
        self._synced.set()

    def _apply(self, etype: str, obj: dict) -> None:
        key = object_key(obj)
        if etype == "DELETED":
            old = self._drop(key)
            self._emit(2, old or obj)
        elif etype in ("ADDED", "MODIFIED"):
            old = self._store(key, obj)
            if old is None:
                self._emit(0, obj)
            else:
                self._emit(1, old, obj)
        # Moved after the handlers ran, so a waiter on this revision sees what they enqueued.
        self._moved_to(obj["metadata"].get("resourceVersion", self.resource_version))

    async def run(self) -> None:
        """List, then watch from the list's resourceVersion; relist on 410 Gone or a broken stream."""
        backoff = 0.2
        while True:
            try:
                await self._relist()
                async for etype, obj in self.client.watch(self.resource, self.namespace, self.resource_version,
                                                          self.label_selector, self.field_selector,
                                                          timeout_seconds=None):
                    if etype == "BOOKMARK":
                        self._moved_to(obj["metadata"]["resourceVersion"])
                        continue
                    if etype == "ERROR":
                        break
                    self._apply(etype, obj)
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except APIError as exc:
                if exc.code != 410:
                    log.warning("informer %s: %s", self.resource, exc.message)
            except Exception as exc:  # noqa: BLE001 - connection errors: retry with back-off
                log.warning("informer %s: %s", self.resource, exc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

"""The Store contract and the logic every backend shares: one revision counter, an event log, watchers.

Keys look like `/<group or core>/<plural>/<namespace>/<name>` (cluster-scoped kinds leave the namespace
segment empty: `/core/nodes//node1`). Every write takes the next revision; it becomes the object's
`metadata.resourceVersion` and the watch event's place. Backends implement a handful of primitives
(`_read`, `_scan`, `_commit`, `_events_after`, `_compact_before`); ordering, preconditions and watch
fan-out live here once.
"""
from __future__ import annotations

import asyncio
import base64
import collections
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

log = logging.getLogger(__name__)

Predicate = Callable[[dict], bool]


class StoreError(Exception):
    pass


class NotFound(StoreError):
    pass


class AlreadyExists(StoreError):
    pass


class Conflict(StoreError):
    pass


class Gone(StoreError):
    """The requested revision has been compacted away (HTTP 410)."""


@dataclass
class Event:
    type: str  # ADDED, MODIFIED, DELETED
    key: str
    object: dict
    revision: int
    # The object as it was before this write, as the store held it (JSON); None for ADDED. A selector watch
    # needs it to turn a label change into ADDED or DELETED; the rest never pay for decoding it.
    prev_encoded: str | None = None

    @cached_property
    def prev_object(self) -> dict | None:
        """The previous object (a private copy), None for ADDED and for events logged before it was kept."""
        return json.loads(self.prev_encoded) if self.prev_encoded is not None else None


class Watcher:
    """A stream of events under a prefix. Async-iterate it, or poll with `get_nowait()`.

    The queue is bounded: a watcher that falls `max_queue` events behind is dropped (queue emptied, closed),
    as the real apiserver drops a watcher whose buffer stays full; its client re-watches from the last
    resourceVersion it saw, or re-lists on 410.
    """

    max_queue = 10000

    def __init__(self, store: Store, prefix: str, predicate: Predicate | None):
        self.store = store
        self.prefix = prefix
        self.predicate = predicate
        self._queue: collections.deque[Event] = collections.deque()
        self._waker: asyncio.Event | None = None
        self._close_callbacks: list[Callable[[], None]] = []
        # Events replayed from the log at the start do not count against max_queue (bounded by the log).
        self.limit = self.max_queue
        self.closed = False
        self.overflowed = False

    def _push(self, event: Event) -> None:
        if self.closed or not event.key.startswith(self.prefix):
            return
        if self.predicate is not None and not self.predicate(event.object) and not (
                event.prev_object is not None and self.predicate(event.prev_object)):
            return
        if len(self._queue) >= self.limit:
            log.warning("watch on %s is %d events behind: closing it", self.prefix, len(self._queue))
            self.overflowed = True
            self._queue.clear()
            self.close()
            return
        self._queue.append(event)
        if self._waker is not None:
            self._waker.set()

    def get_nowait(self) -> Event | None:
        return self._queue.popleft() if self._queue else None

    async def next(self, timeout: float | None = None) -> Event | None:
        """The next event, or None after `timeout` seconds (or once closed)."""
        while not self._queue:
            if self.closed:
                return None
            if self._waker is None:
                self._waker = asyncio.Event()
            self._waker.clear()
            try:
                await asyncio.wait_for(self._waker.wait(), timeout)
            except TimeoutError:
                return None
        return self._queue.popleft()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.store._watchers.discard(self)
        if self._waker is not None:
            self._waker.set()
        callbacks, self._close_callbacks = self._close_callbacks, []
        for callback in callbacks:
            callback()

    def add_close_callback(self, callback: Callable[[], None]) -> None:
        """Call `callback()` once the watcher closes (at once if it already has)."""
        if self.closed:
            callback()
        else:
            self._close_callbacks.append(callback)

    def __aiter__(self):
        return self

    async def __anext__(self) -> Event:
        event = await self.next()
        if event is None:
            raise StopAsyncIteration
        return event


def encode_continue(key: str, revision: int) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": key}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_continue(token: str) -> tuple[str, int]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token.encode() + b"==="))
        return str(raw["start"]), int(raw["rv"])
    except Exception as exc:
        raise ValueError("continue key is not valid") from exc


class Store:
    """Base class: subclasses provide storage primitives, this class gives the Kubernetes semantics."""

    # How many events the log keeps for watches that resume from a revision.
    event_history = 20000

    def __init__(self) -> None:
        self._watchers: set[Watcher] = set()
        self.revision = 0
        self.compacted = 0  # events with revision <= this are gone

    # --- primitives a backend implements -------------------------------------------------------
    def _read_encoded(self, key: str) -> str | None:
        """The object under key as stored (compact JSON), or None."""
        raise NotImplementedError

    def _read(self, key: str) -> dict | None:
        encoded = self._read_encoded(key)
        return json.loads(encoded) if encoded is not None else None

    def _scan(self, prefix: str, start_after: str) -> Iterable[tuple[str, dict]]:
        raise NotImplementedError

    def _commit(self, event: Event, encoded: str) -> None:
        """Persist the object change and the event atomically; `encoded` is event.object as compact JSON.

        The event log keeps event.prev_encoded too, so a watch replayed from it still knows the previous object.
        """
        raise NotImplementedError

    def _events_after(self, revision: int) -> Iterable[Event]:
        raise NotImplementedError

    def _compact_before(self, revision: int) -> None:
        raise NotImplementedError

    def close_watchers(self) -> None:
        """End every open watch (its readers see the stream close), e.g. before the server stops."""
        for w in list(self._watchers):
            w.close()

    def close(self) -> None:
        self.close_watchers()

    # --- reads ---------------------------------------------------------------------------------
    def get(self, key: str) -> dict:
        obj = self._read(key)
        if obj is None:
            raise NotFound(key)
        return obj

    def list(self, prefix: str, predicate: Predicate | None = None, limit: int = 0,
             continue_token: str | None = None) -> tuple[list[dict], int, str | None]:
        """Objects under prefix in key order; returns (items, revision, continue token or None)."""
        start_after = ""
        if continue_token:
            start_after, _ = decode_continue(continue_token)
        items: list[dict] = []
        last_key = ""
        more = False
        for key, obj in self._scan(prefix, start_after):
            if predicate is not None and not predicate(obj):
                continue
            if limit and len(items) >= limit:
                more = True
                break
            items.append(obj)
            last_key = key
        token = encode_continue(last_key, self.revision) if more else None
        return items, self.revision, token

    # --- writes --------------------------------------------------------------------------------
    def _next(self, etype: str, key: str, obj: dict, prev_encoded: str | None = None) -> dict:
        """Store obj at the next revision; returns a private copy of what was stored. `obj` is not changed.

        The object is encoded to JSON once: that text is what the backend persists, and every copy (the
        caller's, one per watcher) is decoded from it. Copying before and after with a JSON round trip each
        cost three more encodes per write. The previous object travels as the text the backend already held,
        decoded only by a watcher that asks for it.
        """
        self.revision += 1
        # Only the top level and metadata are new: the rest is shared with obj, read-only, until encoded.
        stored = dict(obj)
        stored["metadata"] = {**obj.get("metadata", {}), "resourceVersion": str(self.revision)}
        encoded = json.dumps(stored, separators=(",", ":"))
        event = Event(etype, key, stored, self.revision, prev_encoded)
        self._commit(event, encoded)
        for w in list(self._watchers):
            if not key.startswith(w.prefix):
                continue  # most watchers watch another kind: no copy for them
            w._push(Event(event.type, key, json.loads(encoded), event.revision, prev_encoded))
        if self.revision - self.compacted > self.event_history * 1.25:
            self.compact(self.revision - self.event_history)
        return json.loads(encoded)

    def create(self, key: str, obj: dict) -> dict:
        if self._read_encoded(key) is not None:
            raise AlreadyExists(key)
        return self._next("ADDED", key, obj)

    def update(self, key: str, obj: dict, expected_rv: str | None = None) -> dict:
        """Replace the object; with expected_rv, only if the stored resourceVersion still equals it."""
        prev_encoded = self._read_encoded(key)
        if prev_encoded is None:
            raise NotFound(key)
        if expected_rv and json.loads(prev_encoded)["metadata"].get("resourceVersion") != str(expected_rv):
            raise Conflict(key)
        return self._next("MODIFIED", key, obj, prev_encoded)

    def delete(self, key: str, expected_rv: str | None = None) -> dict:
        prev_encoded = self._read_encoded(key)
        if prev_encoded is None:
            raise NotFound(key)
        current = json.loads(prev_encoded)
        if expected_rv and current["metadata"].get("resourceVersion") != str(expected_rv):
            raise Conflict(key)
        return self._next("DELETED", key, current, prev_encoded)

    # --- watch ---------------------------------------------------------------------------------
    def watch(self, prefix: str, from_revision: int = 0, predicate: Predicate | None = None) -> Watcher:
        """Events under prefix after from_revision (0: only new events). Raises Gone if compacted."""
        w = Watcher(self, prefix, predicate)
        if from_revision:
            if from_revision < self.compacted:
                raise Gone(f"too old resource version: {from_revision} ({self.compacted + 1})")
            replayed = list(self._events_after(from_revision))
            w.limit = w.max_queue + len(replayed)
            for event in replayed:
                w._push(event)
        self._watchers.add(w)
        return w

    def compact(self, revision: int) -> None:
        if revision > self.compacted:
            self._compact_before(revision)
            self.compacted = revision


def _copy(obj: dict) -> dict:
    # JSON round trip is the fastest deep copy for plain JSON data.
    return json.loads(json.dumps(obj))


def object_key(group: str, plural: str, namespace: str, name: str) -> str:
    return f"/{group or 'core'}/{plural}/{namespace}/{name}"


def prefix_key(group: str, plural: str, namespace: str | None = None) -> str:
    base = f"/{group or 'core'}/{plural}/"
    return base + f"{namespace}/" if namespace else base

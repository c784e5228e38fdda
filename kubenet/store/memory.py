"""An in-memory store for fast tests: a sorted key list over a dict, and the event log in a deque."""
from __future__ import annotations

import bisect
import collections
import json
from collections.abc import Iterable

from kubenet.store.base import Event, Store


class MemoryStore(Store):
    def __init__(self) -> None:
        super().__init__()
        self._objects: dict[str, str] = {}
        self._keys: list[str] = []
        # The event log as stored text: (revision, type, key, object JSON, previous object JSON or None).
        self._events: collections.deque[tuple[int, str, str, str, str | None]] = collections.deque()

    def _read_encoded(self, key: str) -> str | None:
        return self._objects.get(key)

    def _scan(self, prefix: str, start_after: str) -> Iterable[tuple[str, dict]]:
        i = bisect.bisect_right(self._keys, start_after) if start_after else bisect.bisect_left(self._keys, prefix)
        for key in self._keys[i:]:
            if not key.startswith(prefix):
                if key > prefix:
                    break
                continue
            yield key, json.loads(self._objects[key])

    def _commit(self, event: Event, encoded: str) -> None:
        if event.type == "DELETED":
            self._objects.pop(event.key, None)
            i = bisect.bisect_left(self._keys, event.key)
            if i < len(self._keys) and self._keys[i] == event.key:
                del self._keys[i]
        else:
            if event.key not in self._objects:
                bisect.insort(self._keys, event.key)
            self._objects[event.key] = encoded
        self._events.append((event.revision, event.type, event.key, encoded, event.prev_encoded))

    def _events_after(self, revision: int) -> Iterable[Event]:
        return [Event(etype, key, json.loads(encoded), rev, prev)
                for rev, etype, key, encoded, prev in self._events if rev > revision]

    def _compact_before(self, revision: int) -> None:
        while self._events and self._events[0][0] <= revision:
            self._events.popleft()

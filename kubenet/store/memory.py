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
        self._events: collections.deque[Event] = collections.deque()

    def _read(self, key: str) -> dict | None:
        raw = self._objects.get(key)
        return json.loads(raw) if raw is not None else None

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
        self._events.append(Event(event.type, event.key, json.loads(encoded), event.revision))

    def _events_after(self, revision: int) -> Iterable[Event]:
        return [e for e in self._events if e.revision > revision]

    def _compact_before(self, revision: int) -> None:
        while self._events and self._events[0].revision <= revision:
            self._events.popleft()

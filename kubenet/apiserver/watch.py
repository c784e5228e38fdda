"""A watch as the API serves it: initial state (for resourceVersion 0), then store events filtered by selectors.

With a selector, each event is judged as the real watch cache judges it (cacheWatcher.convertToWatchEvent):
by whether the previous object and the new one match. Both → MODIFIED, only the new → ADDED, only the
previous → DELETED, carrying the previous object's content at the event's resourceVersion, neither → nothing.
So a label change moves an object in or out of a filtered watch, also for a watch resumed from a
resourceVersion or replayed from the event log after a restart.
"""
from __future__ import annotations

import collections
from collections.abc import Callable

from kubenet.store import Event, Watcher


class FilteredWatch:
    def __init__(self, inner: Watcher, predicate: Callable[[dict], bool] | None, initial: list[dict],
                 revision: int):
        self.inner = inner
        self.predicate = predicate
        self.revision = revision
        self._initial = collections.deque(initial)

    def _translate(self, event: Event) -> tuple[str, dict] | None:
        if self.predicate is None:
            return event.type, event.object
        prev = event.prev_object
        if event.type == "DELETED":
            # The deleted object is the previous one at the deletion's resourceVersion.
            return (event.type, event.object) if self.predicate(event.object) else None
        now = self.predicate(event.object)
        if event.type == "MODIFIED" and prev is None:
            # Logged before events kept the previous object: only the new one can be judged.
            return (event.type, event.object) if now else None
        was = prev is not None and self.predicate(prev)
        if now:
            return ("MODIFIED" if was else "ADDED"), event.object
        if was:
            prev["metadata"]["resourceVersion"] = str(event.revision)  # prev is this event's private copy
            return "DELETED", prev
        return None

    async def next(self, timeout: float | None = None) -> tuple[str, dict] | None:
        """The next (type, object), or None on timeout / close."""
        if self._initial:
            return "ADDED", self._initial.popleft()
        while True:
            event = await self.inner.next(timeout)
            if event is None:
                return None
            self.revision = event.revision
            out = self._translate(event)
            if out is not None:
                return out

    def close(self) -> None:
        self.inner.close()

"""A watch as the API serves it: initial state (for resourceVersion 0), then store events filtered by selectors.

When an object starts or stops matching the selector the client sees ADDED / DELETED, as the real watch cache
sends them, so a label change moves an object in or out of a filtered watch.
"""
from __future__ import annotations

from collections.abc import Callable

from kubenet.store import Watcher


class FilteredWatch:
    def __init__(self, inner: Watcher, predicate: Callable[[dict], bool] | None, initial: list[dict],
                 revision: int):
        self.inner = inner
        self.predicate = predicate
        self.revision = revision
        self._initial = list(initial)
        self._matching: set[str] = set()
        for obj in initial:
            self._matching.add(_id(obj))

    def _translate(self, etype: str, obj: dict) -> tuple[str, dict] | None:
        if self.predicate is None:
            return etype, obj
        key = _id(obj)
        now = self.predicate(obj)
        was = key in self._matching
        if etype == "DELETED":
            self._matching.discard(key)
            return (etype, obj) if (was or now) else None
        if now:
            self._matching.add(key)
            return ("ADDED" if etype == "ADDED" or not was else "MODIFIED"), obj
        if was:
            self._matching.discard(key)
            return "DELETED", obj
        return None

    async def next(self, timeout: float | None = None) -> tuple[str, dict] | None:
        """The next (type, object), or None on timeout / close."""
        if self._initial:
            return "ADDED", self._initial.pop(0)
        while True:
            event = await self.inner.next(timeout)
            if event is None:
                return None
            self.revision = event.revision
            out = self._translate(event.type, event.object)
            if out is not None:
                return out

    def close(self) -> None:
        self.inner.close()


def _id(obj: dict) -> str:
    meta = obj.get("metadata", {})
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"

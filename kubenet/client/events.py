"""Event recorder: core/v1 Events as components emit them, with the real aggregation of repeats (count++)."""
from __future__ import annotations

import collections
import logging
import time
import uuid

from kubenet.api.errors import APIError
from kubenet.api.meta import now_rfc3339
from kubenet.client.base import Client

log = logging.getLogger(__name__)

# A repeat within this long patches the existing Event's count; later ones start a new Event (client-go's
# EventCorrelator keeps its LRU of seen events for the same span).
AGGREGATION_WINDOW = 600.0


class EventRecorder:
    def __init__(self, client: Client, component: str, host: str | None = None):
        self.client = client
        self.component = component
        self.host = host
        # (involved uid, type, reason, message) → (event name, namespace, count, last time), oldest use first
        self._seen: collections.OrderedDict[tuple, tuple[str, str, int, float]] = collections.OrderedDict()

    def _forget_old(self, now: float) -> None:
        while self._seen:
            key, (_, _, _, last) = next(iter(self._seen.items()))
            if now - last < AGGREGATION_WINDOW:
                break
            del self._seen[key]

    async def event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        key = (meta.get("uid"), type_, reason, message)
        now = now_rfc3339()
        self._forget_old(time.monotonic())
        seen = self._seen.get(key)
        try:
            if seen:
                name, ns, count, _ = seen
                try:
                    await self.client.patch("events", name, {"count": count + 1, "lastTimestamp": now}, ns)
                except APIError as exc:
                    if exc.code != 404:
                        raise
                    # Someone deleted the Event (or its namespace's Events were cleaned up): record it afresh.
                    del self._seen[key]
                else:
                    self._seen[key] = (name, ns, count + 1, time.monotonic())
                    self._seen.move_to_end(key)
                    return
            event = {
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": f"{meta['name']}.{uuid.uuid4().int >> 64:x}"[:253], "namespace": namespace},
                "involvedObject": {"kind": obj.get("kind"), "namespace": meta.get("namespace"),
                                   "name": meta["name"], "uid": meta.get("uid"), "apiVersion": obj.get("apiVersion"),
                                   "resourceVersion": meta.get("resourceVersion")},
                "reason": reason, "message": message, "type": type_, "count": 1,
                "source": {"component": self.component, **({"host": self.host} if self.host else {})},
                "firstTimestamp": now, "lastTimestamp": now, "eventTime": None,
                "reportingComponent": self.component, "reportingInstance": self.host or "",
            }
            if not meta.get("namespace"):
                event["involvedObject"].pop("namespace")
            await self.client.create("events", event, namespace)
            self._seen[key] = (event["metadata"]["name"], namespace, 1, time.monotonic())
            self._seen.move_to_end(key)
        except APIError as exc:  # events are best effort, as in client-go
            log.debug("event %s/%s dropped: %s", reason, meta.get("name"), exc.message)

"""How fast a workload controller makes Pods, and what it remembers of Pods it made that its cache has not
shown yet (pkg/controller/controller_utils.go: ControllerExpectations, UIDTrackingControllerExpectations,
slowStartBatch).

- `Expectations`: before a sync creates N Pods it expects N creations; each Pod ADDED event for that owner
  lowers the count (as does each create that was never attempted or failed). Deletions are tracked by the Pod
  UIDs asked to go. A sync that finds its owner's expectations unmet does not manage Pods (it would act on a
  cache that misses its own writes and create or delete the same Pods twice). An expectation older than the
  TTL (five minutes, as upstream) is given up, so a lost event cannot wedge an owner.
- `slow_start_batch`: creates run in batches of 1, 2, 4, ..., stopping after the first batch with an error,
  so a template the API refuses costs one failed call, not hundreds.
- `BURST_REPLICAS`: at most this many creates (or deletes) per sync (the ReplicaSet and Job controllers'
  burstReplicas / MaxPodCreateDeletePerSync), so an absurd replica count cannot flood the API in one pass.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from kubenet.api.meta import controller_of

BURST_REPLICAS = 500
DAEMONSET_BURST_REPLICAS = 250  # the DaemonSet controller's own burstReplicas
SLOW_START_INITIAL_BATCH = 1
EXPECTATIONS_TTL = 300.0

T = TypeVar("T")


async def slow_start_batch(items: Sequence[T], call: Callable[[T], Awaitable[object]]) -> tuple[int, Exception | None]:
    """Call `call` for each item in batches of 1, 2, 4, ...; after a batch that had an error, stop. Returns
    (successful calls, the first error or None); items after the failing batch are never attempted.

    Upstream runs a batch's calls concurrently. Here every controller shares one event loop with the API server
    and calls it through the synchronous LocalClient, so "concurrent" calls would only run back to back inside
    one loop iteration and stall everything else; the calls of a batch run one after another instead, with a
    yield between them, and every call of a failing batch is still made, as upstream's are."""
    successes, position, batch = 0, 0, SLOW_START_INITIAL_BATCH
    while position < len(items):
        chunk = items[position:position + batch]
        position += len(chunk)
        first_error: Exception | None = None
        for item in chunk:
            try:
                await call(item)
                successes += 1
            except Exception as exc:  # noqa: BLE001 (returned to the caller, as upstream's error channel)
                first_error = first_error or exc
            await asyncio.sleep(0)  # let the API server and the informers run between two creates
        if first_error is not None:
            return successes, first_error
        batch *= 2
    return successes, None


def owner_key_of(obj: dict, owner_kind: str) -> str | None:
    """The work-queue key (`ns/name`, or `name` for a cluster-scoped object) of the object's controller when it
    is of this kind: owner references never cross namespaces."""
    ref = controller_of(obj)
    if ref and ref.get("kind") == owner_kind:
        ns = obj["metadata"].get("namespace")
        return f"{ns}/{ref['name']}" if ns else ref["name"]
    return None


class Expectations:
    """Per owner key: creations still to be observed (a count) and deletions still pending (Pod UIDs)."""

    def __init__(self, ttl: float = EXPECTATIONS_TTL, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._adds: dict[str, tuple[int, float]] = {}
        self._deletes: dict[str, tuple[set[str], float]] = {}

    def expect_creations(self, key: str, count: int) -> None:
        self._adds[key] = (count, self.clock())

    def creation_observed(self, key: str, count: int = 1) -> None:
        if key in self._adds:
            pending, at = self._adds[key]
            self._adds[key] = (max(0, pending - count), at)

    def expect_deletions(self, key: str, uids: Iterable[str]) -> None:
        self._deletes[key] = (set(uids), self.clock())

    def deletion_observed(self, key: str, uid: str) -> None:
        if key in self._deletes:
            self._deletes[key][0].discard(uid)

    def satisfied(self, key: str) -> bool:
        now = self.clock()
        adds, dels = self._adds.get(key), self._deletes.get(key)
        pending = (adds is not None and adds[0] > 0 and now - adds[1] < self.ttl) or \
                  (dels is not None and bool(dels[0]) and now - dels[1] < self.ttl)
        return not pending

    def forget(self, key: str) -> None:
        self._adds.pop(key, None)
        self._deletes.pop(key, None)

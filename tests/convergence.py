"""The barrier tests wait on before "nothing else happens" assertions: every informer has applied every event
the store holds for its resource, every work queue is empty and nothing is being reconciled.

Used by the in-process harness (tests/unit/controller_harness.py) and, run in its loop, by tests against a
control plane in a thread. It reads the store's event log, so it is for tests, not production.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterable

from kubenet.client.base import resolve
from kubenet.client.informer import Informer
from kubenet.client.workqueue import WorkQueue
from kubenet.store import Store, prefix_key


def behind(store: Store, informers: Iterable[Informer]) -> list[tuple[Informer, int]]:
    """(informer, the newest revision under its resource it has not applied yet), for those behind."""
    out = []
    for informer in informers:
        kind = resolve(informer.resource)
        prefix = prefix_key(kind.group, kind.plural)
        newest = max((e.revision for e in store._events_after(informer.synced_revision())
                      if e.key.startswith(prefix)), default=0)
        if newest:
            out.append((informer, newest))
    return out


async def settle(store: Store, informers: list[Informer], queues: list[WorkQueue], timeout: float = 5.0,
                 horizon: float = 0.1) -> None:
    """Wait until the informers are caught up and the queues idle (nor a key due within `horizon` seconds: a
    conflict's back-off). Checked in one synchronous pass at the end, so nothing can be in flight between the
    parts; work scheduled further out (a deadline, a periodic recheck) is not convergence."""
    async with asyncio.timeout(timeout):
        while True:
            for informer, revision in behind(store, informers):
                await informer.wait_revision(revision)
            for queue in queues:
                await queue.wait_idle(horizon)
            if not behind(store, informers) and not any(q.busy(horizon) for q in queues):
                return

"""A rate-limited work queue of keys (client-go workqueue): de-duplicates, never hands a key to two workers; and
the one worker loop that drains it (controllers and the scheduler)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from kubenet.api.errors import APIError

log = logging.getLogger(__name__)


class WorkQueue:
    def __init__(self, base_delay: float = 0.005, max_delay: float = 60.0):
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._processing: set[str] = set()
        self._dirty: set[str] = set()
        self._failures: dict[str, int] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self.base_delay = base_delay
        self.max_delay = max_delay
        # Made by a `wait_idle` waiter, set and dropped when a worker finishes a key (no cost without one).
        self._finished: asyncio.Event | None = None

    def add(self, key: str) -> None:
        if key in self._processing:
            self._dirty.add(key)  # handed out again once the current worker is done
            return
        if key not in self._queued:
            self._queued.add(key)
            self._queue.put_nowait(key)

    def add_after(self, key: str, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        loop = asyncio.get_running_loop()
        timer = self._timers.pop(key, None)
        when = loop.time() + delay
        if timer is not None and timer.when() <= when:
            self._timers[key] = timer
            return
        if timer is not None:
            timer.cancel()
        self._timers[key] = loop.call_at(when, self._fire, key)

    def _fire(self, key: str) -> None:
        self._timers.pop(key, None)
        self.add(key)

    def add_rate_limited(self, key: str) -> None:
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        self.add_after(key, min(self.base_delay * (2 ** n), self.max_delay))

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    async def get(self) -> str:
        key = await self._queue.get()
        self._queued.discard(key)
        self._processing.add(key)
        return key

    def done(self, key: str) -> None:
        self._processing.discard(key)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key)
        if self._finished is not None:
            self._finished.set()
            self._finished = None

    def busy(self, horizon: float = 0.0) -> bool:
        """Keys queued or being worked on, or due again within `horizon` seconds (a retry's back-off).

        A key scheduled further out (a deadline, a periodic recheck) is future work, not work in progress.
        """
        if self._queued or self._processing:
            return True
        if not horizon or not self._timers:
            return False
        soon = asyncio.get_running_loop().time() + horizon
        return any(timer.when() <= soon for timer in self._timers.values())

    async def wait_idle(self, horizon: float = 0.0) -> None:
        """Return once `busy(horizon)` is false; every change towards idle passes through `done()`."""
        while self.busy(horizon):
            if self._finished is None:
                self._finished = asyncio.Event()
            await self._finished.wait()

    def __len__(self) -> int:
        return self._queue.qsize()

    def shutdown(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()


async def process_keys(queue: WorkQueue, name: str, handle: Callable[[str], Awaitable[None]]) -> None:
    """One worker (sample-controller's runWorker / processNextWorkItem, also the scheduler's loop): take a key,
    handle it, forget its failures on success, re-add it rate-limited on an error. A 409 Conflict is the normal
    fate of a write against a stale cache, so it is retried without a log line."""
    while True:
        key = await queue.get()
        try:
            await handle(key)
            queue.forget(key)
        except asyncio.CancelledError:
            raise
        except APIError as exc:
            if exc.code != 409:
                log.info("%s: %s: %s", name, key, exc.message)
            queue.add_rate_limited(key)
        except Exception:
            log.exception("%s: %s failed", name, key)
            queue.add_rate_limited(key)
        finally:
            queue.done(key)

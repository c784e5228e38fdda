"""Rate-limited sync loop (kube-proxy's BoundedFrequencyRunner, in asyncio).

Requests coalesce: however many arrive, sync runs at most once per min_sync_period. Without requests it
still runs every sync_period, and a failed sync is retried after sync_period (sooner if requested). The
sync itself is blocking (it runs iptables tools), so it runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from kubenet.clock import REAL_CLOCK, Clock

log = logging.getLogger(__name__)


class SyncRunner:
    def __init__(
        self,
        sync: Callable[[], None],
        min_sync_period: float = 1.0,
        sync_period: float = 30.0,
        name: str = "sync-runner",
        burst: int = 2,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        if min_sync_period < 0 or sync_period <= 0:
            raise ValueError("min_sync_period must be >= 0 and sync_period > 0")
        self._sync = sync
        self.clock = clock
        self.min_sync_period = min_sync_period
        self.sync_period = sync_period
        self.name = name
        self.burst = burst
        self._tokens = float(burst)
        self._refilled = 0.0
        self.syncs = 0  # attempts, successful or not
        self.failures = 0
        self.last_error: BaseException | None = None
        self._wakeup: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._requested = False
        self._stopping = False

    def _take_token(self) -> float:
        """Take a sync token; returns 0, or how long to wait until one is there (then call again)."""
        now = self.clock.monotonic()
        if self.min_sync_period <= 0:
            return 0.0
        self._tokens = min(float(self.burst), self._tokens + (now - self._refilled) / self.min_sync_period)
        self._refilled = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) * self.min_sync_period

    def request(self) -> None:
        """Ask for a sync soon; safe to call from any thread, and before run() has started."""
        self._requested = True
        if self._loop is None or self._wakeup is None:
            return  # run() will see _requested when it starts
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._wakeup.set()
        else:
            self._loop.call_soon_threadsafe(self._wakeup.set)

    def stop(self) -> None:
        self._stopping = True
        if self._loop is not None and self._wakeup is not None:
            self._loop.call_soon_threadsafe(self._wakeup.set)

    async def run(self) -> None:
        """Loop until stop(). The first sync happens on the first request() (kube-proxy waits for its
        informers to sync before asking) or after sync_period."""
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._refilled = self.clock.monotonic()
        next_due = self.clock.monotonic() + self.sync_period
        while not self._stopping:
            if not self._requested:
                await self._wait_for_wakeup(max(0.0, next_due - self.clock.monotonic()))
            self._wakeup.clear()
            if self._stopping:
                break
            # A token bucket like kube-proxy's BoundedFrequencyRunner (burstSyncs=2): after a quiet spell a
            # change syncs at once; a stream of changes syncs once per min_sync_period. Requests that land
            # while we wait are served by this same run: that is the coalescing.
            delay = self._take_token()
            if delay > 0:
                await self.clock.sleep(delay)
                if self._stopping:
                    break
                self._take_token()
            self._requested = False
            self._wakeup.clear()
            last_start = self.clock.monotonic()
            self.syncs += 1
            try:
                await asyncio.to_thread(self._sync)
                self.last_error = None
            except Exception as err:  # noqa: BLE001 - the loop must survive any sync failure; logged, retried
                self.failures += 1
                self.last_error = err
                log.error("%s: sync failed, retrying in %.3gs: %s", self.name, self.sync_period, err)
            next_due = last_start + self.sync_period

    async def _wait_for_wakeup(self, timeout: float) -> None:
        """Until request()/stop() or `timeout` seconds on the clock, whichever comes first."""
        woken = asyncio.ensure_future(self._wakeup.wait())
        due = asyncio.ensure_future(self.clock.sleep(timeout))
        try:
            await asyncio.wait((woken, due), return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            due.cancel()

"""A log line per interval, not per packet: a fuzzer or a broken client must not be able to fill the Pod's log.

The first event after a quiet interval is logged at once; the ones after it are counted and summed up in one line
when the interval is over, like CoreDNS's errors plugin `consolidate` option ("N errors like '...' occurred in
last Xs"). Only the event loop's thread calls it, so it needs no lock.
"""
from __future__ import annotations

import asyncio
import logging

from kubenet.clock import REAL_CLOCK, Clock


class RateLimitedLog:
    def __init__(self, logger: logging.Logger, what: str, interval: float = 10.0,
                 level: int = logging.WARNING, clock: Clock = REAL_CLOCK) -> None:
        self.logger = logger
        self.clock = clock
        self.what = what  # "malformed packets": the line reads "N malformed packets in the last Xs, ..."
        self.interval = interval
        self.level = level
        self.count = 0  # events not yet logged
        self.total = 0  # every event since start (tests and a future metrics endpoint read it)
        self.last = ""
        self._last_flush = float("-inf")
        self._timer: asyncio.Task | None = None  # the flush at the end of the current interval

    def note(self, peer: str, reason: str) -> None:
        """Count one event from peer; a line goes out now or when the current interval ends."""
        self.count += 1
        self.total += 1
        self.last = f"last from {peer}: {reason}"
        if self._timer is None:
            delay = max(0.0, self._last_flush + self.interval - self.clock.monotonic())
            self._timer = asyncio.get_running_loop().create_task(self._flush_after(delay))

    async def _flush_after(self, delay: float) -> None:
        await self.clock.sleep(delay)
        self.flush()

    def flush(self) -> None:
        self._timer = None
        if self.count == 0:
            return
        # Every event counted here arrived within the last interval: at most one line per interval goes out.
        self.logger.log(self.level, "%d %s in the last %gs, %s", self.count, self.what, self.interval, self.last)
        self.count = 0
        self._last_flush = self.clock.monotonic()

    def close(self) -> None:
        """Log what is still counted (the server is stopping) and drop the timer."""
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
        self.flush()

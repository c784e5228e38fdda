"""Time as a dependency: components that wait for TTLs, periods or deadlines take a `Clock`.

The real clock is the default; tests pass a `FakeClock` and advance it, so a test of "after 10 s the lease is
renewed" takes no 10 s and cannot pass by luck of timing (k8s.io/utils/clock and its testing.FakeClock).
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock time, seconds since the epoch (time.time)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (time.monotonic); for durations."""

    async def sleep(self, seconds: float) -> None:
        """Return after `seconds` on this clock."""


class RealClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


REAL_CLOCK = RealClock()


class FakeClock:
    """A clock that moves only when `advance()` is called; sleepers wake when it passes their time."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._epoch = start
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future]] = []  # a heap by wake-up time
        self._order = itertools.count()
        self._slept: asyncio.Event | None = None  # set (and replaced) when a sleeper arrives

    def now(self) -> float:
        return self._epoch + self._elapsed

    def monotonic(self) -> float:
        return self._elapsed

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)  # a real sleep(0) also yields once
            return
        waker = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._elapsed + seconds, next(self._order), waker))
        if self._slept is not None:
            self._slept.set()
            self._slept = None
        await waker

    def advance(self, seconds: float) -> None:
        """Move time on and wake every sleeper whose time has come (they run at the loop's next turns)."""
        self._elapsed += seconds
        while self._sleepers and self._sleepers[0][0] <= self._elapsed:
            _, _, waker = heapq.heappop(self._sleepers)
            if not waker.done():
                waker.set_result(None)

    def sleepers(self) -> int:
        """How many are waiting on this clock now (cancelled sleeps do not count)."""
        return sum(not waker.done() for _, _, waker in self._sleepers)

    async def sleeping(self, count: int = 1) -> None:
        """Return once at least `count` tasks wait on this clock: the code under test has parked."""
        while self.sleepers() < count:
            if self._slept is None:
                self._slept = asyncio.Event()
            await self._slept.wait()

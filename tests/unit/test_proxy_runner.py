"""SyncRunner: requests coalesce into at most one sync per min_sync_period; failures are retried.

Time is a FakeClock: each test says how far time moves and checks what synced by then, so none waits for
real periods and none passes by luck of timing.
"""

import asyncio
import threading

import pytest

from kubenet.clock import FakeClock
from kubenet.proxy.runner import SyncRunner


class Syncs:
    """The sync function (it runs in a worker thread): records the clock at each call, fails the first few."""

    def __init__(self, clock: FakeClock, failing: int = 0):
        self.clock = clock
        self.at: list[float] = []
        self.failing = failing
        self.loop: asyncio.AbstractEventLoop | None = None
        self._more: asyncio.Event | None = None

    def __call__(self) -> None:
        self.at.append(self.clock.monotonic())
        self.loop.call_soon_threadsafe(self._notify)
        if len(self.at) <= self.failing:
            raise RuntimeError("iptables-restore: line 7 failed")

    def _notify(self) -> None:
        if self._more is not None:
            self._more.set()

    async def reach(self, count: int) -> None:
        async def reached():
            while len(self.at) < count:
                self._more = asyncio.Event()
                if len(self.at) >= count:
                    break
                await self._more.wait()
        await asyncio.wait_for(reached(), 5)


def fake_runner(min_sync_period: float, sync_period: float, failing: int = 0) -> tuple[FakeClock, Syncs, SyncRunner]:
    clock = FakeClock()
    syncs = Syncs(clock, failing)
    return clock, syncs, SyncRunner(syncs, min_sync_period=min_sync_period, sync_period=sync_period, clock=clock)


async def start(runner: SyncRunner, syncs: Syncs) -> asyncio.Task:
    syncs.loop = asyncio.get_running_loop()
    return asyncio.create_task(runner.run())


async def parked(runner: SyncRunner, clock: FakeClock, syncs: Syncs, count: int) -> None:
    """`count` syncs have run and the runner waits on the clock (nothing more happens until time moves)."""
    await syncs.reach(count)
    await asyncio.wait_for(clock.sleeping(), 5)
    assert len(syncs.at) == count


async def stop(runner: SyncRunner, task: asyncio.Task) -> None:
    runner.stop()
    await asyncio.wait_for(task, 5)


def test_burst_of_requests_gives_two_syncs_then_one_per_min_period():
    clock, syncs, runner = fake_runner(1.0, 30)

    async def story():
        task = await start(runner, syncs)
        runner.request()
        await syncs.reach(1)
        runner.request()
        await syncs.reach(2)  # kube-proxy's BoundedFrequencyRunner allows a burst of 2 ...
        for _ in range(20):
            runner.request()
        await parked(runner, clock, syncs, 2)  # ... then waits for a token
        clock.advance(0.5)
        await parked(runner, clock, syncs, 2)
        clock.advance(0.5)
        await parked(runner, clock, syncs, 3)  # twenty requests, one sync
        assert syncs.at == [0.0, 0.0, 1.0]
        await stop(runner, task)
    asyncio.run(story())


def test_a_change_after_a_quiet_spell_syncs_at_once():
    clock, syncs, runner = fake_runner(1.0, 30)

    async def story():
        task = await start(runner, syncs)
        runner.request()
        await parked(runner, clock, syncs, 1)
        clock.advance(5)
        runner.request()
        await parked(runner, clock, syncs, 2)
        assert syncs.at == [0.0, 5.0]  # no wait for the change
        await stop(runner, task)
    asyncio.run(story())


def test_without_requests_it_syncs_every_sync_period():
    clock, syncs, runner = fake_runner(1.0, 30)

    async def story():
        task = await start(runner, syncs)
        await parked(runner, clock, syncs, 0)
        for _ in range(2):
            clock.advance(10)
            await parked(runner, clock, syncs, 0)
        clock.advance(10)
        await parked(runner, clock, syncs, 1)
        clock.advance(30)
        await parked(runner, clock, syncs, 2)
        assert syncs.at == [30.0, 60.0]
        await stop(runner, task)
    asyncio.run(story())


def test_failed_sync_is_retried_after_sync_period():
    clock, syncs, runner = fake_runner(0.01, 10, failing=1)

    async def story():
        task = await start(runner, syncs)
        runner.request()
        await parked(runner, clock, syncs, 1)
        assert runner.failures == 1 and "line 7" in str(runner.last_error)
        clock.advance(9.9)
        await parked(runner, clock, syncs, 1)
        clock.advance(0.1)
        await parked(runner, clock, syncs, 2)
        assert syncs.at == [0.0, 10.0] and runner.last_error is None
        await stop(runner, task)
    asyncio.run(story())


def test_request_from_another_thread_and_before_start():
    clock, syncs, runner = fake_runner(0.01, 10)
    runner.request()  # before run(): remembered

    async def story():
        task = await start(runner, syncs)
        await parked(runner, clock, syncs, 1)
        threading.Thread(target=runner.request).start()
        await parked(runner, clock, syncs, 2)
        await stop(runner, task)
    asyncio.run(story())
    assert runner.syncs == 2


def test_invalid_periods_are_rejected():
    with pytest.raises(ValueError):
        SyncRunner(lambda: None, min_sync_period=-1)

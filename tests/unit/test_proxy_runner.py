"""SyncRunner: requests coalesce into at most one sync per min_sync_period; failures are retried."""

import asyncio
import itertools
import threading
import time

import pytest

from kubenet.proxy.runner import SyncRunner


async def _run_for(runner: SyncRunner, seconds: float, during=None) -> None:
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0)
    if during:
        await during()
    await asyncio.sleep(seconds)
    runner.stop()
    await asyncio.wait_for(task, 2)


def test_burst_of_requests_gives_few_syncs_spaced_by_min_period():
    starts: list[float] = []
    runner = SyncRunner(lambda: starts.append(time.monotonic()), min_sync_period=0.1, sync_period=10)

    async def burst():
        for _ in range(20):
            runner.request()
            await asyncio.sleep(0.01)

    asyncio.run(_run_for(runner, 0.3, burst))
    # kube-proxy's BoundedFrequencyRunner allows a burst of 2, then one sync per min_sync_period.
    assert 3 <= len(starts) <= 7
    assert all(b - a >= 0.09 for a, b in itertools.pairwise(starts[2:]))


def test_a_change_after_a_quiet_spell_syncs_at_once():
    starts: list[float] = []
    runner = SyncRunner(lambda: starts.append(time.monotonic()), min_sync_period=1.0, sync_period=10)
    asked: list[float] = []

    async def two_changes():
        runner.request()
        await asyncio.sleep(0.05)
        asked.append(time.monotonic())
        runner.request()

    asyncio.run(_run_for(runner, 0.2, two_changes))
    assert len(starts) == 2 and starts[1] - asked[0] < 0.05


def test_failed_sync_is_retried_after_sync_period():
    calls = []

    def flaky():
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("iptables-restore: line 7 failed")

    runner = SyncRunner(flaky, min_sync_period=0.01, sync_period=0.1)

    async def ask():
        runner.request()

    asyncio.run(_run_for(runner, 0.25, ask))
    assert len(calls) >= 2 and runner.failures == 1
    assert calls[1] - calls[0] >= 0.09
    assert runner.last_error is None


def test_request_from_another_thread_and_before_start():
    done = threading.Event()
    runner = SyncRunner(done.set, min_sync_period=0.01, sync_period=10)
    runner.request()  # before run(): remembered

    async def main():
        task = asyncio.create_task(runner.run())
        await asyncio.sleep(0.1)
        assert done.is_set()
        done.clear()
        threading.Thread(target=runner.request).start()
        await asyncio.sleep(0.1)
        runner.stop()
        await asyncio.wait_for(task, 2)

    asyncio.run(main())
    assert done.is_set() and runner.syncs == 2


def test_invalid_periods_are_rejected():
    with pytest.raises(ValueError):
        SyncRunner(lambda: None, min_sync_period=-1)

"""A Pod's ServiceAccount token is replaced before it expires, atomically, for as long as the Pod's volume exists.

Time is a FakeClock: a test moves it to just before and just past each refresh and reads the file then."""
from __future__ import annotations

import asyncio
import itertools
import shutil
import stat
import threading

from kubenet.clock import FakeClock
from kubenet.kubelet.tokens import TokenRefreshers, keep_token_fresh, refresh_token_file


def issuer():
    counter = itertools.count(1)
    return awaitable(lambda: f"token-{next(counter)}")


def awaitable(fn):
    """The kubelet's issuers are coroutine functions (a TokenRequest to the API server)."""
    async def issue() -> str:
        return fn()
    return issue


def test_refresh_replaces_the_token_file_atomically(tmp_path):
    (tmp_path / "token").write_text("old")
    (tmp_path / "namespace").write_text("default")
    asyncio.run(refresh_token_file(tmp_path, awaitable(lambda: "new")))
    assert (tmp_path / "token").read_text() == "new"
    assert stat.S_IMODE((tmp_path / "token").stat().st_mode) == 0o600  # private, like every file kubenet writes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["namespace", "token"]  # no temporary file left


def test_a_reader_never_sees_a_partial_token(tmp_path):
    (tmp_path / "token").write_text("a" * 100_000)
    seen: set[int] = set()
    done = threading.Event()

    def reader() -> None:  # a client in the Pod, reading as fast as it can while the kubelet writes
        while not done.is_set():
            seen.add(len(set((tmp_path / "token").read_text())))

    async def scenario() -> None:
        tokens = itertools.cycle(["a" * 100_000, "b" * 100_000])
        for _ in range(50):
            await refresh_token_file(tmp_path, awaitable(lambda: next(tokens)))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        asyncio.run(scenario())
    finally:
        done.set()
        thread.join()
    assert seen == {1}  # always all a's or all b's


async def parked(clock: FakeClock) -> None:
    """The refresher waits on the clock again: whatever it was going to write is written."""
    await asyncio.wait_for(clock.sleeping(), 5)


def test_the_token_is_refreshed_at_80_percent_of_its_ttl_until_cancelled(tmp_path):
    (tmp_path / "token").write_text("token-0")
    clock = FakeClock()

    async def scenario() -> list[str]:
        task = asyncio.create_task(keep_token_fresh(tmp_path, issuer(), ttl=100, clock=clock))
        seen = []
        for step in (79.9, 0.1, 79.9, 0.1):
            await parked(clock)
            clock.advance(step)
            await parked(clock)
            seen.append((tmp_path / "token").read_text())
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
        return seen

    assert asyncio.run(scenario()) == ["token-0", "token-1", "token-1", "token-2"]


def test_refresh_ends_when_the_pods_volume_is_removed(tmp_path):
    directory = tmp_path / "serviceaccount"
    directory.mkdir()
    clock = FakeClock()

    async def scenario() -> None:
        task = asyncio.create_task(keep_token_fresh(directory, issuer(), ttl=10, clock=clock))
        await parked(clock)
        shutil.rmtree(directory)
        clock.advance(8)
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    assert not directory.exists()


def test_a_failed_issue_is_retried_sooner(tmp_path):
    calls = []
    clock = FakeClock()

    def flaky() -> str:
        calls.append(clock.monotonic())
        if len(calls) == 1:
            raise RuntimeError("signing key unavailable")
        return "fresh"

    async def scenario() -> None:
        task = asyncio.create_task(keep_token_fresh(tmp_path, awaitable(flaky), ttl=100, clock=clock))
        await parked(clock)
        clock.advance(80)
        await parked(clock)
        assert not (tmp_path / "token").exists()
        clock.advance(5)  # a fifth of what was left of the ttl, at most RETRY_SECONDS
        await parked(clock)
        task.cancel()

    asyncio.run(scenario())
    assert (tmp_path / "token").read_text() == "fresh" and calls == [80, 85]


def test_one_refresher_per_pod(tmp_path):
    clock = FakeClock()

    async def scenario() -> None:
        refreshers = TokenRefreshers(clock)
        refreshers.start("uid-1", tmp_path, issuer(), ttl=10)
        refreshers.start("uid-1", tmp_path, issuer(), ttl=10)  # a new sandbox replaces the task
        assert "uid-1" in refreshers
        await parked(clock)
        clock.advance(8)
        await parked(clock)
        assert clock.sleepers() == 1  # the replaced task is gone, not sleeping beside the new one
        refreshers.stop("uid-1")
        assert "uid-1" not in refreshers
        assert (tmp_path / "token").read_text() == "token-1"

    asyncio.run(scenario())

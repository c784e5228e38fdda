"""A Pod's ServiceAccount token is replaced before it expires, atomically, for as long as the Pod's volume exists."""
from __future__ import annotations

import asyncio
import itertools
import shutil
import stat

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

    async def scenario() -> set[int]:
        tokens = itertools.cycle(["a" * 100_000, "b" * 100_000])
        seen = set()
        for _ in range(50):
            refresh = asyncio.create_task(refresh_token_file(tmp_path, awaitable(lambda: next(tokens))))
            while not refresh.done():
                seen.add(len(set((tmp_path / "token").read_text())))
                await asyncio.sleep(0)
            await refresh
        return seen

    assert asyncio.run(scenario()) == {1}  # always all a's or all b's


def test_the_token_is_refreshed_at_80_percent_of_its_ttl_until_cancelled(tmp_path):
    (tmp_path / "token").write_text("token-0")

    async def scenario() -> list[str]:
        task = asyncio.create_task(keep_token_fresh(tmp_path, issuer(), ttl=0.25))
        seen = []
        for _ in range(4):
            await asyncio.sleep(0.2)  # one refresh each 0.2 s
            seen.append((tmp_path / "token").read_text())
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
        return seen

    seen = asyncio.run(scenario())
    assert seen[-1] != "token-0" and len(set(seen)) >= 3


def test_refresh_ends_when_the_pods_volume_is_removed(tmp_path):
    directory = tmp_path / "serviceaccount"
    directory.mkdir()

    async def scenario() -> None:
        task = asyncio.create_task(keep_token_fresh(directory, issuer(), ttl=0.05))
        await asyncio.sleep(0.1)
        shutil.rmtree(directory)
        await asyncio.wait_for(task, 1)

    asyncio.run(scenario())
    assert not directory.exists()


def test_a_failed_issue_is_retried(tmp_path):
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("signing key unavailable")
        return "fresh"

    async def scenario() -> None:
        task = asyncio.create_task(keep_token_fresh(tmp_path, awaitable(flaky), ttl=0.1))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if (tmp_path / "token").exists():
                break
        task.cancel()

    asyncio.run(scenario())
    assert (tmp_path / "token").read_text() == "fresh"


def test_one_refresher_per_pod(tmp_path):
    async def scenario() -> None:
        refreshers = TokenRefreshers()
        refreshers.start("uid-1", tmp_path, issuer(), ttl=0.05)
        refreshers.start("uid-1", tmp_path, issuer(), ttl=0.05)  # a new sandbox replaces the task
        assert "uid-1" in refreshers
        await asyncio.sleep(0.1)
        refreshers.stop("uid-1")
        await asyncio.sleep(0)
        assert "uid-1" not in refreshers
        assert (tmp_path / "token").read_text().startswith("token-")

    asyncio.run(scenario())

"""Pod processes started by vfork with a pidfd exit watch behave like asyncio's own subprocesses."""
from __future__ import annotations

import asyncio
import os
import signal

import uvloop

from kubenet.kubelet import spawn


async def _a_container_that_prints_and_exits() -> None:
    proc = await spawn.spawn("sh", "-c", "echo hello; echo oops >&2; exit 3", stdin=spawn.DEVNULL,
                             stdout=spawn.PIPE, stderr=spawn.PIPE, start_new_session=True)
    assert await proc.stdout.readline() == b"hello\n"
    assert await proc.stderr.read() == b"oops\n"
    assert await proc.wait() == 3
    assert proc.returncode == 3


async def _a_container_stopped_by_sigterm() -> None:
    proc = await spawn.spawn("sleep", "30", stdin=spawn.DEVNULL, stdout=spawn.DEVNULL, stderr=spawn.PIPE,
                             start_new_session=True)
    assert proc.returncode is None
    assert os.getpgid(proc.pid) == proc.pid  # its own session and process group, as the kubelet stops it
    os.killpg(proc.pid, signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 5) == -signal.SIGTERM  # asyncio's convention for a signal


def test_exit_code_and_output_on_the_default_loop():
    asyncio.run(_a_container_that_prints_and_exits())
    asyncio.run(_a_container_stopped_by_sigterm())


def test_exit_code_and_output_on_uvloop_as_in_the_supervisor():
    uvloop.run(_a_container_that_prints_and_exits())
    uvloop.run(_a_container_stopped_by_sigterm())

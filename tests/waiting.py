"""Waiting for something outside the test's process to converge: a reply from a server, a line from a child.

Inside one process, wait on what the code exposes (`Cluster.settle()`, `Informer.wait_revision`, an
asyncio.Event, a fake clock). What another process or the kernel does has no event to wait on: these two
helpers ask again until the answer is the one wanted, bounded by a deadline. They are the suite's only polls;
the interval paces the asking, the predicate decides.
"""
from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1,
             what: str = "condition") -> Any:
    """Call `predicate` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


async def eventually(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02,
                     what: str = "condition") -> Any:
    """The same inside an event loop; `predicate` may be a plain or an async function."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while loop.time() < deadline:
        last = predicate()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")

"""Keeping a Pod's projected ServiceAccount token fresh, like the kubelet's token manager: a new token once 80% of
the old one's lifetime has passed (pkg/kubelet/token requiresRefresh), written atomically so that a client in the
Pod never reads a half-written token. The volume directory is bind-mounted into the Pod, so a rename in it shows."""
from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from kubenet.clock import REAL_CLOCK, Clock

log = logging.getLogger(__name__)

TOKEN_TTL_SECONDS = 3607  # the kubelet's default expirationSeconds for kube-api-access-* (the TokenRequest's expirationSeconds)
REFRESH_FRACTION = 0.8
RETRY_SECONDS = 10.0
# The projected volume's defaultMode is 0644, but on a real node only root can enter the volume's directory under
# /var/lib/kubelet/pods; here the files themselves are private (Pod processes run as root, so they still read them).
TOKEN_FILE_MODE = 0o600


async def refresh_token_file(directory: Path, issue: Callable[[], Awaitable[str]], filename: str = "token") -> None:
    """Write a newly issued token to <directory>/<filename>: a temporary file beside it, then a rename."""
    token = await issue()
    await asyncio.to_thread(_write_atomically, Path(directory) / filename, token)


def _write_atomically(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"..{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(temporary, TOKEN_FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


async def keep_token_fresh(directory: Path, issue: Callable[[], Awaitable[str]], ttl: float, filename: str = "token",
                           clock: Clock = REAL_CLOCK) -> None:
    """Refresh the token at 80% of ttl (counted from now: the first token was just written), until cancelled or
    until the volume directory is gone (the Pod was removed). A failed refresh is logged and retried sooner."""
    delay = ttl * REFRESH_FRACTION
    while True:
        await clock.sleep(delay)
        try:
            await refresh_token_file(directory, issue, filename)
            delay = ttl * REFRESH_FRACTION
        except FileNotFoundError:
            log.info("ServiceAccount volume %s is gone: token refresh ends", directory)
            return
        except Exception:
            log.exception("ServiceAccount volume %s: token refresh failed", directory)
            delay = min(RETRY_SECONDS, ttl * (1 - REFRESH_FRACTION) / 4)


class TokenRefreshers:
    """One keep_token_fresh task per Pod UID (or per `<uid>/<volume>`), held so the task is not garbage-collected;
    a new sandbox for the Pod replaces the old task, removing the Pod cancels all of its tasks."""

    def __init__(self, clock: Clock = REAL_CLOCK) -> None:
        self._tasks: dict[str, asyncio.Task] = {}
        self.clock = clock

    def start(self, pod_uid: str, directory: Path, issue: Callable[[], Awaitable[str]], ttl: float = TOKEN_TTL_SECONDS,
              filename: str = "token") -> None:
        self.stop(pod_uid)
        task = asyncio.create_task(keep_token_fresh(directory, issue, ttl, filename, self.clock),
                                   name=f"token-refresh-{pod_uid}")
        self._tasks[pod_uid] = task
        task.add_done_callback(lambda done: self._forget(pod_uid, done))

    def stop(self, pod_uid: str) -> None:
        for key in [k for k in self._tasks if k == pod_uid or k.startswith(pod_uid + "/")]:
            self._tasks.pop(key).cancel()

    def _forget(self, pod_uid: str, task: asyncio.Task) -> None:
        if self._tasks.get(pod_uid) is task:
            del self._tasks[pod_uid]

    def __contains__(self, pod_uid: str) -> bool:
        return any(k == pod_uid or k.startswith(pod_uid + "/") for k in self._tasks)

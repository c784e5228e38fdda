"""Starting Pod processes (pause, containers) without a fork of the whole kubelet.

The supervisor runs on uvloop, whose subprocess_exec forks through libuv: the cost grows with the parent's
memory (measured: ~10-12 ms of blocked event loop per spawn from an 80 MB process, ~2.7 ms from a 5 MB one).
`subprocess.Popen` uses vfork (~1 ms whatever the size). The exit is watched through a pidfd on the event
loop, so no thread or SIGCHLD handler is needed; pipes become StreamReaders as in asyncio's own Process.
"""
from __future__ import annotations

import asyncio
import os
import subprocess

PIPE, STDOUT, DEVNULL = subprocess.PIPE, subprocess.STDOUT, subprocess.DEVNULL
_LIMIT = 2 ** 16  # asyncio.streams' default buffer limit, as create_subprocess_exec uses
# Pod processes get a container runtime's default umask, not the supervisor's private 077 (runc's default is 022).
POD_UMASK = 0o022


def with_pod_umask(argv: list[str]) -> list[str]:
    """argv run under POD_UMASK, for processes started through uvloop's subprocess_exec (which refuses `umask=`):
    a shell sets it and execs the command, so the pid and stdio stay the command's."""
    return ["/bin/sh", "-c", f'umask {POD_UMASK:03o} && exec "$0" "$@"', *argv]


def _pidfd_supported() -> bool:
    try:
        os.close(os.pidfd_open(os.getpid()))
        return True
    except (AttributeError, OSError):  # not Linux, or a kernel before 5.3
        return False


PIDFD = _pidfd_supported()


class Process:
    """The part of asyncio.subprocess.Process the kubelet uses: pid, returncode, stdout/stderr, wait()."""

    def __init__(self, popen: subprocess.Popen, pidfd: int, loop: asyncio.AbstractEventLoop):
        self._popen = popen
        self.pid = popen.pid
        self.returncode: int | None = None
        self.stdout: asyncio.StreamReader | None = None
        self.stderr: asyncio.StreamReader | None = None
        self._exited: asyncio.Future = loop.create_future()
        self._pidfd = pidfd
        self._loop = loop
        loop.add_reader(pidfd, self._on_exit)

    def _on_exit(self) -> None:
        # The pidfd is readable once the process has exited; reap it (Popen turns a signal into -signum,
        # the same code asyncio reports).
        self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        self.returncode = self._popen.wait()
        if not self._exited.done():
            self._exited.set_result(self.returncode)

    async def _connect(self, pipe, loop: asyncio.AbstractEventLoop) -> asyncio.StreamReader:
        reader = asyncio.StreamReader(limit=_LIMIT, loop=loop)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), pipe)
        return reader

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)


async def spawn(*argv: str, stdin=None, stdout=None, stderr=None, env: dict | None = None, cwd: str | None = None,
                start_new_session: bool = False, pass_fds: tuple[int, ...] = ()):
    """Like asyncio.create_subprocess_exec for the arguments the kubelet passes (stdout/stderr may be PIPE)."""
    loop = asyncio.get_running_loop()
    if not PIDFD:
        return await asyncio.create_subprocess_exec(*with_pod_umask(list(argv)), stdin=stdin, stdout=stdout,
                                                    stderr=stderr, env=env, cwd=cwd,
                                                    start_new_session=start_new_session, pass_fds=pass_fds)
    popen = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, env=env, cwd=cwd, bufsize=0,  # noqa: ASYNC220 - vfork is the point (see above)
                             start_new_session=start_new_session, umask=POD_UMASK,
                             pass_fds=pass_fds)
    proc = Process(popen, os.pidfd_open(popen.pid), loop)
    try:
        if popen.stdout is not None:
            proc.stdout = await proc._connect(popen.stdout, loop)
        if popen.stderr is not None:
            proc.stderr = await proc._connect(popen.stderr, loop)
    except BaseException:
        popen.kill()
        raise
    return proc

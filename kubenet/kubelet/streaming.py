"""The kubelet's streaming side: exec processes (pty or pipes); container logs are read by logs.read_logs."""
from __future__ import annotations

import asyncio
import fcntl
import os
import struct
import termios
from collections.abc import AsyncIterator

from kubenet.kubelet.logs import read_logs

__all__ = ["ExecProcess", "StreamError", "read_logs"]  # kubelet.py imports read_logs from here


class StreamError(Exception):
    """A user-facing error (the API server answers it as a 400 BadRequest)."""


class ExecProcess:
    """A process started in a Pod's namespaces for `kubectl exec`, with a pty when tty was asked for."""

    def __init__(self, argv: list[str], env: dict[str, str], tty: bool):
        self.argv = argv
        self.env = env
        self.tty = tty
        self.proc: asyncio.subprocess.Process | None = None
        self.master: int | None = None

    async def start(self) -> None:
        if self.tty:
            master, slave = os.openpty()
            self.master = master
            # `setsid --ctty` makes the pty the session's controlling terminal (job control, ^C), then execs.
            self.proc = await asyncio.create_subprocess_exec(
                "setsid", "--ctty", *self.argv, stdin=slave, stdout=slave, stderr=slave, env=self.env)
            os.close(slave)
            os.set_blocking(master, False)
        else:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=self.env, start_new_session=True)

    def resize(self, width: int, height: int) -> None:
        if self.master is not None:
            fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))

    async def write_stdin(self, data: bytes) -> None:
        if self.master is not None:
            await asyncio.get_running_loop().run_in_executor(None, _write_all, self.master, data)
        elif self.proc.stdin is not None:
            self.proc.stdin.write(data)
            await self.proc.stdin.drain()

    def close_stdin(self) -> None:
        if self.master is not None:
            try:
                os.write(self.master, b"\x04")  # EOF on a terminal is ^D
            except OSError:
                pass
        elif self.proc.stdin is not None:
            self.proc.stdin.close()

    async def read_tty(self) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        while True:
            ready = asyncio.Event()
            loop.add_reader(self.master, ready.set)
            try:
                await ready.wait()
            finally:
                loop.remove_reader(self.master)
            try:
                data = os.read(self.master, 65536)
            except BlockingIOError:
                continue
            except OSError:  # EIO once the last slave fd is closed: the process has exited
                return
            if not data:
                return
            yield data

    async def wait(self) -> int:
        code = await self.proc.wait()
        return code if code >= 0 else 128 - code

    def kill(self) -> None:
        if self.proc and self.proc.returncode is None:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        if self.master is not None:
            os.close(self.master)
            self.master = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            import select
            select.select([], [fd], [], 1.0)
            continue
        view = view[n:]

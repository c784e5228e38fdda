"""The kubelet's streaming side: exec processes (pty or pipes), attach sessions, and the pty plumbing containers
with `tty: true` share with exec; container logs are read by logs.read_logs."""
from __future__ import annotations

import asyncio
import errno
import fcntl
import os
import select
import struct
import termios
import time
from collections.abc import AsyncIterator

from kubenet.kubelet.logs import read_logs
from kubenet.kubelet.spawn import with_pod_umask

__all__ = ["AttachSession", "ExecProcess", "PtyReader", "read_logs"]  # kubelet.py imports read_logs


# --- ptys ---------------------------------------------------------------------------------------------------
def set_window_size(master: int, width: int, height: int) -> None:
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


class PtyReader:
    """A pty master read like a StreamReader (`await read(n)`, b"" at the end): the end is EIO, which the master
    answers once the last slave fd is closed, i.e. the process and everything it started have exited."""

    def __init__(self, master: int):
        self.master = master

    async def read(self, size: int) -> bytes:
        loop = asyncio.get_running_loop()
        while True:
            try:
                return os.read(self.master, size)
            except BlockingIOError:
                pass
            except OSError as exc:
                if exc.errno == errno.EIO:
                    return b""
                raise
            ready = asyncio.Event()
            loop.add_reader(self.master, ready.set)
            try:
                await ready.wait()
            finally:
                loop.remove_reader(self.master)


WRITE_TIMEOUT = 10.0


def write_all(fd: int, data: bytes) -> None:
    """Write all of data to fd (blocking or not); runs in a thread.

    It writes to its own duplicate of fd, so the owner may close fd meanwhile without this thread ever writing
    into whatever file later reuses that number; and it gives up after WRITE_TIMEOUT when nobody reads, so a
    container that ignores its stdin cannot hold executor threads forever."""
    own = os.dup(fd)
    try:
        view = memoryview(data)
        deadline = time.monotonic() + WRITE_TIMEOUT
        while view:
            try:
                n = os.write(own, view)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"stdin not read for {WRITE_TIMEOUT:.0f} s: {len(view)} bytes dropped") \
                        from None
                select.select([], [own], [], 1.0)
                continue
            view = view[n:]
    finally:
        os.close(own)


# --- exec ---------------------------------------------------------------------------------------------------
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
                "setsid", "--ctty", *with_pod_umask(self.argv), stdin=slave, stdout=slave, stderr=slave, env=self.env)
            os.close(slave)
            os.set_blocking(master, False)
        else:
            self.proc = await asyncio.create_subprocess_exec(
                *with_pod_umask(self.argv), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=self.env, start_new_session=True)

    def resize(self, width: int, height: int) -> None:
        if self.master is not None:
            set_window_size(self.master, width, height)

    async def write_stdin(self, data: bytes) -> None:
        if self.master is not None:
            try:
                await asyncio.get_running_loop().run_in_executor(None, write_all, self.master, data)
            except OSError:  # the process has exited, or does not read: its input goes nowhere, as on a tty
                return
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
        reader = PtyReader(self.master)
        while data := await reader.read(65536):
            yield data

    async def output(self) -> AsyncIterator[tuple[int, bytes]]:
        """(channel, bytes) until the process's output ends: 1 stdout (all of it on a tty), 2 stderr."""
        if self.tty:
            async for data in self.read_tty():
                yield 1, data
            return
        chunks: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()

        async def copy(stream, channel):
            try:
                while data := await stream.read(65536):
                    chunks.put_nowait((channel, data))
            finally:
                chunks.put_nowait(None)
        copies = [asyncio.create_task(copy(self.proc.stdout, 1)), asyncio.create_task(copy(self.proc.stderr, 2))]
        try:
            open_streams = len(copies)
            while open_streams:
                chunk = await chunks.get()
                if chunk is None:
                    open_streams -= 1
                else:
                    yield chunk
        finally:
            for task in copies:
                task.cancel()

    async def wait(self) -> int:
        code = await self.proc.wait()
        return code if code >= 0 else 128 - code

    def hang_up(self) -> None:
        """The client went away: the exec'd process goes too."""
        self.kill()

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


# --- attach -------------------------------------------------------------------------------------------------
class AttachSession:
    """One client attached to a running container (`kubectl attach`, `kubectl run -it`): the container's output
    from the moment it attached (stdout on channel 1, stderr on 2; a tty's all on 1) and, when both the container
    (spec.stdin) and the client asked for it, the container's stdin. The container (ContainerProcess) fans its
    output out to every session; with spec.stdinOnce its stdin closes when the first client with stdin leaves."""

    def __init__(self, container, stdin: bool):
        self.container = container
        self.stdin = stdin and container.stdin
        self._output: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        self._attached = True

    # the container's side
    def feed(self, channel: int, data: bytes) -> None:
        self._output.put_nowait((channel, data))

    def end(self) -> None:
        self._output.put_nowait(None)

    # the client's side
    async def output(self) -> AsyncIterator[tuple[int, bytes]]:
        while (chunk := await self._output.get()) is not None:
            yield chunk

    async def write_stdin(self, data: bytes) -> None:
        if self.stdin and self._attached:
            await self.container.write_stdin(data)

    def close_stdin(self) -> None:
        """The client closed its stdin (or left): with stdinOnce, the container's stdin closes too."""
        if self.stdin:
            self.stdin = False
            if self.container.stdin_once:
                self.container.close_stdin()

    def resize(self, width: int, height: int) -> None:
        self.container.resize(width, height)

    async def wait(self) -> int:
        # The kubelet's ServeAttach reports Success whenever the attach ends without an error, whatever the
        # container's exit code (kubectl run reads that from the Pod's status).
        await self.container.wait()
        return 0

    def hang_up(self) -> None:
        if self._attached:
            self._attached = False
            self.container.detach(self)
            self.close_stdin()
            self.end()

    def close(self) -> None:
        self.hang_up()

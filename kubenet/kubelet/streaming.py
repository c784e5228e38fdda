"""The kubelet's streaming side: container logs from the CRI log files, and exec processes (pty or pipes)."""
from __future__ import annotations

import asyncio
import fcntl
import os
import struct
import termios
from collections.abc import AsyncIterator
from pathlib import Path


class StreamError(Exception):
    """A user-facing error (the API server answers it as a 400 BadRequest)."""


def parse_cri_line(line: bytes) -> tuple[bytes, bytes, bool, bytes]:
    """'<ts> <stream> <F|P> <text>' → (timestamp, stream, full line?, text)."""
    parts = line.rstrip(b"\n").split(b" ", 3)
    if len(parts) < 4:
        return b"", b"stdout", True, line.rstrip(b"\n")
    return parts[0], parts[1], parts[2] == b"F", parts[3]


def _render(line: bytes, timestamps: bool) -> bytes:
    ts, _, full, text = parse_cri_line(line)
    out = text + (b"\n" if full else b"")
    return (ts + b" " + out) if timestamps else out


async def read_logs(path: Path, follow: bool, tail_lines: int | None, timestamps: bool, limit_bytes: int | None,
                    still_running) -> AsyncIterator[bytes]:
    """Yield the log's lines; with follow, keep going until the container has exited and the file is drained."""
    sent = 0
    with open(path, "rb") as f:
        lines = f.readlines()
        if tail_lines is not None:
            lines = lines[-tail_lines:] if tail_lines > 0 else []
        for line in lines:
            chunk = _render(line, timestamps)
            if limit_bytes is not None and sent + len(chunk) > limit_bytes:
                yield chunk[:limit_bytes - sent]
                return
            sent += len(chunk)
            yield chunk
        while follow:
            line = f.readline()
            if line:
                yield _render(line, timestamps)
                continue
            if not still_running():
                line = f.readline()
                if not line:
                    return
                yield _render(line, timestamps)
                continue
            await asyncio.sleep(0.1)


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

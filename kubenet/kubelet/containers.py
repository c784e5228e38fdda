"""A container: a host process inside the Pod's namespaces, its log file, its exit, its graceful stop.

A container whose spec has `tty: true` runs on a pty (its stdin, stdout and stderr; `setsid --ctty` makes it the
controlling terminal); the kubelet reads the master into the log (as stream "stdout", as containerd does) and out
to attached clients, which type into it when the spec has `stdin: true`. Without a tty, `stdin: true` gives the
container a stdin pipe; otherwise stdin is /dev/null. Output is fanned out to AttachSessions as it is logged.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from kubenet.api.meta import now_rfc3339
from kubenet.kubelet import spawn
from kubenet.kubelet.images.started import STARTED_FD_ENV
from kubenet.kubelet.logs import ContainerLogWriter, pump_stream
from kubenet.kubelet.streaming import AttachSession, PtyReader, set_window_size, write_all

log = logging.getLogger(__name__)
START_REPORT_TIMEOUT = 5.0  # the longest a reporting program's start may take before it counts as started


@dataclass
class ContainerProcess:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str]
    cwd: str | None = None
    tty: bool = False
    stdin: bool = False
    stdin_once: bool = False
    report_start: bool = False  # the program tells when it is up (kubenet/kubelet/images/started.py)
    container_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: str = ""
    finished_at: str = ""
    exit_code: int | None = None
    proc: spawn.Process | asyncio.subprocess.Process | None = None
    _pumps: list[asyncio.Task] = field(default_factory=list)
    _master: int | None = None  # the pty master (tty containers)
    _stdin_pipe: int | None = None  # the write end of the stdin pipe (stdin without tty)
    _stdin_closed: bool = False
    _open_outputs: int = 0
    _started_w: int | None = None  # the write end of the started pipe, while the spawn needs it
    _sessions: set[AttachSession] = field(default_factory=set)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.exit_code is None

    async def start(self, enter_argv: list[str]) -> None:
        # Like containerd, the log file exists before the process does; stdout and stderr share it.
        writer = await ContainerLogWriter.open(self.log_path)
        started_r = None
        if self.report_start:
            started_r, self._started_w = os.pipe()
        try:
            outputs = await (self._spawn_on_pty(enter_argv) if self.tty else self._spawn_on_pipes(enter_argv))
        except BaseException:
            await writer.close()
            if started_r is not None:
                os.close(started_r)
            raise
        finally:
            if self._started_w is not None:
                os.close(self._started_w)
                self._started_w = None
        self.started_at = now_rfc3339()
        self._open_outputs = len(outputs)
        for _ in outputs:
            writer.add_stream()
        self._pumps = [asyncio.create_task(self._pump(stream, name, channel, writer))
                       for stream, name, channel in outputs]
        if started_r is not None:
            await self._wait_reported(started_r)

    async def _spawn_on_pipes(self, enter_argv: list[str]) -> list[tuple]:
        stdin = spawn.DEVNULL
        if self.stdin:
            stdin, self._stdin_pipe = os.pipe()
        try:
            env, pass_fds = self._spawn_env()
            self.proc = await spawn.spawn(
                *enter_argv, *self.argv, stdin=stdin, stdout=spawn.PIPE, stderr=spawn.PIPE, env=env,
                cwd=self.cwd or "/", start_new_session=True, pass_fds=pass_fds)
        except BaseException:
            self._close_stdin_pipe()
            raise
        finally:
            if self.stdin:
                os.close(stdin)
        return [(self.proc.stdout, b"stdout", 1), (self.proc.stderr, b"stderr", 2)]

    def _spawn_env(self) -> tuple[dict[str, str], tuple[int, ...]]:
        """The environment and inherited fds of the process: the started pipe when the program reports."""
        if self._started_w is None:
            return self.env, ()
        return {**self.env, STARTED_FD_ENV: str(self._started_w)}, (self._started_w,)

    async def _wait_reported(self, started_r: int) -> None:
        """Until the program writes to the started pipe, or the pipe closes (it exited), or the timeout."""
        loop = asyncio.get_running_loop()
        readable = loop.create_future()
        loop.add_reader(started_r, lambda: readable.done() or readable.set_result(None))
        try:
            await asyncio.wait_for(readable, START_REPORT_TIMEOUT)
        except TimeoutError:
            log.warning("container %s did not report its start within %.0fs", self.name, START_REPORT_TIMEOUT)
        except asyncio.CancelledError:
            # The caller never learns of this process: it must not outlive the cancelled start.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            raise
        finally:
            loop.remove_reader(started_r)
            os.close(started_r)

    async def _spawn_on_pty(self, enter_argv: list[str]) -> list[tuple]:
        master, slave = os.openpty()
        try:
            set_window_size(master, 80, 24)  # until an attached client sends its size
            # Not start_new_session: setsid makes the session (its pid stays the group leader stop() signals).
            env, pass_fds = self._spawn_env()
            self.proc = await spawn.spawn(
                "setsid", "--ctty", *enter_argv, *self.argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                cwd=self.cwd or "/", pass_fds=pass_fds)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        self._master = master
        return [(PtyReader(master), b"stdout", 1)]

    async def _pump(self, stream, name: bytes, channel: int, writer: ContainerLogWriter) -> None:
        try:
            await pump_stream(stream, name, writer, on_output=lambda data: self._fan_out(channel, data))
        finally:
            self._open_outputs -= 1
            if self._open_outputs == 0:
                if self._master is not None:
                    os.close(self._master)
                    self._master = None
                for session in list(self._sessions):
                    session.end()
                self._sessions.clear()

    def _fan_out(self, channel: int, data: bytes) -> None:
        for session in self._sessions:
            session.feed(channel, data)

    # --- attach -------------------------------------------------------------------------------------------
    def attach(self, stdin: bool) -> AttachSession:
        """A new client of this container's output (from now on) and, if both ask for it, its stdin."""
        session = AttachSession(self, stdin)
        if self._open_outputs:
            self._sessions.add(session)
        else:
            session.end()  # its output is over already
        return session

    def detach(self, session: AttachSession) -> None:
        self._sessions.discard(session)

    async def write_stdin(self, data: bytes) -> None:
        fd = self._master if self.tty else self._stdin_pipe
        if fd is not None and not self._stdin_closed:
            try:
                await asyncio.to_thread(write_all, fd, data)
            except OSError as exc:  # the container has exited, or closed its stdin
                log.debug("container %s: stdin: %s", self.name, exc)

    def close_stdin(self) -> None:
        """EOF on the container's stdin: ^D on a terminal, the pipe's end otherwise; a later attach gets none."""
        if self._stdin_closed:
            return
        self._stdin_closed = True
        if self._master is not None:
            try:
                os.write(self._master, b"\x04")
            except OSError as exc:
                log.debug("container %s: stdin EOF: %s", self.name, exc)
        self._close_stdin_pipe()

    def _close_stdin_pipe(self) -> None:
        if self._stdin_pipe is not None:
            os.close(self._stdin_pipe)
            self._stdin_pipe = None

    def resize(self, width: int, height: int) -> None:
        if self._master is not None:
            set_window_size(self._master, width, height)

    # --- exit and stop ------------------------------------------------------------------------------------
    async def wait(self) -> int:
        code = await self.proc.wait()
        for result in await asyncio.gather(*self._pumps, return_exceptions=True):
            if isinstance(result, Exception):
                log.error("container %s: log pump failed: %r", self.name, result)
        if self.exit_code is None:
            # A negative code means a signal; the runtime reports 128 + signal like a shell would.
            self.exit_code = code if code >= 0 else 128 - code
            self.finished_at = now_rfc3339()
            self._close_stdin_pipe()
        return self.exit_code

    async def stop(self, grace: float) -> None:
        """SIGTERM the container's process group, SIGKILL after the grace period."""
        if not self.running:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                await asyncio.wait_for(asyncio.shield(self.proc.wait()), max(wait, 0.01))
                break
            except TimeoutError:
                continue
        # The main process is gone; children that ignored SIGTERM must not outlive the container.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

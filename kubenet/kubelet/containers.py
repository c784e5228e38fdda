"""A container: a host process inside the Pod's namespaces, its log file, its exit, its graceful stop."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from kubenet.api.meta import now_rfc3339
from kubenet.kubelet import spawn
from kubenet.kubelet.logs import ContainerLogWriter, pump_stream

log = logging.getLogger(__name__)


@dataclass
class ContainerProcess:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str]
    cwd: str | None = None
    container_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: str = ""
    finished_at: str = ""
    exit_code: int | None = None
    proc: spawn.Process | asyncio.subprocess.Process | None = None
    _pumps: list[asyncio.Task] = field(default_factory=list)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.exit_code is None

    async def start(self, enter_argv: list[str]) -> None:
        # Like containerd, the log file exists before the process does; stdout and stderr share it.
        writer = await ContainerLogWriter.open(self.log_path)
        try:
            self.proc = await spawn.spawn(
                *enter_argv, *self.argv, stdin=spawn.DEVNULL, stdout=spawn.PIPE, stderr=spawn.PIPE, env=self.env,
                cwd=self.cwd or "/", start_new_session=True)
        except BaseException:
            await writer.close()
            raise
        self.started_at = now_rfc3339()
        writer.add_stream()
        writer.add_stream()
        self._pumps = [asyncio.create_task(pump_stream(self.proc.stdout, b"stdout", writer)),
                       asyncio.create_task(pump_stream(self.proc.stderr, b"stderr", writer))]

    async def wait(self) -> int:
        code = await self.proc.wait()
        for result in await asyncio.gather(*self._pumps, return_exceptions=True):
            if isinstance(result, Exception):
                log.error("container %s: log pump failed: %r", self.name, result)
        if self.exit_code is None:
            # A negative code means a signal; the runtime reports 128 + signal like a shell would.
            self.exit_code = code if code >= 0 else 128 - code
            self.finished_at = now_rfc3339()
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

"""A container: a host process inside the Pod's namespaces, its log file, its exit, its graceful stop."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from kubenet.api.meta import now_rfc3339
from kubenet.kubelet import spawn


def cri_timestamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
        # File system calls go to a thread: each costs ~1 ms here, more under load, and would stall every Pod.
        await asyncio.to_thread(self.log_path.parent.mkdir, parents=True, exist_ok=True)
        self.proc = await spawn.spawn(
            *enter_argv, *self.argv, stdin=spawn.DEVNULL, stdout=spawn.PIPE, stderr=spawn.PIPE, env=self.env,
            cwd=self.cwd or "/", start_new_session=True)
        self.started_at = now_rfc3339()
        log = await asyncio.to_thread(open, self.log_path, "ab", buffering=0)
        self._pumps = [asyncio.create_task(self._pump(self.proc.stdout, b"stdout", log)),
                       asyncio.create_task(self._pump(self.proc.stderr, b"stderr", log))]

    @staticmethod
    async def _pump(stream: asyncio.StreamReader, tag: bytes, log) -> None:
        # CRI log format: "<RFC3339Nano> <stream> <F|P> <line>", which `kubectl logs` strips.
        try:
            while True:
                line = await stream.readline()
                if not line:
                    break
                partial = not line.endswith(b"\n")
                text = line.rstrip(b"\n")
                log.write(cri_timestamp().encode() + b" " + tag + (b" P " if partial else b" F ") + text + b"\n")
        finally:
            if tag == b"stderr":
                log.close()

    async def wait(self) -> int:
        code = await self.proc.wait()
        await asyncio.gather(*self._pumps, return_exceptions=True)
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

"""Shared pieces for the image tests (no tests here): run an image's program the way a Pod would, on 127.0.0.1
with free ports, and talk to it over HTTP, UDP and TCP."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Program:
    """A `python -m <module> args...` process with its stdout/stderr captured to files."""

    def __init__(self, module: str, args: list[str], env: dict | None = None, tmp: Path | None = None):
        self.tmp = tmp or Path("/tmp")
        self.stdout_path = self.tmp / f"out-{os.getpid()}-{time.monotonic_ns()}.log"
        self.stderr_path = self.stdout_path.with_suffix(".err")
        with open(self.stdout_path, "wb") as stdout, open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=REPO,
                                         env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                                         stdout=stdout, stderr=stderr)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def wait_tcp(self, port: int, timeout: float = 5.0) -> None:
        def open_now() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"exited {self.proc.returncode}: {self.stderr}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return False
        wait_for(open_now, timeout, interval=0.03, what=f"port {port} to open")

    def wait_output(self, text: str, timeout: float = 5.0, stream: str = "stderr") -> None:
        wait_for(lambda: text in getattr(self, stream), timeout, interval=0.03, what=f"{text!r} in {stream}")

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 5.0) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        for path in (self.stdout_path, self.stderr_path):
            path.unlink(missing_ok=True)


def run(module: str, args: list[str], env: dict | None = None, timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout, check=False)


def http(url: str, method: str = "GET", data: bytes | None = None, headers: dict | None = None,
         timeout: float = 5.0) -> tuple[int, dict, str]:
    """(status, headers, body) also for error statuses."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def udp(port: int, payload: bytes, timeout: float = 3.0) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(payload, ("127.0.0.1", port))
        return sock.recv(2048)

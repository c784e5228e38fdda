"""Helpers the benchmarks share: figures against targets, percentiles, RSS, and sandbox clusters that are
always taken down again (also on failure or Ctrl-C)."""
from __future__ import annotations

import atexit
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import ClassVar

REPO = Path(__file__).resolve().parents[1]


# --- figures --------------------------------------------------------------------------------------------
def figure(label: str, value: float, unit: str, target: float | None = None, higher_is_better: bool = True,
           note: str = "") -> str:
    """One line: the figure, the target and whether it is met. Printed, never asserted."""
    line = f"  {label:<52} {value:10.1f} {unit:<6}"
    if target is not None:
        met = value >= target if higher_is_better else value <= target
        line += f"  target {'≥' if higher_is_better else '≤'} {target:g} {unit}: {'met' if met else 'MISSED'}"
    if note:
        line += f"  ({note})"
    print(line, flush=True)
    return line


def heading(text: str) -> None:
    print(f"\n== {text}", flush=True)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def distribution(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 50), "p90": percentile(values, 90), "p99": percentile(values, 99),
            "max": max(values), "mean": statistics.fmean(values)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique_name(prefix: str = "kb") -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"


# --- processes ------------------------------------------------------------------------------------------
def rss_kb(pid: int) -> int:
    """VmRSS of a process in kB (0 when it is gone or a kernel thread)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_name(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    return " ".join(a.decode(errors="replace") for a in argv if a)[:90] or "?"


def parent_pid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def netns_pids(netns: str) -> list[int]:
    out = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True, timeout=10,
                         check=False).stdout
    return [int(p) for p in out.split()]


def netns_list() -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10,
                         check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


# --- sandbox clusters -----------------------------------------------------------------------------------
class Sandbox:
    """One `kubenet up --sandbox` cluster; every Sandbox made is downed at exit even if the bench fails."""

    made: ClassVar[list[Sandbox]] = []

    def __init__(self, nodes: int, name: str | None = None):
        self.name = name or unique_name()
        self.nodes = nodes
        self.netns = f"kubenet-{self.name}"
        self.kubeconfig = f"/var/lib/kubenet/{self.name}/kubeconfig"
        self.is_up = False
        self.phases: dict[str, float] = {}
        Sandbox.made.append(self)

    def up(self, wait: float = 60) -> float:
        """Seconds from `kubenet up` to the command returning (the cluster is Ready)."""
        self.is_up = True  # before: down also removes what a failed or interrupted `up` left
        t0 = time.perf_counter()
        proc = subprocess.run(["kubenet", "up", "--name", self.name, "--sandbox", "--nodes", str(self.nodes),
                               "--wait", str(wait)], capture_output=True, text=True, timeout=wait + 30,
                              check=False)
        took = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"kubenet up {self.name} failed:\n{proc.stdout}{proc.stderr}")
        # `kubenet up` prints " ✓ <phase> (1.2s)" per phase: keep them to show where the time goes.
        self.phases = {m[1]: float(m[2]) for m in re.finditer(r"✓ (.+?) \((\d+\.\d+)s\)", proc.stdout)}
        return took

    def down(self) -> float:
        t0 = time.perf_counter()
        proc = subprocess.run(["kubenet", "down", "--name", self.name], capture_output=True, text=True, timeout=90,
                              check=False)
        took = time.perf_counter() - t0
        self.is_up = False
        if proc.returncode != 0:
            print(f"  WARNING: kubenet down {self.name}: {proc.stdout}{proc.stderr}", file=sys.stderr)
        return took

    def host(self, *cmd: str, timeout: float = 30, input: str | None = None) -> subprocess.CompletedProcess:
        """Run a command in the cluster's host context (the sandbox netns) with its KUBECONFIG."""
        env = dict(os.environ, KUBECONFIG=self.kubeconfig)
        return subprocess.run(["nsenter", f"--net=/run/netns/{self.netns}", "--", *cmd], capture_output=True,
                              text=True, timeout=timeout, env=env, input=input, check=False)

    def kubectl(self, *args: str, timeout: float = 30, input: str | None = None) -> subprocess.CompletedProcess:
        return self.host("kubectl", "--cache-dir", f"/tmp/{self.name}-kubectl-cache", *args, timeout=timeout,
                         input=input)

    def supervisor_pid(self) -> int:
        try:
            return int(Path(f"/var/lib/kubenet/{self.name}/supervisor.pid").read_text())
        except (OSError, ValueError):
            return 0

    def namespaces(self) -> list[str]:
        """The sandbox netns and every kn-<name>-* (node and Pod) netns."""
        return [ns for ns in netns_list() if ns == self.netns or ns.startswith(f"kn-{self.name}-")]


def down_all() -> None:
    for sandbox in Sandbox.made:
        if sandbox.is_up:
            sandbox.down()
        subprocess.run(["rm", "-rf", f"/tmp/{sandbox.name}-kubectl-cache"], check=False)


def install_cleanup() -> None:
    """Down every Sandbox at exit, and turn SIGTERM/SIGHUP into a normal exit so that happens."""
    atexit.register(down_all)

    def _exit(signum, frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit)


class Deadline:
    """A wall-clock budget: `left()` seconds remain, `expired()` once it is spent."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return self.left() <= 0

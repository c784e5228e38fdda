"""One cgroup per cluster that the supervisor joins at start, so every process it ever starts — pause
processes, containers, exec sessions, and any child they fork or daemonise — is found and ended by
`kubenet down`, even after a crash and even when its netns has lost its name (what container runtimes do).

cgroup v2 (pure or the hybrid `unified` mount) with `cgroup.kill`; on a v1-only host the `pids` hierarchy.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

CANDIDATES = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup/pids"))


def _root() -> Path | None:
    for path in CANDIDATES:
        if (path / "cgroup.procs").exists() and os.access(path, os.W_OK):
            return path
    return None


class ClusterCgroup:
    def __init__(self, cluster: str):
        root = _root()
        self.path = root / f"kubenet-{cluster}" if root else None

    def join(self, pid: int | None = None) -> bool:
        """Put a process (default: this one) in the cluster's cgroup; False where cgroups are not writable."""
        if self.path is None:
            return False
        try:
            self.path.mkdir(exist_ok=True)
            (self.path / "cgroup.procs").write_text(str(pid or os.getpid()))
            return True
        except OSError:
            return False

    def pids(self) -> list[int]:
        if self.path is None or not self.path.exists():
            return []
        found = []
        for procs in self.path.rglob("cgroup.procs"):
            try:
                found += [int(p) for p in procs.read_text().split()]
            except OSError:
                continue
        return found

    def populated(self) -> bool:
        """cgroup v2's own answer: a process that has left cgroup.procs but has not finished exiting (a big one
        freeing its memory, or a zombie nobody has reaped yet) still counts, and the cgroup cannot be removed."""
        try:
            for line in (self.path / "cgroup.events").read_text().splitlines():
                if line.startswith("populated "):
                    return line.split()[1] != "0"
        except OSError:
            pass
        return bool(self.pids())  # the v1 pids hierarchy has no cgroup.events

    def kill_all(self, timeout: float = 10.0) -> list[int]:
        """SIGKILL every process in the cgroup and remove it; returns the pids that would not go ([0] when none
        is left to name but the cgroup stayed populated, so that the caller reports it)."""
        if self.path is None or not self.path.exists():
            return []
        kill_file = self.path / "cgroup.kill"
        deadline = time.monotonic() + timeout
        while True:
            pids = self.pids()
            if not pids and not self.populated():
                break
            if pids:
                self._kill(kill_file, pids)
            if time.monotonic() > deadline:
                return pids or [0]
            time.sleep(0.02)
        # rmdir can still race the last exit (EBUSY): retry until the deadline rather than leave the cgroup behind
        # (what happened after a 5,000-Service cluster, whose supervisor took seconds to free its memory).
        while True:
            try:
                for sub in sorted((p for p in self.path.rglob("*") if p.is_dir()), reverse=True):
                    sub.rmdir()
                self.path.rmdir()
                return []
            except FileNotFoundError:
                return []
            except OSError:
                if time.monotonic() > deadline:
                    return self.pids() or [0]
                time.sleep(0.02)

    @staticmethod
    def _kill(kill_file: Path, pids: list[int]) -> None:
        if kill_file.exists():
            try:
                kill_file.write_text("1")  # the kernel kills the members: no stale pid can be hit
                return
            except OSError:
                pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

"""The kernel layer under cluster, kubelet and proxy: thin wrappers over the kernel tools (`ip`, sysctl, network
namespaces) here, and netns_exec for the iptables/conntrack runs of kube-proxy. Every call raises a KernelError with
the tool's own words. Nothing here knows about Kubernetes objects."""
from __future__ import annotations

import ctypes
import os
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class KernelError(RuntimeError):
    pass


def run(*args: str, netns: str | None = None, check: bool = True, input: str | None = None) -> str:
    cmd = list(args)
    if netns:
        cmd = ["nsenter", f"--net=/run/netns/{netns}", "--"] + cmd
    proc = subprocess.run(cmd, capture_output=True, text=True, input=input, check=False)
    if check and proc.returncode != 0:
        raise KernelError(f"{' '.join(cmd)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def ip(*args: str, netns: str | None = None, check: bool = True) -> str:
    return run("ip", *args, netns=netns, check=check)


def ip_batch(commands: list[str], netns: str | None = None) -> None:
    """Several `ip` commands in one process (much faster than one process each)."""
    if commands:
        run("ip", "-batch", "-", netns=netns, input="\n".join(commands) + "\n")


def netns_exists(name: str) -> bool:
    return Path(f"/run/netns/{name}").exists()


def netns_add(name: str) -> None:
    if not netns_exists(name):
        ip("netns", "add", name)


def netns_delete(name: str) -> None:
    if netns_exists(name):
        ip("netns", "delete", name, check=False)


def netns_list() -> list[str]:
    out = ip("netns", "list", check=False)
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def netns_pids(name: str) -> list[int]:
    out = ip("netns", "pids", name, check=False)
    return [int(p) for p in out.split() if p.isdigit()]


def sysctl(key: str, value: str, netns: str | None = None) -> None:
    """Write a sysctl as seen from netns (net.* sysctls are per network namespace)."""
    path = "/proc/sys/" + key.replace(".", "/")
    if netns is None:
        Path(path).write_text(value)
    else:
        run("sh", "-c", f"echo {value} > {path}", netns=netns)


def link_exists(name: str, netns: str | None = None) -> bool:
    return ip("link", "show", "dev", name, netns=netns, check=False).strip() != ""


def kill_pids(pids: list[int], sig: int = 9) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def call_in_netns(netns: str | None, fn: Callable[[], T]) -> T:
    """Run fn in a thread of its own that has joined netns (setns(2) moves only the calling thread), so the
    caller's netns never changes; sockets fn opens stay in that netns. netns None: fn runs here."""
    if netns is None:
        return fn()

    def run_there() -> T:
        with open(f"/run/netns/{netns}") as handle:
            if _libc().setns(handle.fileno(), CLONE_NEWNET) != 0:
                raise KernelError(f"setns {netns}: {os.strerror(ctypes.get_errno())}")
        return fn()
    with ThreadPoolExecutor(1, thread_name_prefix=f"netns-{netns}") as pool:  # the thread ends with the pool
        return pool.submit(run_there).result()


CLONE_NEWNET = 0x40000000


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)

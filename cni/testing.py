"""Helpers for tests and benchmarks: throw-away `kntc-` namespaces, running plugin binaries, ICMP echo.

Everything made here is named `kntc-...` and lives in namespaces the caller created, never in the
root netns (the project's network safety rule for tests).
"""
from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .netns import run_in_netns

TEST_PREFIX = "kntc-"


def new_netns(kind: str) -> str:
    """Create netns `kntc-<kind>-<rand>` and return its path under /run/netns."""
    name = f"{TEST_PREFIX}{kind}-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    return f"/run/netns/{name}"


def delete_netns(path: str) -> None:
    name = os.path.basename(path)
    if not name.startswith(TEST_PREFIX):
        raise ValueError(f"refusing to delete {name}: not a test namespace")
    subprocess.run(["ip", "netns", "delete", name], capture_output=True, check=False)


def leftover_test_netns() -> list[str]:
    try:
        return sorted(n for n in os.listdir("/run/netns") if n.startswith(TEST_PREFIX))
    except FileNotFoundError:
        return []


@dataclass
class PluginRun:
    code: int
    out: dict[str, Any] | None
    stderr: str
    seconds: float


def exec_plugin(cmd: list[str], command: str, conf: dict[str, Any] | bytes, *, node_netns: str | None = None,
                container_id: str = "", netns: str = "", ifname: str = "eth0",
                extra_env: dict[str, str] | None = None) -> PluginRun:
    """Run a CNI plugin binary like a runtime would, in `node_netns` (via `ip netns exec`-free nsenter)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CNI_COMMAND": command,
           "CNI_PATH": "/usr/lib/cni"}
    if container_id:
        env["CNI_CONTAINERID"] = container_id
    if netns:
        env["CNI_NETNS"] = netns
    if ifname:
        env["CNI_IFNAME"] = ifname
    env.update(extra_env or {})
    data = conf if isinstance(conf, bytes) else json.dumps(conf).encode()

    def go() -> PluginRun:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, input=data, env=env, capture_output=True, check=False)
        took = time.perf_counter() - t0
        out = json.loads(proc.stdout) if proc.stdout.strip() else None
        return PluginRun(proc.returncode, out, proc.stderr.decode(errors="replace"), took)

    # A child forked from a thread that has entered the node netns starts in that netns.
    return run_in_netns(node_netns, go)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(netns: str, address: str, timeout: float = 1.0) -> bool:
    """One ICMP echo from inside `netns` to `address` (like ping -c1 -W1), over a raw socket."""

    def go() -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
            s.settimeout(timeout)
            ident = os.getpid() & 0xFFFF
            body = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"kntc-ping"
            pkt = body[:2] + struct.pack("!H", _checksum(body)) + body[4:]
            s.sendto(pkt, (address, 0))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    data, (src, _port) = s.recvfrom(2048)
                except TimeoutError:
                    return False
                ihl = (data[0] & 0x0F) * 4
                typ, _code, _ck, rid, _seq = struct.unpack_from("!BBHHH", data, ihl)
                if typ == 0 and rid == ident and src == address:
                    return True
            return False

    return run_in_netns(netns, go)

"""`python -m coredns_py` as the DNS Pod runs it: answers on UDP and TCP, forwards, serves /health and /ready,
stays small, and stops cleanly on SIGTERM."""
from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.unit.test_dns_support import FakeUpstream, lab_objects

REPO = Path(__file__).resolve().parents[2]
RSS_LIMIT_KB = 60 * 1024  # the DNS Pod's share of the 150 MB idle cluster budget


@pytest.fixture
def upstream():
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeUpstream()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(5)
    yield fake
    loop.call_soon_threadsafe(fake.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def start(args: list[str]) -> tuple[subprocess.Popen, dict[str, int]]:
    process = subprocess.Popen([sys.executable, "-m", "coredns_py", *args], cwd=REPO,
                               stderr=subprocess.PIPE, text=True)
    ports: dict[str, int] = {}
    deadline = time.monotonic() + 30  # a bound, not a wait: start-up takes well under a second on an idle machine
    while time.monotonic() < deadline and not {"dns", "health"} <= ports.keys():
        line = process.stderr.readline()
        if not line:
            break
        if match := re.search(r"listening on [\d.]+:(\d+) .*upstreams: (.*)", line):
            ports["dns"] = int(match.group(1))
            ports["upstreams"] = match.group(2).strip()
        if match := re.search(r"health on :(\d+)", line):
            ports["health"] = int(match.group(1))
    assert {"dns", "health"} <= ports.keys(), "server did not start"
    return process, ports


def free_port() -> int:
    """A port free for UDP and for TCP: the server listens on both."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def dig(port: int, *args: str) -> str:
    return subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+time=3", "+tries=1", "+short", *args],
                          capture_output=True, text=True, check=False, timeout=15).stdout


def http_get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def rss_kb(pid: int) -> int:
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))


def test_the_dns_pod_process_answers_forwards_reports_health_and_stays_small(tmp_path, upstream):
    objects = tmp_path / "objects.json"
    objects.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": lab_objects()}))
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 10.96.0.10\n")  # a ClusterFirst file would point at ourselves: never used
    process, ports = start(["--objects", str(objects), "--listen", "127.0.0.1:0", "--upstream-resolv", str(resolv),
                            "--upstream", f"127.0.0.1:{upstream.port}", "--health-port", "0"])
    try:
        assert dig(ports["dns"], "web.lab.svc.cluster.local", "+notcp").split() == ["10.96.10.5"]
        assert dig(ports["dns"], "db.lab.svc.cluster.local", "+tcp").split() == ["10.244.1.20", "10.244.2.21"]
        assert dig(ports["dns"], "example.com", "+notcp").split() == ["192.0.2.80"]
        assert http_get(ports["health"], "/health") == (200, "OK")
        assert http_get(ports["health"], "/ready") == (200, "OK")
        assert http_get(ports["health"], "/metrics")[0] == 404
        assert rss_kb(process.pid) < RSS_LIMIT_KB
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0


def test_upstreams_come_from_the_resolv_conf_and_the_server_itself_is_skipped(tmp_path, upstream):
    objects = tmp_path / "objects.json"
    objects.write_text(json.dumps({"kind": "List", "items": lab_objects()}))
    resolv = tmp_path / "resolv.conf"
    # (`host:port` is our extension of resolv.conf(5), so the fake upstream can sit on a free port)
    own_port = free_port()
    resolv.write_text(f"search example.internal\nnameserver 127.0.0.1:{own_port}\n"
                      f"nameserver 127.0.0.1:{upstream.port}\n")
    process, ports = start(["--objects", str(objects), "--listen", f"127.0.0.1:{own_port}",
                            "--upstream-resolv", str(resolv), "--ready-port", "0"])
    try:
        assert ports["dns"] == own_port and ports["upstreams"] == f"127.0.0.1:{upstream.port}"
        assert dig(ports["dns"], "example.com", "+notcp").split() == ["192.0.2.80"]
        assert upstream.questions == [("example.com.", 1, "udp")]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0

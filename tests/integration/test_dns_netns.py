"""Cluster DNS as a Pod sees it: the server on port 53 in a network namespace, a Pod-style resolv.conf
(search path, ndots:5), and nslookup/getent/dig from inside. Upstream is a fake resolver in the same netns."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.unit.test_dns_support import lab_objects
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.root

FAKE_UPSTREAM = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from tests.unit.test_dns_support import FakeUpstream
async def main():
    await FakeUpstream(host="127.0.0.53", port=53).start()
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


def run(*args: str, timeout: float = 15) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=timeout)


@pytest.fixture
def pod_netns(request, tmp_path):
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2")
    name = f"kntd-{uuid.uuid4().hex[:8]}"
    etc = Path("/etc/netns") / name
    processes: list[subprocess.Popen] = []

    def cleanup():
        for process in processes:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
        run("ip", "netns", "del", name)
        shutil.rmtree(etc, ignore_errors=True)

    request.addfinalizer(cleanup)
    assert run("ip", "netns", "add", name).returncode == 0
    run("ip", "-n", name, "link", "set", "lo", "up")
    etc.mkdir(parents=True)
    # kubelet's ClusterFirst file for a Pod in namespace lab (dns.md), pointing at our server on loopback
    (etc / "resolv.conf").write_text("nameserver 127.0.0.1\nsearch lab.svc.cluster.local svc.cluster.local "
                                     "cluster.local\noptions ndots:5\n")
    objects = tmp_path / "objects.json"
    objects.write_text(json.dumps({"kind": "List", "items": lab_objects()}))
    upstream_resolv = tmp_path / "node-resolv.conf"
    # The node's file as the DNS Pod sees it: 127.0.0.1:53 is the server itself (skipped), then the upstream.
    upstream_resolv.write_text("nameserver 127.0.0.1\nnameserver 127.0.0.53\n")

    fake = subprocess.Popen(["ip", "netns", "exec", name, sys.executable, "-c", FAKE_UPSTREAM, str(REPO)],
                            stdout=subprocess.PIPE, text=True)
    processes.append(fake)
    assert fake.stdout.readline().strip() == "ready"
    server = subprocess.Popen(["ip", "netns", "exec", name, sys.executable, "-m", "coredns_py", "--objects",
                               str(objects), "--listen", "127.0.0.1:53", "--upstream-resolv", str(upstream_resolv),
                               "--health-port", "8080"], cwd=REPO, stderr=subprocess.PIPE, text=True)
    processes.append(server)
    log = []
    while not any("health on" in line for line in log):
        line = server.stderr.readline()
        assert line, "".join(log)
        log.append(line)
    return name, "".join(log)


def in_pod(netns: str, *args: str) -> str:
    return run("ip", "netns", "exec", netns, *args).stdout


def test_a_pod_resolves_short_names_through_its_search_path(pod_netns):
    netns, log = pod_netns
    assert "skipping upstream 127.0.0.1:53" in log and "upstreams: 127.0.0.53:53" in log
    assert "Address: 10.96.10.5" in in_pod(netns, "nslookup", "web")
    # glibc tries web.lab.lab.svc.cluster.local (NXDOMAIN) before web.lab.svc.cluster.local
    assert in_pod(netns, "getent", "hosts", "web.lab").split()[0] == "10.96.10.5"
    assert in_pod(netns, "getent", "hosts", "db-0.db").split()[0] == "10.244.1.20"
    assert in_pod(netns, "dig", "+search", "+short", "kube-dns.kube-system").split() == ["10.96.0.10"]


def test_a_pod_reaches_outside_names_through_the_forwarder_over_udp_and_tcp(pod_netns):
    netns, _ = pod_netns
    assert in_pod(netns, "dig", "+short", "+notcp", "example.com").split() == ["192.0.2.80"]
    assert in_pod(netns, "dig", "+short", "+tcp", "example.com").split() == ["192.0.2.80"]


def test_reverse_lookup_and_health_from_inside_the_pod(pod_netns):
    netns, _ = pod_netns
    assert in_pod(netns, "dig", "+short", "-x", "10.96.10.5").split() == ["web.lab.svc.cluster.local."]
    wait_for(lambda: in_pod(netns, "curl", "-s", "http://127.0.0.1:8080/ready") == "OK", timeout=5, what="/ready")

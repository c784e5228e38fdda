"""kube-proxy's iptables mode on a real (namespaced) node.

Topology, all in namespaces named kntp-<rand>-*: a node netns with bridge cni0 (10.244.1.1/24) and eth0
(172.18.0.2) towards a "host" netns (172.18.0.1); two Pod netns running a tiny HTTP server that answers its
own name, and a client Pod netns. Rules only ever go into the node netns.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from kubenet.proxy import hashing
from kubenet.proxy.backend import ProxyConfig
from kubenet.proxy.iptables import JUMP_RULES
from kubenet.proxy.iptables_save import parse_save
from kubenet.proxy.kube_proxy import Proxier
from kubenet.proxy.serviceport import ServicePortName
from tests.unit.test_proxy_objects import endpoint, endpoint_slice, port, service
from tests.waiting import wait_for

pytestmark = [pytest.mark.root, pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")]

NODE_NAME = "kntp-worker"
NODE_IP = "172.18.0.2"
CLUSTER_IP = "10.96.0.50"
NODE_PORT = 30080
WEB = ServicePortName("default", "web", "http", "TCP")
POD_IPS = {"pa": "10.244.1.2", "pb": "10.244.1.3"}
SERVER = """
import http.server, sys
name = sys.argv[1].encode()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(name)))
        self.end_headers()
        self.wfile.write(name)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
"""


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=20)


def in_ns(netns: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return sh("ip", "netns", "exec", netns, *args, check=check)


@dataclass
class Topology:
    node: str
    host: str
    client: str
    pods: dict[str, str]  # pod name -> netns

    def curl(self, netns: str, url: str) -> subprocess.CompletedProcess[str]:
        return in_ns(netns, "curl", "-s", "--max-time", "2", url, check=False)

    def iptables_save(self) -> str:
        return in_ns(self.node, "iptables-save").stdout


@pytest.fixture(scope="module")
def topo() -> Iterator[Topology]:
    tag = secrets.token_hex(3)
    node, host, client = f"kntp-{tag}-node", f"kntp-{tag}-host", f"kntp-{tag}-cl"
    pods = {name: f"kntp-{tag}-{name}" for name in POD_IPS}
    created: list[str] = []
    servers: list[subprocess.Popen[bytes]] = []
    try:
        for netns in (node, host, client, *pods.values()):
            sh("ip", "netns", "add", netns)
            created.append(netns)
            in_ns(netns, "ip", "link", "set", "lo", "up")
        in_ns(node, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        in_ns(node, "ip", "link", "add", "cni0", "type", "bridge")
        in_ns(node, "ip", "addr", "add", "10.244.1.1/24", "dev", "cni0")
        in_ns(node, "ip", "link", "set", "cni0", "up")
        # br_netfilter must be loaded on the host (it is where kubenet runs); without it this sysctl is missing.
        in_ns(node, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1")
        # The node's uplink: eth0 in the node, a plain veth end in the "host".
        in_ns(node, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "uplink", "netns", host)
        in_ns(node, "ip", "addr", "add", f"{NODE_IP}/16", "dev", "eth0")
        in_ns(node, "ip", "link", "set", "eth0", "up")
        in_ns(host, "ip", "addr", "add", "172.18.0.1/16", "dev", "uplink")
        in_ns(host, "ip", "link", "set", "uplink", "up")
        in_ns(host, "ip", "route", "add", "10.244.0.0/16", "via", NODE_IP)
        in_ns(node, "ip", "route", "add", "default", "via", "172.18.0.1")
        for i, (name, netns) in enumerate({**pods, "cl": client}.items()):
            ip = POD_IPS.get(name, "10.244.1.4")
            veth = f"kntp{tag}{i}"
            in_ns(node, "ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns)
            in_ns(node, "ip", "link", "set", veth, "master", "cni0", "up")
            # A Pod reaching itself through its Service comes back out of the same bridge port.
            in_ns(node, "ip", "link", "set", veth, "type", "bridge_slave", "hairpin", "on")
            in_ns(netns, "ip", "addr", "add", f"{ip}/24", "dev", "eth0")
            in_ns(netns, "ip", "link", "set", "eth0", "up")
            in_ns(netns, "ip", "route", "add", "default", "via", "10.244.1.1")
        for name, netns in pods.items():
            servers.append(subprocess.Popen(["ip", "netns", "exec", netns, sys.executable, "-c", SERVER, name]))
        for name, netns in pods.items():
            wait_for(lambda netns=netns, name=name: in_ns(netns, "curl", "-s", "--max-time", "1",
                                                          "http://127.0.0.1:8080/", check=False).stdout == name,
                     timeout=10, interval=0.05, what=f"the HTTP server in {name}")
        yield Topology(node, host, client, pods)
    finally:
        for proc in servers:
            proc.kill()
            proc.wait(timeout=5)
        for netns in reversed(created):
            sh("ip", "netns", "del", netns, check=False)


def web_service() -> dict:
    return service("default", "web", CLUSTER_IP, [{**port("http", 80, node_port=NODE_PORT), "targetPort": 8080}],
                   type="NodePort")


def web_slice(*ips: str) -> dict:
    return endpoint_slice("default", "web", [endpoint(ip, node=NODE_NAME) for ip in ips], [port("http", 8080)])


@pytest.fixture
def proxier(topo: Topology) -> Iterator[Proxier]:
    p = Proxier(ProxyConfig(NODE_NAME, (NODE_IP,), "10.244.0.0/16", topo.node))
    try:
        yield p
    finally:
        p.cleanup()
        in_ns(topo.node, "conntrack", "-F", check=False)


def answers(topo: Topology, netns: str, url: str, tries: int = 8) -> set[str]:
    return {topo.curl(netns, url).stdout for _ in range(tries)}


def test_service_reaches_both_pods_and_kernel_shows_kube_proxy_rules(topo: Topology, proxier: Proxier):
    proxier.on_service("ADDED", web_service())
    proxier.on_endpoint_slice("ADDED", web_slice(*POD_IPS.values()))
    proxier.sync()
    assert proxier.last_result is not None and proxier.last_result.full

    saved = topo.iptables_save()
    svc, ext = hashing.service_chain(WEB), hashing.external_chain(WEB)
    sep_a = hashing.endpoint_chain(WEB, "10.244.1.2:8080")
    # What the kernel prints back: /32, reordered matches, 11-decimal probability, --set-xmark.
    for line in (
        (f'-A KUBE-SERVICES -d {CLUSTER_IP}/32 -p tcp -m comment --comment "default/web:http cluster IP" '
        f"-m tcp --dport 80 -j {svc}"),
        (f'-A {svc} ! -s 10.244.0.0/16 -d {CLUSTER_IP}/32 -p tcp -m comment --comment "default/web:http cluster IP" '
        "-m tcp --dport 80 -j KUBE-MARK-MASQ"),
        (f'-A {svc} -m comment --comment "default/web:http -> 10.244.1.2:8080" -m statistic --mode random '
        f"--probability 0.50000000000 -j {sep_a}"),
        f'-A {sep_a} -s 10.244.1.2/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ',
        f'-A {sep_a} -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.2:8080',
        f'-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport {NODE_PORT} -j {ext}',
        "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
        "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
        ('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE '
        "--random-fully"),
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        ':KUBE-PROXY-CANARY - [0:0]',
    ):
        assert line in saved.splitlines(), f"{line!r} not in iptables-save output:\n{saved}"

    pods = set(POD_IPS)
    assert answers(topo, topo.client, f"http://{CLUSTER_IP}/", tries=12) == pods  # random pick reaches both
    assert answers(topo, topo.host, f"http://{NODE_IP}:{NODE_PORT}/") <= pods
    assert topo.curl(topo.host, f"http://{NODE_IP}:{NODE_PORT}/").stdout in pods
    # A Pod reaching itself through its own Service (hairpin + masquerade).
    assert topo.curl(topo.pods["pa"], f"http://{CLUSTER_IP}/").stdout in pods

    # A second full sync does not duplicate the jumps from the built-in chains.
    proxier.backend.need_full_sync = True
    proxier.sync()
    saved_lines = topo.iptables_save().splitlines()
    for jump in JUMP_RULES:
        assert saved_lines.count(f"-A {jump.src_chain} {jump.spec}") == 1, jump


def test_service_without_endpoints_refuses_connections_fast(topo: Topology, proxier: Proxier):
    proxier.on_service("ADDED", web_service())
    proxier.on_endpoint_slice("ADDED", web_slice(*POD_IPS.values()))
    proxier.sync()
    proxier.on_endpoint_slice("DELETED", web_slice())
    proxier.sync()
    saved = topo.iptables_save()
    assert '--comment "default/web:http has no endpoints"' in saved
    assert hashing.service_chain(WEB) not in saved  # stale chains were deleted
    start = time.monotonic()
    result = topo.curl(topo.client, f"http://{CLUSTER_IP}/")
    assert result.returncode == 7  # "Failed to connect": REJECT answers at once, no timeout
    assert time.monotonic() - start < 1.5


def test_partial_sync_touches_only_the_changed_service(topo: Topology, proxier: Proxier):
    other = ServicePortName("default", "other", "http", "TCP")
    proxier.on_service("ADDED", web_service())
    proxier.on_endpoint_slice("ADDED", web_slice(*POD_IPS.values()))
    proxier.on_service("ADDED", service("default", "other", "10.96.0.51", [port("http", 80)]))
    proxier.on_endpoint_slice("ADDED", endpoint_slice("default", "other", [endpoint("10.244.1.3")],
                                                      [port("http", 8080)]))
    proxier.sync()
    proxier.on_endpoint_slice("MODIFIED", web_slice("10.244.1.2"))
    proxier.sync()
    result = proxier.last_result
    assert result is not None and not result.full
    declared = set().union(*(t.chains for t in parse_save(result.text).values()))
    web_chains = {hashing.service_chain(WEB), hashing.external_chain(WEB),
                  hashing.endpoint_chain(WEB, "10.244.1.2:8080"), hashing.endpoint_chain(WEB, "10.244.1.3:8080")}
    assert {c for c in declared if hashing.is_service_chain(c)} == web_chains
    assert result.deleted_chains == [hashing.endpoint_chain(WEB, "10.244.1.3:8080")]
    saved = topo.iptables_save()
    assert f":{hashing.service_chain(other)}" in saved  # untouched, still there and still used
    assert topo.curl(topo.client, "http://10.96.0.51/").stdout == "pb"
    assert answers(topo, topo.client, f"http://{CLUSTER_IP}/", tries=4) == {"pa"}


def test_lost_canary_forces_a_full_sync(topo: Topology, proxier: Proxier):
    proxier.on_service("ADDED", web_service())
    proxier.sync()
    proxier.sync()
    assert proxier.last_result is not None and not proxier.last_result.full
    in_ns(topo.node, "iptables", "-t", "mangle", "-X", "KUBE-PROXY-CANARY")
    proxier.sync()
    assert proxier.last_result.full
    assert ":KUBE-PROXY-CANARY" in in_ns(topo.node, "iptables-save", "-t", "mangle").stdout


def test_cleanup_leaves_no_kube_chains_or_jumps(topo: Topology, proxier: Proxier):
    proxier.on_service("ADDED", web_service())
    proxier.on_endpoint_slice("ADDED", web_slice(*POD_IPS.values()))
    proxier.sync()
    assert "KUBE-SEP-" in topo.iptables_save()
    proxier.cleanup()
    assert "KUBE-" not in topo.iptables_save()
    assert topo.curl(topo.client, f"http://{CLUSTER_IP}/").returncode != 0


def test_udp_flows_to_a_removed_endpoint_are_deleted(topo: Topology, proxier: Proxier):
    dns = ServicePortName("default", "dns", "dns", "UDP")
    proxier.on_service("ADDED", service("default", "dns", "10.96.0.53", [port("dns", 53, "UDP")]))
    dns_slice = endpoint_slice("default", "dns", [endpoint("10.244.1.2")], [port("dns", 5353, "UDP")])
    proxier.on_endpoint_slice("ADDED", dns_slice)
    proxier.sync()
    send = "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'q', ('10.96.0.53', 53))"
    in_ns(topo.client, sys.executable, "-c", send)
    flows = in_ns(topo.node, "conntrack", "-L", "-p", "udp", "--orig-dst", "10.96.0.53").stdout
    assert "src=10.244.1.2" in flows  # DNATed to the first endpoint
    dns_slice["endpoints"] = [endpoint("10.244.1.3")]
    proxier.on_endpoint_slice("MODIFIED", dns_slice)
    proxier.sync()
    assert dns in proxier.state.snapshot(reset_changes=False).services
    flows = in_ns(topo.node, "conntrack", "-L", "-p", "udp", "--orig-dst", "10.96.0.53").stdout
    assert "src=10.244.1.2" not in flows

"""Cluster DNS throughput and latency on loopback: `python bench/dns_bench.py [--seconds 4]`.

Starts `python -m coredns_py` on 127.0.0.1 with a snapshot of a small cluster (no API server, no upstream:
only cluster names are asked, so nothing leaves the machine), then loads it with dnsperf (apt package
dnsperf) when installed, else with a bounded asyncio load generator. Also prints the miss path (parse +
zone lookup + pack, no cache) measured in-process, and the server's RSS. Bounded to about 10 s.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dnslib import DNSRecord

QUERIES = [  # what Pods ask most: search-path candidates (hits and NXDOMAIN/NODATA), SRV, PTR
    ("web.lab.svc.cluster.local", "A"), ("web.lab.svc.cluster.local", "AAAA"),
    ("db.lab.svc.cluster.local", "A"), ("db-0.db.lab.svc.cluster.local", "A"),
    ("_http._tcp.web.lab.svc.cluster.local", "SRV"), ("kube-dns.kube-system.svc.cluster.local", "A"),
    ("web.lab.lab.svc.cluster.local", "A"), ("nope.lab.svc.cluster.local", "A"),
    ("5.10.96.10.in-addr.arpa", "PTR"), ("10-244-1-10.lab.pod.cluster.local", "A"),
]


def cluster_objects(services: int) -> list[dict]:
    from tests.unit.test_dns_support import endpoint, endpoint_slice, lab_objects, service

    objects = lab_objects()
    for i in range(services):  # filler, so lookups run against a zone of realistic size
        objects.append(service("lab", f"svc{i}", f"10.96.{20 + i // 250}.{i % 250 + 1}",
                               [{"name": "http", "port": 80, "protocol": "TCP"}]))
        objects.append(endpoint_slice("lab", f"svc{i}", [endpoint(f"10.244.{3 + i // 250}.{i % 250 + 1}")],
                                      [{"name": "http", "port": 8080, "protocol": "TCP"}]))
    return objects


def start_server(objects_path: str) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen([sys.executable, "-m", "coredns_py", "--objects", objects_path, "--listen",
                                "127.0.0.1:0", "--upstream-resolv", "/nonexistent", "--log-level", "WARNING"],
                               cwd=REPO, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    # WARNING level hides the "listening" line; find the port from the process's sockets instead.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        out = subprocess.run(["ss", "-Hulnp"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if f"pid={process.pid}," in line:
                return process, int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not start")


def run_dnsperf(port: int, seconds: float) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as data:
        data.write("".join(f"{name} {qtype}\n" for name, qtype in QUERIES))
    out = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", data.name, "-l", str(seconds),
                          "-c", "4", "-q", "64"], capture_output=True, text=True, check=False, timeout=seconds + 10).stdout
    os.unlink(data.name)
    figures = {}
    for label, key in (("Queries per second", "qps"), ("Average Latency \\(s\\)", "latency_avg_s"),
                       ("Queries completed", "completed"), ("Queries lost", "lost")):
        if match := re.search(label + r":\s+([\d.]+)", out):
            figures[key] = float(match.group(1))
    return figures


async def own_load(port: int, seconds: float, outstanding: int = 64) -> dict[str, float]:
    """A bounded closed-loop generator: `outstanding` queries in flight, a new one per answer."""
    packets = [DNSRecord.question(name, qtype).pack() for name, qtype in QUERIES]
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    sent: dict[int, float] = {}
    next_id = [0]
    stop_at = loop.time() + seconds

    class Client(asyncio.DatagramProtocol):
        def connection_made(self, transport):
            self.transport = transport
            for _ in range(outstanding):
                self.send()

        def send(self):
            query_id = next_id[0] = (next_id[0] + 1) & 0xFFFF
            packet = packets[query_id % len(packets)]
            sent[query_id] = time.perf_counter()
            self.transport.sendto(query_id.to_bytes(2, "big") + packet[2:])

        def datagram_received(self, data, addr):
            started = sent.pop(int.from_bytes(data[:2], "big"), None)
            if started is not None:
                latencies.append(time.perf_counter() - started)
            if loop.time() < stop_at:
                self.send()

    transport, _ = await loop.create_datagram_endpoint(Client, remote_addr=("127.0.0.1", port))
    await asyncio.sleep(seconds)
    transport.close()
    return {"qps": len(latencies) / seconds, "latency_avg_s": statistics.fmean(latencies),
            "latency_p99_s": sorted(latencies)[int(len(latencies) * 0.99)], "completed": len(latencies)}


def miss_path(objects: list[dict], seconds: float) -> dict[str, float]:
    """Queries/s of the slow path alone: parse, look up in the zone, pack (the cache cleared every time)."""
    from coredns_py.records import KubernetesPlugin
    from coredns_py.server import DNSServer
    from coredns_py.zone import ClusterZone

    zone = ClusterZone()
    for obj in objects:
        {"Namespace": zone.on_namespace, "Service": zone.on_service,
         "EndpointSlice": zone.on_endpoint_slice}[obj["kind"]]("ADDED", obj)
    zone.mark_synced()
    server = DNSServer(KubernetesPlugin(zone), "127.0.0.1", 0)
    packets = [DNSRecord.question(name, qtype).pack() for name, qtype in QUERIES]

    async def loop() -> int:
        count, stop_at = 0, time.perf_counter() + seconds
        while time.perf_counter() < stop_at:
            for packet in packets:
                await server.handle(packet, "udp")
                server.cache.clear()
            count += len(packets)
        return count

    return {"qps": asyncio.run(loop()) / seconds}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0, help="load duration (the whole run stays under 10 s)")
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--own", action="store_true", help="use the built-in load generator even if dnsperf exists")
    args = parser.parse_args()
    seconds = min(args.seconds, 6.0)
    objects = cluster_objects(args.services)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"kind": "List", "items": objects}, handle)
    process, port = start_server(handle.name)
    try:
        rss_idle = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{process.pid}/status").read_text()).group(1))
        tool = "dnsperf" if shutil.which("dnsperf") and not args.own else "asyncio generator"
        figures = run_dnsperf(port, seconds) if tool == "dnsperf" else asyncio.run(own_load(port, seconds))
        rss_loaded = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{process.pid}/status").read_text()).group(1))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(5)
        os.unlink(handle.name)
    print(f"dns_bench: {len(objects)} objects ({args.services} filler services), {len(QUERIES)} distinct "
          f"cluster questions, {tool}, {seconds:g} s on 127.0.0.1")
    print(f"  cached path : {figures.get('qps', 0):,.0f} queries/s, mean latency "
          f"{figures.get('latency_avg_s', 0) * 1000:.3f} ms"
          + (f", p99 {figures['latency_p99_s'] * 1000:.3f} ms" if "latency_p99_s" in figures else "")
          + (f", lost {figures['lost']:.0f}" if "lost" in figures else ""))
    print(f"  miss path   : {miss_path(objects, 1.0)['qps']:,.0f} queries/s (in-process parse+lookup+pack, one core)")
    print(f"  server RSS  : {rss_idle / 1024:.1f} MB idle, {rss_loaded / 1024:.1f} MB after load")
    return 0


if __name__ == "__main__":
    sys.exit(main())

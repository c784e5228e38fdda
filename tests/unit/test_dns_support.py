"""Shared pieces for the DNS tests (no tests here): a small cluster, a server on 127.0.0.1 in its own
event-loop thread, and a fake upstream resolver on 127.0.0.1 so forwarding never leaves the machine."""
from __future__ import annotations

import asyncio
import socket
import struct
import subprocess
import threading
from collections.abc import Callable
from typing import Any

from dnslib import QTYPE, RCODE, RR, SOA, A, DNSRecord

from coredns_py.chain import Handler
from coredns_py.forward import ForwardCache, ForwardPlugin, Upstream
from coredns_py.records import KubernetesPlugin
from coredns_py.server import DNSServer
from coredns_py.zone import ClusterZone
from kubenet.clock import REAL_CLOCK, Clock

LAB = "lab.svc.cluster.local."


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def service(ns: str, name: str, cluster_ip: str | list[str] | None, ports: list[dict] | None = None,
            **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ports": ports or []}
    if isinstance(cluster_ip, list):
        body["clusterIP"], body["clusterIPs"] = cluster_ip[0], cluster_ip
    elif cluster_ip is not None:
        body["clusterIP"] = cluster_ip
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": ns, "name": name}, "spec": body}


def endpoint(address: str, ready: bool = True, hostname: str | None = None, terminating: bool = False) -> dict:
    item: dict[str, Any] = {"addresses": [address], "conditions": {"ready": ready, "terminating": terminating}}
    if hostname:
        item["hostname"] = hostname
    return item


def endpoint_slice(ns: str, service_name: str, endpoints: list[dict], ports: list[dict],
                   name: str | None = None, address_type: str = "IPv4") -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"namespace": ns, "name": name or f"{service_name}-abcde",
                     "labels": {"kubernetes.io/service-name": service_name}},
        "addressType": address_type, "endpoints": endpoints, "ports": ports,
    }


def lab_objects() -> list[dict[str, Any]]:
    """The cluster most tests look at: namespace `lab` with one of each kind of service."""
    http = [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]
    return [
        namespace("default"), namespace("kube-system"), namespace("lab"),
        service("kube-system", "kube-dns", "10.96.0.10",
                [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]),
        service("lab", "web", "10.96.10.5", http + [{"name": "metrics", "port": 9000, "protocol": "TCP"}]),
        endpoint_slice("lab", "web", [endpoint("10.244.1.10"), endpoint("10.244.2.11"),
                                      endpoint("10.244.2.12", ready=False)],
                       [{"name": "http", "port": 8080, "protocol": "TCP"},
                        {"name": "metrics", "port": 9000, "protocol": "TCP"}]),
        service("lab", "plain", "10.96.10.7", [{"port": 8080, "protocol": "TCP"}]),  # one unnamed port
        service("lab", "db", "None", [{"name": "pg", "port": 5432, "protocol": "TCP"}]),
        endpoint_slice("lab", "db", [endpoint("10.244.1.20", hostname="db-0"),
                                     endpoint("10.244.2.21", hostname="db-1"),
                                     endpoint("10.244.2.22", hostname="db-2", ready=False),
                                     endpoint("10.244.1.23", terminating=True, ready=False)],
                       [{"name": "pg", "port": 5432, "protocol": "TCP"}]),
        service("lab", "peers", "None", [{"name": "gossip", "port": 7946, "protocol": "UDP"}],
                publishNotReadyAddresses=True),
        endpoint_slice("lab", "peers", [endpoint("10.244.1.30", ready=False)],
                       [{"name": "gossip", "port": 7946, "protocol": "UDP"}]),
        service("lab", "empty", "None", []),
        service("lab", "v6", "None", [{"name": "http", "port": 80, "protocol": "TCP"}], ipFamilies=["IPv6"]),
        endpoint_slice("lab", "v6", [endpoint("fd00:10:244:1::5")], [{"name": "http", "port": 80, "protocol": "TCP"}],
                       address_type="IPv6"),
        service("lab", "dual", ["10.96.10.6", "fd00:10:96::6"], http, ipFamilies=["IPv4", "IPv6"]),
        service("lab", "alias", None, [], type="ExternalName", externalName="web.lab.svc.cluster.local"),
        service("lab", "outside", None, [], type="ExternalName", externalName="example.com"),
    ]


def make_zone(objects: list[dict[str, Any]] | None = None, synced: bool = True,
              clock: Clock = REAL_CLOCK) -> ClusterZone:
    zone = ClusterZone(clock=clock)
    methods = {"Namespace": zone.on_namespace, "Service": zone.on_service, "EndpointSlice": zone.on_endpoint_slice}
    for obj in lab_objects() if objects is None else objects:
        methods[obj["kind"]]("ADDED", obj)
    if synced:
        zone.mark_synced()
    return zone


class FakeUpstream:
    """A resolver on 127.0.0.1 (UDP+TCP, same port) with a fixed table; counts the questions it gets."""

    def __init__(self, records: dict[tuple[str, int], list[RR]] | None = None, silent: bool = False,
                 truncate_udp: bool = False, host: str = "127.0.0.1", port: int = 0) -> None:
        self.records = records if records is not None else {
            ("example.com.", QTYPE.A): [RR("example.com.", QTYPE.A, rdata=A("192.0.2.80"), ttl=300)],
        }
        self.silent = silent
        self.truncate_udp = truncate_udp
        self.questions: list[tuple[str, int, str]] = []
        self.host = host
        self.port = port

    def answer(self, data: bytes, transport: str) -> bytes | None:
        query = DNSRecord.parse(data)
        name = str(query.q.qname).lower()
        self.questions.append((name, query.q.qtype, transport))
        if self.silent:
            return None
        reply = query.reply(ra=1)
        records = self.records.get((name, query.q.qtype))
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            reply.add_auth(RR("com.", QTYPE.SOA, ttl=900,
                              rdata=SOA("a.gtld.example.", "nstld.example.", (1, 1800, 900, 604800, 60))))
        elif transport == "udp" and self.truncate_udp:
            reply.header.tc = 1
        else:
            for record in records:
                reply.add_answer(record)
        return reply.pack()

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        upstream = self

        class UDP(asyncio.DatagramProtocol):
            def connection_made(self, transport):
                self.transport = transport

            def datagram_received(self, data, addr):
                answer = upstream.answer(data, "udp")
                if answer is not None:
                    self.transport.sendto(answer, addr)

        async def tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            answer = upstream.answer(await reader.readexactly(length), "tcp")
            if answer is not None:
                writer.write(struct.pack("!H", len(answer)) + answer)
                await writer.drain()
            writer.close()

        while True:
            transport, _ = await loop.create_datagram_endpoint(UDP, local_addr=(self.host, self.port))
            port = transport.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(tcp, self.host, port)
            except OSError:
                transport.close()
                if self.port:
                    raise
                continue
            self._udp, self.port = transport, port
            return port

    def close(self) -> None:
        self._udp.close()
        self._tcp.close()


class RunningServer:
    """The chain (kubernetes → forward to `upstreams`) behind a DNSServer on 127.0.0.1:<random>, in a thread
    with its own event loop, so tests can use blocking clients (dig, dnslib) against it."""

    def __init__(self, zone: ClusterZone, upstreams: tuple[FakeUpstream, ...] | list[FakeUpstream] = (), forward_timeout: float = 2.0,
                 attempt_timeout: float = 1.0, handler: Handler | None = None, clock: Clock = REAL_CLOCK) -> None:
        self.zone = zone
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fakes = list(upstreams)
        ports = [self.run_async(u.start()) for u in self.fakes]
        self.forward = ForwardPlugin([Upstream("127.0.0.1", p) for p in ports], timeout=forward_timeout,
                                     attempt_timeout=attempt_timeout, cache=ForwardCache(clock=clock))
        self.server = DNSServer(handler or KubernetesPlugin(zone, self.forward), "127.0.0.1", 0)
        zone.add_listener(self.server.cache.clear)
        self.port = self.run_async(self.server.start())

    def run_async(self, coroutine) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run fn in the server's loop thread (zone events come from there in the real process)."""

        async def wrapper():
            return fn()

        return self.run_async(wrapper())

    def ask(self, name: str, qtype: str = "A", tcp: bool = False, edns: int | None = None,
            query_id: int | None = None) -> DNSRecord:
        query = DNSRecord.question(name, qtype)
        if query_id is not None:
            query.header.id = query_id
        if edns is not None:
            from dnslib import EDNS0

            query.add_ar(EDNS0(udp_len=edns))
        return DNSRecord.parse(self.exchange(query.pack(), tcp=tcp))

    def exchange(self, packet: bytes, tcp: bool = False, timeout: float = 3.0) -> bytes:
        if tcp:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as conn:
                conn.sendall(struct.pack("!H", len(packet)) + packet)
                length = struct.unpack("!H", _recv_exactly(conn, 2))[0]
                return _recv_exactly(conn, length)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.sendto(packet, ("127.0.0.1", self.port))
            return sock.recv(65535)

    def dig(self, *args: str) -> str:
        result = subprocess.run(["dig", "@127.0.0.1", "-p", str(self.port), "+time=3", "+tries=1", *args],
                                capture_output=True, text=True, check=False, timeout=15)
        return result.stdout

    def stop(self) -> None:
        self.run_async(self.server.close())
        self.call(self.forward.close)
        for fake in self.fakes:
            self.call(fake.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def _recv_exactly(conn: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed early")
        data += chunk
    return data


def answers(reply: DNSRecord, qtype: str | None = None) -> list[str]:
    return sorted(str(r.rdata) for r in reply.rr if qtype is None or QTYPE[r.rtype] == qtype)

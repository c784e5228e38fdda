"""ForwardPlugin: names outside the cluster zones go to the node's upstream resolvers, with a TTL cache.

This is CoreDNS's `forward . /etc/resolv.conf` plus `cache`: upstreams come from a resolv.conf (in the DNS
Pod that is the node's file, dnsPolicy Default), nameservers that are this server itself are skipped so a
query can never loop back, and a query that no upstream answers in time gets SERVFAIL.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import socket
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dnslib import EDNS0, QTYPE, RCODE, RR, DNSQuestion, DNSRecord

from coredns_py.chain import Reply, Request
from kubenet.clock import REAL_CLOCK, Clock

log = logging.getLogger(__name__)

UPSTREAM_UDP_SIZE = 1232  # the DNS flag day 2020 default: no IP fragmentation on the way back


@dataclass(frozen=True)
class Upstream:
    host: str
    port: int = 53

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class UpstreamError(Exception):
    """An upstream did not give a usable answer (timeout, bad reply, connection refused)."""


def parse_upstream(text: str) -> Upstream:
    """`1.2.3.4`, `1.2.3.4:5353`, `[::1]:5353` or `::1` -> Upstream."""
    text = text.strip()
    if text.startswith("["):
        host, _, port = text[1:].partition("]")
        return Upstream(host, int(port.lstrip(":") or 53))
    if text.count(":") == 1:
        host, port = text.split(":")
        return Upstream(host, int(port))
    return Upstream(text)


def read_resolv_conf(path: str) -> list[Upstream]:
    """The `nameserver` lines of a resolv.conf (resolv.conf(5)); a missing file gives no upstreams."""
    upstreams = []
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        log.warning("upstream resolv.conf %s does not exist: nothing will be forwarded", path)
        return []
    for line in lines:
        fields = line.split("#", 1)[0].split(";", 1)[0].split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            try:
                upstreams.append(parse_upstream(fields[1].split("%", 1)[0]))
            except ValueError:
                log.warning("ignoring nameserver %r in %s", fields[1], path)
    return upstreams


def is_local_address(host: str) -> bool:
    """True if `host` is an address of this network namespace (binding to it succeeds)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((host, 0))
        except OSError:
            return False
    return True


def without_self(upstreams: Iterable[Upstream], listen_host: str, listen_port: int,
                 cluster_dns_ips: Iterable[str] = ()) -> list[Upstream]:
    """Drop the nameservers that are this server: its own listen address (any local address when it listens
    on a wildcard) and the cluster DNS service IPs, which a ClusterFirst resolv.conf would name."""
    wildcard = listen_host in ("0.0.0.0", "::", "")
    own_ips = {str(ipaddress.ip_address(ip)) for ip in cluster_dns_ips}
    kept = []
    for upstream in upstreams:
        is_self = upstream.host in own_ips or (
            upstream.port == listen_port
            and (upstream.host == listen_host or (wildcard and is_local_address(upstream.host)))
        )
        if is_self:
            log.warning("skipping upstream %s: it is this DNS server", upstream)
        else:
            kept.append(upstream)
    return kept


class _UDPClient(asyncio.DatagramProtocol):
    """One connected UDP socket per upstream; replies are matched to queries by ID and question."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: dict[int, tuple[bytes, asyncio.Future[bytes]]] = {}

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        if len(data) < 12:
            return
        entry = self.pending.get(struct.unpack_from("!H", data)[0])
        # The question must match too, so a stray or spoofed reply with a guessed ID is not taken.
        if entry is not None and not entry[1].done() and data[12 : 12 + len(entry[0])].lower() == entry[0]:
            entry[1].set_result(data)

    def error_received(self, exc: Exception) -> None:
        for _, future in self.pending.values():
            if not future.done():
                future.set_exception(UpstreamError(str(exc)))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


class ForwardCache:
    """Answers from upstream, kept for their TTL (RFC 1035 3.2.1) and handed out with TTLs counted down;
    negative answers for min(SOA TTL, SOA MINIMUM) (RFC 2308 5)."""

    def __init__(self, max_entries: int = 10000, max_ttl: int = 3600, max_negative_ttl: int = 1800,
                 clock: Clock = REAL_CLOCK) -> None:
        self.max_entries = max_entries
        self.max_ttl = max_ttl
        self.max_negative_ttl = max_negative_ttl
        self.clock = clock
        self._entries: OrderedDict[tuple[str, int], tuple[float, float, bytes]] = OrderedDict()

    def get(self, key: tuple[str, int]) -> DNSRecord | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_at, expires_at, packed = entry
        now = self.clock.monotonic()
        if now >= expires_at:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        message = DNSRecord.parse(packed)
        elapsed = int(now - stored_at)
        for record in (*message.rr, *message.auth, *message.ar):
            if record.rtype != QTYPE.OPT:
                record.ttl = max(0, record.ttl - elapsed)
        return message

    def put(self, key: tuple[str, int], message: DNSRecord) -> None:
        ttl = self._ttl(message)
        if ttl <= 0:
            return
        now = self.clock.monotonic()
        self._entries[key] = (now, now + ttl, message.pack())
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def _ttl(self, message: DNSRecord) -> int:
        rcode = message.header.rcode
        if rcode == RCODE.NOERROR and message.rr:
            return min(min(r.ttl for r in message.rr), self.max_ttl)
        if rcode in (RCODE.NOERROR, RCODE.NXDOMAIN):
            soas = [r for r in message.auth if r.rtype == QTYPE.SOA]
            if soas:
                return min(soas[0].ttl, soas[0].rdata.times[4], self.max_negative_ttl)
        return 0  # SERVFAIL, REFUSED, negative answers without SOA: not cached

    def __len__(self) -> int:
        return len(self._entries)


class ForwardPlugin:
    def __init__(self, upstreams: Iterable[Upstream], timeout: float = 2.0, attempt_timeout: float = 1.0,
                 cache: ForwardCache | None = None, skip: Callable[[Upstream], bool] | None = None) -> None:
        self.upstreams = list(upstreams)
        self.timeout = timeout  # the whole budget for one query, all upstreams together
        self.attempt_timeout = attempt_timeout
        self.cache = cache if cache is not None else ForwardCache()
        self.skip = skip  # checked per query: the cluster DNS service IP is only known once synced
        self._clients: dict[Upstream, _UDPClient] = {}
        self._inflight: dict[tuple[str, int], asyncio.Future[DNSRecord]] = {}
        self._preferred = 0

    async def serve(self, request: Request) -> Reply:
        question = request.message.q
        key = (str(question.qname).lower(), question.qtype)
        cached = self.cache.get(key)
        if cached is None:
            waiting = self._inflight.get(key)
            if waiting is not None:  # the same question already on its way upstream: share the answer
                cached = await asyncio.shield(waiting)
            else:
                future: asyncio.Future[DNSRecord] = asyncio.get_running_loop().create_future()
                self._inflight[key] = future
                try:
                    cached = await self._resolve(request)
                    self.cache.put(key, cached)
                    future.set_result(cached)
                except BaseException as exc:
                    future.set_exception(exc)
                    future.exception()  # mark retrieved: the waiters (if any) re-raise it
                    raise
                finally:
                    del self._inflight[key]
        return Reply(self._relay(request, cached), cacheable=False)

    async def _resolve(self, request: Request) -> DNSRecord:
        question = request.message.q
        query = DNSRecord(q=DNSQuestion(question.qname, question.qtype, question.qclass))
        query.header.rd = 1
        question_wire = query.pack()[12:].lower()  # what the reply must echo (RFC 5452 9.1)
        query.add_ar(EDNS0(udp_len=UPSTREAM_UDP_SIZE))
        deadline = asyncio.get_running_loop().time() + self.timeout
        candidates = [u for u in self.upstreams if not (self.skip and self.skip(u))]
        start = self._preferred % len(candidates) if candidates else 0
        for index in range(len(candidates)):
            upstream = candidates[(start + index) % len(candidates)]
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                answer = await self._exchange(upstream, query, question_wire, min(self.attempt_timeout, remaining))
            except (TimeoutError, UpstreamError, OSError) as exc:
                log.info("upstream %s failed for %s: %s", upstream, question.qname, exc or "timeout")
                continue
            self._preferred = (start + index) % len(candidates)  # stick with the one that answers
            return answer
        reply = request.message.reply(ra=1)
        reply.header.rcode = RCODE.SERVFAIL  # no upstream answered in time
        return reply

    async def _exchange(self, upstream: Upstream, query: DNSRecord, question_bytes: bytes,
                        timeout: float) -> DNSRecord:
        client = await self._client(upstream)
        query_id = secrets.randbelow(65536)
        while query_id in client.pending:
            query_id = secrets.randbelow(65536)
        query.header.id = query_id
        packed = query.pack()
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        client.pending[query_id] = (question_bytes, future)
        try:
            assert client.transport is not None
            client.transport.sendto(packed)
            data = await asyncio.wait_for(future, timeout)
        finally:
            client.pending.pop(query_id, None)
        try:
            answer = DNSRecord.parse(data)
        except Exception as exc:  # dnslib raises several types for bad wire data
            raise UpstreamError(f"unparsable reply: {exc}") from exc
        if answer.header.tc:  # RFC 7766 / RFC 1035 4.2.2: the full answer needs TCP
            answer = await asyncio.wait_for(self._exchange_tcp(upstream, packed), timeout)
        return answer

    async def _exchange_tcp(self, upstream: Upstream, packed: bytes) -> DNSRecord:
        reader, writer = await asyncio.open_connection(upstream.host, upstream.port)
        try:
            writer.write(struct.pack("!H", len(packed)) + packed)
            await writer.drain()
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            return DNSRecord.parse(await reader.readexactly(length))
        finally:
            writer.close()

    async def _client(self, upstream: Upstream) -> _UDPClient:
        client = self._clients.get(upstream)
        if client is None or client.transport is None:
            loop = asyncio.get_running_loop()
            _, client = await loop.create_datagram_endpoint(_UDPClient, remote_addr=(upstream.host, upstream.port))
            self._clients[upstream] = client
        return client

    def close(self) -> None:
        for client in self._clients.values():
            if client.transport is not None:
                client.transport.close()
        self._clients.clear()

    @staticmethod
    def _relay(request: Request, upstream_reply: DNSRecord) -> DNSRecord:
        """The upstream's answer under the client's ID and question (its case kept); OPT is the server's."""
        reply = request.message.reply(ra=1, aa=0)
        reply.header.rcode = upstream_reply.header.rcode
        qname = request.message.q.qname
        # Owner names that are the question's name echo its case (what the client sent, 0x20 or not).
        reply.rr = [RR(qname, r.rtype, r.rclass, r.ttl, r.rdata) if r.rname == qname else r for r in upstream_reply.rr]
        reply.auth = list(upstream_reply.auth)
        reply.ar = [r for r in upstream_reply.ar if r.rtype != QTYPE.OPT]
        return reply

"""DNSServer: UDP and TCP listeners in front of the plugin chain.

The UDP fast path answers from ResponseCache without parsing; everything else (the miss path) is screened
as CoreDNS's DNS library screens it (wire.py: malformed packets get its FORMERR or silence), parsed with dnslib, handed to the chain, given an OPT record if the client sent one, truncated with TC
when it does not fit the client's UDP size, and stored in the cache when the chain says it may be.
"""
from __future__ import annotations

import asyncio
import logging
import struct

from dnslib import EDNS0, QTYPE, DNSRecord

from coredns_py import wire
from coredns_py.cache import ResponseCache
from coredns_py.chain import Handler, Request
from coredns_py.ratelog import RateLimitedLog

log = logging.getLogger(__name__)

CLASSIC_UDP_SIZE = 512  # RFC 1035 4.2.1: the limit without EDNS0
SERVER_UDP_SIZE = 1232  # what we advertise and the most we send (DNS flag day 2020), RFC 6891 6.2.5
MAX_PENDING_MISSES = 2000  # bound on in-flight slow-path queries, so a flood cannot eat memory
BADVERS = 16  # RFC 6891 9: extended rcode for an unsupported EDNS version


class _UDPProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DNSServer) -> None:
        self.server = server
        self.udp = server.cache.udp  # bound once: the fast path below is a dict lookup and a sendto
        self.transport: asyncio.DatagramTransport | None = None
        self.pending = 0

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        cached = self.udp.get(data[2:])
        if cached is not None:
            self.transport.sendto(data[:2] + cached, addr)  # type: ignore[union-attr]
            return
        if self.pending >= MAX_PENDING_MISSES:
            return  # shed load: the client retries, as over any lossy UDP path
        self.pending += 1
        asyncio.get_running_loop().create_task(self._miss(data, addr))

    async def _miss(self, data: bytes, addr) -> None:
        try:
            answer = await self.server.handle(data, "udp", addr[0])
            if answer is not None and self.transport is not None:
                self.transport.sendto(answer, addr)
        finally:
            self.pending -= 1

    def error_received(self, exc: Exception) -> None:
        log.debug("udp error: %s", exc)  # ICMP unreachable from a client that left; nothing to do


class DNSServer:
    def __init__(self, handler: Handler, host: str = "0.0.0.0", port: int = 53,
                 cache: ResponseCache | None = None, tcp_idle_timeout: float = 10.0,
                 log_interval: float = 10.0) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self.cache = cache if cache is not None else ResponseCache()
        self.tcp_idle_timeout = tcp_idle_timeout  # RFC 7766 6.2.3: close idle connections after seconds
        # Malformed packets and answers that failed inside the chain: one summary line per interval, never a
        # traceback per packet (a fuzzer once rotated the DNS Pod's log twice in two minutes).
        self.malformed = RateLimitedLog(log, "malformed packets", log_interval)
        self.failures = RateLimitedLog(log, "queries answered SERVFAIL after an internal error", log_interval)
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None

    async def start(self) -> int:
        """Bind UDP and TCP on the same port (a random free one when port is 0); returns the port."""
        loop = asyncio.get_running_loop()
        for attempt in range(10):
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _UDPProtocol(self), local_addr=(self.host, self.port))
            port = transport.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(self._tcp_connection, self.host, port, reuse_address=True)
            except OSError:
                transport.close()
                if self.port != 0 or attempt == 9:
                    raise
                continue  # the random UDP port is taken over TCP: pick another
            self._udp = transport
            self.port = port
            return port
        raise RuntimeError("unreachable")

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
        self.malformed.close()
        self.failures.close()

    async def _tcp_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # RFC 7766: several length-prefixed queries may share a connection; answer them in order.
        table = self.cache.tcp
        peer = (writer.get_extra_info("peername") or ("?",))[0]
        try:
            while True:
                (length,) = struct.unpack("!H", await asyncio.wait_for(reader.readexactly(2), self.tcp_idle_timeout))
                data = await asyncio.wait_for(reader.readexactly(length), self.tcp_idle_timeout)
                cached = table.get(data[2:])
                answer = data[:2] + cached if cached is not None else await self.handle(data, "tcp", peer)
                if answer is None:
                    break  # a packet we drop over UDP ends a TCP session
                writer.write(struct.pack("!H", len(answer)) + answer)
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed or went idle: the normal end of a DNS TCP session
        finally:
            writer.close()

    async def handle(self, data: bytes, transport: str, peer: str = "?") -> bytes | None:
        """The miss path: one query's wire bytes in, the answer's wire bytes out (None: drop it)."""
        verdict = wire.screen(data)
        if verdict is not None:
            self.malformed.note(peer, verdict.reason)
            return verdict.answer
        try:
            query = DNSRecord.parse(data)
        except Exception as exc:  # noqa: BLE001 - dnslib raises several types for wire data it will not take
            # screen() decoded the question and framed every record: what is left is record data (or a label
            # dnslib refuses, such as one that is not UTF-8). miekg answers FORMERR with the question.
            self.malformed.note(peer, f"unparsable: {_brief(exc)}")
            return wire.error_answer(data, wire.FORMERR, wire.question_of(data))
        if query.header.opcode != 0:
            return wire.error_answer(data, wire.NOTIMP)  # NOTIFY passed miekg's filter; we serve QUERY only
        options = [r for r in query.ar if r.rtype == QTYPE.OPT]
        if len(options) > 1:
            self.malformed.note(peer, "more than one OPT record")
            return wire.error_answer(data, wire.FORMERR, wire.question_of(data))  # RFC 6891 6.1.1
        option = options[0] if options else None
        if option is not None and (option.ttl >> 16) & 0xFF != 0:
            reply = query.reply(ra=1)
            reply.add_ar(EDNS0(udp_len=SERVER_UDP_SIZE, ext_rcode=BADVERS >> 4))  # RFC 6891 6.1.3
            return reply.pack()
        query.ar = []
        generation = self.cache.generation
        try:
            result = await self.handler.serve(Request(query, transport))
            message = result.message
            message.header.ad = 0  # RFC 6840 5.8: nothing here is DNSSEC-validated
            if option is not None:
                message.add_ar(EDNS0(udp_len=SERVER_UDP_SIZE))
            answer = message.pack()
        except Exception as exc:  # the protocol edge: any bug becomes a SERVFAIL (as CoreDNS's recover does)
            log.debug("error answering %s", query.q.qname, exc_info=True)
            self.failures.note(peer, f"{_brief(str(query.q.qname))}: {_brief(exc)}")
            return wire.servfail_answer(data, wire.question_of(data))
        if transport == "udp":
            limit = min(max(option.rclass, CLASSIC_UDP_SIZE), SERVER_UDP_SIZE) if option else CLASSIC_UDP_SIZE
        else:
            limit = 65535  # RFC 1035 4.2.2: the TCP length prefix is 16 bits (a headless service of ~4000 Pods)
        if len(answer) > limit:
            answer = _truncated(message, option is not None)
        if result.cacheable:
            self.cache.put(transport, bytes(data[2:]), bytes(answer[2:]), generation)
        return answer


def _truncated(message: DNSRecord, with_opt: bool) -> bytes:
    """RFC 1035 4.2.1 / RFC 2181 9: set TC and send the header and question only; the client retries on TCP."""
    message.header.tc = 1
    message.rr, message.auth, message.ar = [], [], []
    if with_opt:
        message.add_ar(EDNS0(udp_len=SERVER_UDP_SIZE))
    return message.pack()


def _brief(thing: object, limit: int = 120) -> str:
    """A log-safe one-liner: repr escapes whatever bytes a sender put in a name, and the length is bounded."""
    text = thing if isinstance(thing, str) else f"{type(thing).__name__}: {thing}"
    text = repr(text)[1:-1]
    return text if len(text) <= limit else text[:limit] + "..."

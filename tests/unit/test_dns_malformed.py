"""Malformed packets at a real server on loopback: CoreDNS's (miekg/dns's) answer or its silence, one log line per
interval instead of a traceback per packet, and a server that still answers the next good query."""
from __future__ import annotations

import asyncio
import logging
import random
import socket
import struct
import time

import pytest
from dnslib import EDNS0, RCODE, DNSRecord

from coredns_py.ratelog import RateLimitedLog
from kubenet.clock import FakeClock
from tests.unit.test_dns_support import LAB, FakeUpstream, RunningServer, lab_objects, make_zone

QUERY_RD = 0x0100


def header(qid: int = 0x1234, flags: int = QUERY_RD, qd: int = 1, an: int = 0, ns: int = 0, ar: int = 0) -> bytes:
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def labels(*parts: bytes) -> bytes:
    return b"".join(bytes([len(p)]) + p for p in parts) + b"\x00"


A_IN = struct.pack("!HH", 1, 1)
OVERLONG = header() + labels(*[b"a" * 63] * 5) + A_IN  # 5 x 64 + 1 = 321 octets on the wire: over 255


class LogLines(logging.Handler):
    """What the DNS Pod's log would get from coredns_py (formatted as __main__ formats it)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.lines.append(self.format(record))


@pytest.fixture
def dns():
    lines = LogLines()
    logger = logging.getLogger("coredns_py")
    logger.addHandler(lines)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    server = RunningServer(make_zone(lab_objects()), upstreams=[FakeUpstream()], forward_timeout=0.5,
                           attempt_timeout=0.3)
    server.log = lines
    yield server
    server.stop()
    logger.removeHandler(lines)
    logger.setLevel(level)


def reply_to(dns, packet: bytes, tcp: bool = False, timeout: float = 0.5) -> bytes | None:
    try:
        return dns.exchange(packet, tcp=tcp, timeout=timeout)
    except (TimeoutError, ConnectionError, struct.error):
        return None  # dropped (over TCP: the server closed the connection without an answer)


def flags_of(answer: bytes) -> tuple[int, int, int, int]:
    """(id, QR, opcode, rcode) and the question count of a raw answer."""
    qid, flags, qd = struct.unpack_from("!HHH", answer)
    return qid, flags >> 15, (flags >> 11) & 0xF, flags & 0xF, qd


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_a_name_over_255_octets_gets_formerr_with_its_id(dns, tcp):
    answer = reply_to(dns, OVERLONG, tcp=tcp)
    assert answer is not None, "no answer at all (the SERVFAIL fallback raised)"
    assert flags_of(answer) == (0x1234, 1, 0, RCODE.FORMERR, 0)
    assert answer[2] & 0x01  # RD echoed, as miekg's SetRcodeFormatError leaves the query's bits
    assert not any("Traceback" in line for line in dns.log.lines)
    assert dns.ask("web." + LAB, tcp=tcp).header.rcode == RCODE.NOERROR


def test_a_name_of_255_octets_is_served_and_one_of_256_is_formerr(dns):
    zone = labels(b"lab", b"svc", b"cluster", b"local")  # 23 octets, the root label included
    name = labels(*[b"b" * 63] * 3, b"c" * 39)[:-1] + zone  # 3 x 64 + 40 + 23 = 255
    assert len(name) == 255
    answer = reply_to(dns, header() + name + A_IN)
    assert answer is not None and flags_of(answer)[3] == RCODE.NXDOMAIN  # parsed and served: no such service
    longer = labels(*[b"b" * 63] * 3, b"c" * 40)[:-1] + zone
    assert flags_of(reply_to(dns, header() + longer + A_IN))[3] == RCODE.FORMERR


POINTER_LOOP = header() + b"\xc0\x0c" + A_IN  # the name is a pointer to itself
CASES = {
    # name: (packet, expected (rcode, qdcount) or None for silence) - what CoreDNS 1.11 / miekg/dns v1.1 does
    "truncated header": (header()[:7], None),
    "empty": (b"", None),
    "a response": (header(flags=0x8100) + labels(b"web") + A_IN, None),
    "label of 64 octets": (header() + b"\x40" + b"a" * 64 + b"\x00" + A_IN, (RCODE.FORMERR, 0)),
    "label type 0x80": (header() + b"\x80abc\x00" + A_IN, (RCODE.FORMERR, 0)),
    "pointer loop": (POINTER_LOOP, (RCODE.FORMERR, 0)),
    "pointer past the end": (header() + b"\xc3\xff" + A_IN, (RCODE.FORMERR, 0)),
    "label past the end": (header() + b"\x3fabc", (RCODE.FORMERR, 0)),
    "qdcount 0": (header(qd=0) + labels(b"web") + A_IN, (RCODE.FORMERR, 0)),
    "qdcount 2": (header(qd=2) + labels(b"web") + A_IN + labels(b"db") + A_IN, (RCODE.FORMERR, 0)),
    "ancount 2": (header(an=2) + labels(b"web") + A_IN, (RCODE.FORMERR, 0)),
    "arcount 3": (header(ar=3) + labels(b"web") + A_IN, (RCODE.FORMERR, 0)),
    "header only": (header(), (RCODE.SERVFAIL, 0)),  # CoreDNS's ServeDNS: no question → SERVFAIL
    "broken additional record": (header(ar=1) + labels(b"web") + A_IN + b"\x00\x00\x29", (RCODE.FORMERR, 1)),
    "opcode STATUS with a broken name": (header(flags=0x1100) + b"\x7f", (RCODE.NOTIMP, 0)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_packets_get_what_coredns_answers(dns, case):
    packet, expected = CASES[case]
    for tcp in (False, True):
        answer = reply_to(dns, packet, tcp=tcp, timeout=0.3)
        if expected is None:
            assert answer is None, (case, tcp)
            continue
        assert answer is not None, (case, tcp)
        qid, qr, opcode, rcode, qd = flags_of(answer)
        assert (qid, qr, rcode, qd) == (0x1234, 1, *expected), (case, tcp)
        assert opcode == (2 if expected[0] == RCODE.NOTIMP else 0)  # NOTIMP keeps the opcode, FORMERR sets QUERY


def test_garbage_after_the_question_is_ignored_and_the_query_answered(dns):
    packet = DNSRecord.question("web." + LAB).pack() + b"\xde\xad\xbe\xef" * 8
    reply = DNSRecord.parse(reply_to(dns, packet))
    assert reply.header.rcode == RCODE.NOERROR and str(reply.rr[0].rdata) == "10.96.10.5"


def test_a_formerr_for_a_broken_record_echoes_the_question_uncompressed(dns):
    packet = header(ar=1) + labels(b"web", b"lab") + A_IN + b"\xc0\x0c\x00\x01"  # record cut after its type
    reply = DNSRecord.parse(reply_to(dns, packet))
    assert reply.header.rcode == RCODE.FORMERR and str(reply.q.qname) == "web.lab." and not reply.ar


# --- the fuzz: mutated and random packets, in-process through handle() and over real sockets --------------------

def seeds() -> list[bytes]:
    queries = [DNSRecord.question(name, qtype) for name, qtype in (
        ("web." + LAB, "A"), ("db." + LAB, "SRV"), ("_http._tcp.web." + LAB, "SRV"), ("example.com.", "A"),
        ("5.10.96.10.in-addr.arpa.", "PTR"), ("nothere." + LAB, "AAAA"), ("cluster.local.", "SOA"))]
    with_opt = DNSRecord.question("web." + LAB)
    with_opt.add_ar(EDNS0(udp_len=1232))
    return [q.pack() for q in queries] + [with_opt.pack(), OVERLONG, POINTER_LOOP]


def mutate(rng: random.Random, packet: bytes) -> bytes:
    data = bytearray(packet)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        if choice < 0.3 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)  # a flipped byte (a label length, a count...)
        elif choice < 0.45:
            del data[rng.randrange(len(data) + 1):]  # cut short
        elif choice < 0.6:
            at = rng.randrange(len(data) + 1)
            data[at:at] = rng.randbytes(rng.randint(1, 8))
        elif choice < 0.75 and len(data) >= 12:
            struct.pack_into("!H", data, rng.choice((4, 6, 8, 10)), rng.choice((0, 1, 2, 3, 0xFFFF)))
        elif choice < 0.9 and len(data) > 13:
            at = rng.randrange(12, len(data) - 1)  # a compression pointer anywhere, often into itself
            data[at:at + 2] = bytes([0xC0 | rng.randrange(4), rng.randrange(256)])
        else:
            data = bytearray(rng.randbytes(rng.randint(0, 80)))
    return bytes(data)


def fuzz_packets(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    base = seeds()
    packets = [mutate(rng, rng.choice(base)) for _ in range(count)]
    # Give each packet its own ID so an answer can be matched to it.
    return [struct.pack("!H", i) + p[2:] if len(p) >= 2 else p for i, p in enumerate(packets)]


def check_answer(packet: bytes, answer: bytes | None) -> None:
    if answer is None:
        return
    assert len(answer) >= 12 and answer[:2] == packet[:2] and answer[2] & 0x80, (packet, answer)
    assert struct.unpack_from("!H", answer, 4)[0] <= 1


def test_fuzz_in_process_never_raises_and_logs_a_summary_not_tracebacks(dns):
    packets = fuzz_packets(3000, seed=7)

    async def run() -> list[bytes | None]:
        return [await dns.server.handle(p, "udp", "192.0.2.9") for p in packets]

    started = time.monotonic()
    answers = dns.run_async(asyncio.wait_for(run(), 60))
    for packet, answer in zip(packets, answers):
        check_answer(packet, answer)
    assert dns.server.failures.total == 0  # no packet reached a bug in the chain
    assert dns.server.malformed.total > 1000  # most mutations are malformed: the screen saw them
    assert sum(a is not None for a in answers) > 1500
    assert not any("Traceback" in line for line in dns.log.lines)
    summaries = [line for line in dns.log.lines if "malformed packets in the last" in line]
    assert 1 <= len(summaries) <= 2 + (time.monotonic() - started) / dns.server.malformed.interval
    assert "last from 192.0.2.9: " in summaries[0]
    assert dns.ask("web." + LAB).header.rcode == RCODE.NOERROR


def test_fuzz_over_udp_and_tcp_then_a_good_query_is_answered_at_once(dns):
    packets = fuzz_packets(600, seed=11)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("127.0.0.1", dns.port))
        sock.settimeout(0.3)
        sent = {p[:2]: p for p in packets if len(p) >= 2}
        answered = 0
        for start in range(0, len(packets), 50):  # in bursts, so the socket buffers never overflow
            for packet in packets[start:start + 50]:
                sock.send(packet)
            try:
                while True:
                    answer = sock.recv(65535)
                    check_answer(sent[answer[:2]], answer)
                    answered += 1
            except TimeoutError:
                pass
    assert answered > 200
    for packet in packets[:150]:
        check_answer(packet, reply_to(dns, packet, tcp=True, timeout=0.3))
    started = time.monotonic()
    assert dns.ask("web." + LAB).header.rcode == RCODE.NOERROR
    assert dns.ask("db." + LAB, tcp=True).header.rcode == RCODE.NOERROR
    assert time.monotonic() - started < 1.0
    assert not any("Traceback" in line for line in dns.log.lines)
    assert sum("malformed packets" in line for line in dns.log.lines) <= 3  # the test takes well under 10 s


def test_the_rate_limited_log_says_how_many_and_the_last_one():
    lines = LogLines()
    logger = logging.getLogger("test.ratelog")
    logger.addHandler(lines)

    clock = FakeClock()

    async def run() -> None:
        limited = RateLimitedLog(logger, "malformed packets", interval=0.2, clock=clock)
        for i in range(100):
            limited.note(f"10.244.0.{i}", "label type 0x40")
        await limited._timer  # the first line goes out at once, with what came in the same loop iteration
        assert len(lines.lines) == 1 and "100 malformed packets" in lines.lines[0]
        limited.note("10.244.1.1", "qdcount 0")
        limited.note("10.244.1.2", "qdcount 2")
        await asyncio.wait_for(clock.sleeping(), 5)
        clock.advance(0.19)
        await asyncio.wait_for(clock.sleeping(), 5)
        assert len(lines.lines) == 1  # still inside the interval: counted, not logged
        clock.advance(0.01)
        await limited._timer
        assert len(lines.lines) == 2
        assert lines.lines[1].endswith("2 malformed packets in the last 0.2s, last from 10.244.1.2: qdcount 2")
        limited.close()

    asyncio.run(run())
    logger.removeHandler(lines)

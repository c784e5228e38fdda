"""The wire: dig over UDP and TCP, EDNS0 and truncation, the answer cache, and packets that are not queries."""
from __future__ import annotations

import socket
import struct

import pytest
from dnslib import EDNS0, QTYPE, RCODE, DNSRecord

from tests.unit.test_dns_support import LAB, RunningServer, endpoint, endpoint_slice, lab_objects, make_zone, service

MANY = 120  # endpoints: far more A records than fit 512 bytes (or 1232)


@pytest.fixture(scope="module")
def dns():
    objects = lab_objects() + [
        service("lab", "many", "None"),
        endpoint_slice("lab", "many", [endpoint(f"10.244.{i // 200}.{i % 200 + 1}") for i in range(MANY)], []),
    ]
    server = RunningServer(make_zone(objects))
    yield server
    server.stop()


def test_dig_over_udp_and_tcp_gets_the_same_answer(dns):
    for transport in ("+notcp", "+tcp"):
        out = dns.dig("web.lab.svc.cluster.local", "A", transport, "+short")
        assert out.split() == ["10.96.10.5"], transport


def test_dig_full_answer_shows_aa_and_status(dns):
    out = dns.dig("web.lab.svc.cluster.local", "+notcp")
    assert "status: NOERROR" in out and " aa" in out.split("flags:")[1].split(";")[0]
    assert "web.lab.svc.cluster.local. 5\tIN\tA\t10.96.10.5" in out


def test_nslookup_style_search_candidates_get_nodata_for_aaaa(dns):
    out = dns.dig("web.lab.svc.cluster.local", "AAAA", "+notcp")
    assert "status: NOERROR" in out and "ANSWER: 0" in out and "AUTHORITY: 1" in out


def test_a_cached_answer_carries_each_querys_own_id(dns):
    first = dns.ask("web." + LAB, query_id=1111)
    second = dns.ask("web." + LAB, query_id=2222)
    assert (first.header.id, second.header.id) == (1111, 2222)
    assert first.rr == second.rr
    key = bytes(DNSRecord.question("web." + LAB).pack()[2:])
    assert key in dns.server.cache.udp  # the second one came from the packed-response cache


def test_the_ad_bit_of_a_query_is_not_echoed(dns):
    query = DNSRecord.question("web." + LAB)
    query.header.ad = 1
    assert DNSRecord.parse(dns.exchange(query.pack())).header.ad == 0


def test_an_answer_too_big_for_udp_sets_tc_and_tcp_gets_it_all(dns):
    udp = dns.ask("many." + LAB)
    assert udp.header.tc == 1 and not udp.rr
    tcp = dns.ask("many." + LAB, tcp=True)
    assert tcp.header.tc == 0 and len(tcp.rr) == MANY


def test_edns0_raises_the_udp_limit_up_to_1232_and_is_answered_with_opt(dns):
    reply = dns.ask("db." + LAB, edns=4096)
    assert [r.rtype for r in reply.ar] == [QTYPE.OPT] and reply.ar[0].rclass == 1232
    big = dns.ask("many." + LAB, edns=4096)
    assert big.header.tc == 1  # 120 A records are ~2 KB: over the 1232 we send at most
    small = DNSRecord.parse(dns.exchange(_query_with_edns("many." + LAB, 512)))
    assert small.header.tc == 1


def test_dig_retries_a_truncated_answer_over_tcp(dns):
    out = dns.dig("many.lab.svc.cluster.local", "+notcp", "+short")
    assert len(out.split()) == MANY


def test_several_queries_on_one_tcp_connection(dns):
    with socket.create_connection(("127.0.0.1", dns.port), timeout=3) as conn:
        for name in ("web." + LAB, "db." + LAB, "web." + LAB):
            packet = DNSRecord.question(name).pack()
            conn.sendall(struct.pack("!H", len(packet)) + packet)
            (length,) = struct.unpack("!H", conn.recv(2))
            data = b""
            while len(data) < length:
                data += conn.recv(length - len(data))
            assert DNSRecord.parse(data).header.rcode == RCODE.NOERROR


def _query_with_edns(name: str, size: int, version: int = 0) -> bytes:
    query = DNSRecord.question(name)
    query.add_ar(EDNS0(udp_len=size, version=version))
    return query.pack()


def _no_answer(dns, packet: bytes) -> bool:
    try:
        dns.exchange(packet, timeout=0.3)
    except TimeoutError:
        return True
    return False


def test_garbage_and_responses_are_dropped_and_the_server_keeps_answering(dns):
    assert _no_answer(dns, b"\x01\x02\x03")
    response = DNSRecord.question("web." + LAB).reply().pack()
    assert _no_answer(dns, response)  # QR set: never answer an answer
    assert dns.ask("web." + LAB).header.rcode == RCODE.NOERROR


def test_a_header_with_a_broken_question_gets_formerr_with_its_id(dns):
    packet = struct.pack("!HHHHHH", 4242, 0x0100, 1, 0, 0, 0) + b"\x05ab"
    reply = DNSRecord.parse(dns.exchange(packet))
    assert (reply.header.id, reply.header.qr, reply.header.rcode) == (4242, 1, RCODE.FORMERR)


def test_two_questions_are_formerr(dns):
    query = DNSRecord.question("web." + LAB)
    query.add_question(DNSRecord.question("db." + LAB).q)
    assert DNSRecord.parse(dns.exchange(query.pack())).header.rcode == RCODE.FORMERR


def test_opcodes_other_than_query_are_notimp(dns):
    query = DNSRecord.question("web." + LAB)
    query.header.opcode = 2  # STATUS
    assert DNSRecord.parse(dns.exchange(query.pack())).header.rcode == RCODE.NOTIMP


def test_an_unknown_edns_version_is_badvers(dns):
    reply = DNSRecord.parse(dns.exchange(_query_with_edns("web." + LAB, 1232, version=1)))
    opt = next(r for r in reply.ar if r.rtype == QTYPE.OPT)
    assert (opt.ttl >> 24) & 0xFF == 1 and not reply.rr  # extended rcode 16 = BADVERS


def test_a_tcp_client_that_sends_half_a_message_does_not_stop_others(dns):
    with socket.create_connection(("127.0.0.1", dns.port), timeout=3) as conn:
        conn.sendall(b"\x00\x40\x12")
        assert dns.ask("web." + LAB, tcp=True).header.rcode == RCODE.NOERROR

"""Names outside the cluster go to the upstream resolvers (a fake one on 127.0.0.1 here), with a cache."""
from __future__ import annotations

import concurrent.futures
import time

import pytest
from dnslib import QTYPE, RCODE, RR, A, DNSRecord

from coredns_py.forward import ForwardCache, Upstream, is_local_address, parse_upstream, read_resolv_conf, without_self
from kubenet.clock import FakeClock
from tests.unit.test_dns_support import LAB, FakeUpstream, RunningServer, answers, make_zone


def test_resolv_conf_nameservers_are_read_in_order(tmp_path):
    path = tmp_path / "resolv.conf"
    path.write_text("# node resolver\nsearch example.internal\nnameserver 192.0.2.53\n"
                    "nameserver 2001:db8::53 ; second\n nameserver   192.0.2.54  \noptions ndots:1\n")
    assert read_resolv_conf(str(path)) == [Upstream("192.0.2.53"), Upstream("2001:db8::53"), Upstream("192.0.2.54")]
    assert read_resolv_conf(str(tmp_path / "missing")) == []


def test_upstream_addresses_parse_with_and_without_port():
    assert parse_upstream("127.0.0.1:5353") == Upstream("127.0.0.1", 5353)
    assert parse_upstream("[::1]:5353") == Upstream("::1", 5353)
    assert parse_upstream("::1") == Upstream("::1", 53)
    assert parse_upstream("10.0.0.2") == Upstream("10.0.0.2", 53)


def test_nameservers_that_are_this_server_are_skipped():
    upstreams = [Upstream("127.0.0.1"), Upstream("10.96.0.10"), Upstream("192.0.2.53"), Upstream("127.0.0.1", 5353)]
    kept = without_self(upstreams, "0.0.0.0", 53, cluster_dns_ips=["10.96.0.10"])
    assert kept == [Upstream("192.0.2.53"), Upstream("127.0.0.1", 5353)]
    assert without_self([Upstream("127.0.0.1")], "127.0.0.1", 5353) == [Upstream("127.0.0.1")]
    assert is_local_address("127.0.0.1") and not is_local_address("192.0.2.1")


@pytest.fixture
def forwarding():
    upstream = FakeUpstream()
    dns = RunningServer(make_zone(), [upstream])
    yield dns, upstream
    dns.stop()


def test_an_outside_name_is_answered_by_the_upstream_with_ra_and_without_aa(forwarding):
    dns, upstream = forwarding
    reply = dns.ask("Example.COM.")
    assert answers(reply) == ["192.0.2.80"] and str(reply.rr[0].rname) == "Example.COM."
    assert reply.header.ra == 1 and reply.header.aa == 0
    assert upstream.questions == [("example.com.", QTYPE.A, "udp")]


def test_dig_through_the_server_reaches_the_fake_upstream(forwarding):
    dns, _ = forwarding
    assert dns.dig("example.com", "+notcp", "+short").split() == ["192.0.2.80"]
    assert dns.dig("example.com", "+tcp", "+short").split() == ["192.0.2.80"]


def test_repeated_questions_come_from_the_cache_with_ttls_counting_down():
    upstream, clock = FakeUpstream(), FakeClock()
    dns = RunningServer(make_zone(), [upstream], clock=clock)
    try:
        first = dns.ask("example.com.")
        clock.advance(1.5)
        second = dns.ask("example.com.")
        assert len(upstream.questions) == 1
        assert first.rr[0].ttl == 300 and second.rr[0].ttl == 299
        clock.advance(298.5)  # 300 s after the answer: expired, asked again
        assert dns.ask("example.com.").rr[0].ttl == 300 and len(upstream.questions) == 2
    finally:
        dns.stop()


def test_nxdomain_from_upstream_is_relayed_and_cached_for_the_soa_minimum(forwarding):
    dns, upstream = forwarding
    reply = dns.ask("nothing.example.")
    assert reply.header.rcode == RCODE.NXDOMAIN and reply.auth[0].rtype == QTYPE.SOA
    dns.ask("nothing.example.")
    assert len(upstream.questions) == 1


def test_cluster_names_never_go_upstream(forwarding):
    dns, upstream = forwarding
    assert dns.ask("nope." + LAB).header.rcode == RCODE.NXDOMAIN
    assert dns.ask("9.9.96.10.in-addr.arpa.", "PTR").header.rcode == RCODE.NXDOMAIN  # inside the service CIDR
    assert upstream.questions == []


def test_reverse_names_outside_the_cluster_ranges_fall_through_to_upstream(forwarding):
    dns, upstream = forwarding
    assert dns.ask("1.2.0.192.in-addr.arpa.", "PTR").header.rcode == RCODE.NXDOMAIN
    assert upstream.questions == [("1.2.0.192.in-addr.arpa.", QTYPE.PTR, "udp")]


def test_an_externalname_outside_the_zone_is_chased_upstream(forwarding):
    dns, _ = forwarding
    reply = dns.ask("outside." + LAB)
    assert [(QTYPE[r.rtype], str(r.rdata)) for r in reply.rr] == [("CNAME", "example.com."), ("A", "192.0.2.80")]


def test_concurrent_identical_questions_go_upstream_once(forwarding):
    dns, upstream = forwarding
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: dns.ask("example.com."), range(8)))
    assert all(answers(r) == ["192.0.2.80"] for r in replies)
    assert len(upstream.questions) == 1


def test_a_silent_upstream_gives_servfail_in_time_and_a_second_one_is_tried():
    silent = FakeUpstream(silent=True)
    dns = RunningServer(make_zone(), [silent], forward_timeout=0.6, attempt_timeout=0.3)
    try:
        started = time.monotonic()
        assert dns.ask("example.com.").header.rcode == RCODE.SERVFAIL
        assert time.monotonic() - started < 1.5
    finally:
        dns.stop()
    working = FakeUpstream()
    dns = RunningServer(make_zone(), [FakeUpstream(silent=True), working], attempt_timeout=0.3)
    try:
        assert answers(dns.ask("example.com.")) == ["192.0.2.80"]
        assert working.questions == [("example.com.", QTYPE.A, "udp")]
    finally:
        dns.stop()


def test_a_truncated_upstream_answer_is_fetched_again_over_tcp():
    upstream = FakeUpstream(truncate_udp=True)
    dns = RunningServer(make_zone(), [upstream])
    try:
        assert answers(dns.ask("example.com.")) == ["192.0.2.80"]
        assert [q[2] for q in upstream.questions] == ["udp", "tcp"]
    finally:
        dns.stop()


def test_forward_cache_expires_entries_and_does_not_keep_servfail():
    clock = FakeClock()
    cache = ForwardCache(clock=clock)
    ok = DNSRecord.question("example.com.").reply()
    ok.add_answer(RR("example.com.", QTYPE.A, rdata=A("192.0.2.80"), ttl=30))
    cache.put(("example.com.", QTYPE.A), ok)
    clock.advance(10)
    assert cache.get(("example.com.", QTYPE.A)).rr[0].ttl == 20
    clock.advance(21)
    assert cache.get(("example.com.", QTYPE.A)) is None
    failed = DNSRecord.question("bad.example.").reply()
    failed.header.rcode = RCODE.SERVFAIL
    cache.put(("bad.example.", QTYPE.A), failed)
    assert len(cache) == 0

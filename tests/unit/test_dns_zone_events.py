"""The zone follows watch events, and the server's answer cache never outlives the data behind it."""
from __future__ import annotations

from dnslib import RCODE

from kubenet.clock import FakeClock
from tests.unit.test_dns_support import (
    LAB,
    RunningServer,
    answers,
    endpoint,
    endpoint_slice,
    make_zone,
    namespace,
    service,
)


def test_before_the_caches_sync_unknown_names_are_servfail_and_known_ones_answer():
    zone = make_zone(synced=False)
    dns = RunningServer(zone)
    try:
        assert dns.ask("nope." + LAB).header.rcode == RCODE.SERVFAIL
        assert answers(dns.ask("web." + LAB)) == ["10.96.10.5"]
        dns.call(zone.mark_synced)
        assert dns.ask("nope." + LAB).header.rcode == RCODE.NXDOMAIN  # the cached SERVFAIL is gone
    finally:
        dns.stop()


def test_a_new_service_is_answered_at_once_even_after_a_cached_nxdomain():
    clock = FakeClock()
    zone = make_zone(clock=clock)
    dns = RunningServer(zone)
    try:
        assert dns.ask("api." + LAB).header.rcode == RCODE.NXDOMAIN
        assert dns.ask("api." + LAB).header.rcode == RCODE.NXDOMAIN  # now from the cache
        serial = zone.serial
        clock.advance(1)  # the serial is the time of the last change, in seconds
        dns.call(lambda: zone.on_service("ADDED", service("lab", "api", "10.96.10.9")))
        assert answers(dns.ask("api." + LAB)) == ["10.96.10.9"]
        assert zone.serial > serial
        dns.call(lambda: zone.on_service("DELETED", service("lab", "api", "10.96.10.9")))
        assert dns.ask("api." + LAB).header.rcode == RCODE.NXDOMAIN
    finally:
        dns.stop()


def test_endpoint_readiness_changes_show_in_headless_answers():
    zone = make_zone()
    dns = RunningServer(zone)
    http = [{"name": "pg", "port": 5432, "protocol": "TCP"}]
    try:
        assert answers(dns.ask("db." + LAB)) == ["10.244.1.20", "10.244.2.21"]
        update = endpoint_slice("lab", "db", [endpoint("10.244.1.20", hostname="db-0"),
                                              endpoint("10.244.2.22", hostname="db-2")], http)
        dns.call(lambda: zone.on_endpoint_slice("MODIFIED", update))
        assert answers(dns.ask("db." + LAB)) == ["10.244.1.20", "10.244.2.22"]
        assert answers(dns.ask("db-2.db." + LAB)) == ["10.244.2.22"]
        assert dns.ask("db-1.db." + LAB).header.rcode == RCODE.NXDOMAIN
        assert answers(dns.ask("22.2.244.10.in-addr.arpa.", "PTR")) == ["db-2.db." + LAB]
        dns.call(lambda: zone.on_endpoint_slice("DELETED", update))
        assert dns.ask("db." + LAB).header.rcode == RCODE.NXDOMAIN
    finally:
        dns.stop()


def test_endpoints_spread_over_several_slices_are_merged():
    zone = make_zone([namespace("lab"), service("lab", "big", "None")])
    ports = [{"name": "http", "port": 80, "protocol": "TCP"}]
    zone.on_endpoint_slice("ADDED", endpoint_slice("lab", "big", [endpoint("10.244.1.1")], ports, name="big-1"))
    zone.on_endpoint_slice("ADDED", endpoint_slice("lab", "big", [endpoint("10.244.1.2")], ports, name="big-2"))
    dns = RunningServer(zone)
    try:
        assert answers(dns.ask("big." + LAB)) == ["10.244.1.1", "10.244.1.2"]
        assert {r.rdata.weight for r in dns.ask("_http._tcp.big." + LAB, "SRV").rr} == {50}
    finally:
        dns.stop()


def test_a_deleted_namespace_stops_answering_its_pod_names():
    zone = make_zone([namespace("tmp")])
    dns = RunningServer(zone)
    try:
        assert answers(dns.ask("10-244-3-3.tmp.pod.cluster.local.")) == ["10.244.3.3"]
        dns.call(lambda: zone.on_namespace("DELETED", namespace("tmp")))
        assert dns.ask("10-244-3-3.tmp.pod.cluster.local.").header.rcode == RCODE.NXDOMAIN
    finally:
        dns.stop()


def test_events_that_change_nothing_dns_publishes_keep_the_cache():
    zone = make_zone()
    cleared = []
    zone.add_listener(lambda: cleared.append(1))
    web = service("lab", "web", "10.96.10.5", [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080},
                                                {"name": "metrics", "port": 9000, "protocol": "TCP"}])
    web["metadata"]["resourceVersion"] = "999"
    web["status"] = {"loadBalancer": {}}
    zone.on_service("MODIFIED", web)
    assert cleared == []
    web["spec"]["clusterIP"] = "10.96.10.55"
    zone.on_service("MODIFIED", web)
    assert cleared == [1]

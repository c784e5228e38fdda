"""What a user of the cluster sees when they dig names in cluster.local (shared/reference/dns.md)."""
from __future__ import annotations

import pytest
from dnslib import QTYPE, RCODE

from tests.unit.test_dns_support import LAB, RunningServer, answers, make_zone


@pytest.fixture(scope="module")
def dns():
    server = RunningServer(make_zone())
    yield server
    server.stop()


def soa_fields(reply):
    assert len(reply.auth) == 1 and reply.auth[0].rtype == QTYPE.SOA
    soa = reply.auth[0]
    return str(soa.rname), soa.ttl, str(soa.rdata.mname), str(soa.rdata.rname), soa.rdata.times[1:]


def test_a_clusterip_service_answers_its_cluster_ip_authoritatively_with_ttl_5(dns):
    reply = dns.ask("web." + LAB)
    assert reply.header.rcode == RCODE.NOERROR and reply.header.aa == 1
    assert answers(reply) == ["10.96.10.5"]
    assert reply.rr[0].ttl == 5


def test_the_owner_name_echoes_the_case_of_the_question(dns):
    reply = dns.ask("Web.LAB.svc.Cluster.Local.")
    assert str(reply.rr[0].rname) == "Web.LAB.svc.Cluster.Local."
    assert answers(reply) == ["10.96.10.5"]


def test_aaaa_on_an_ipv4_service_is_nodata_with_the_soa_not_nxdomain(dns):
    reply = dns.ask("web." + LAB, "AAAA")
    assert reply.header.rcode == RCODE.NOERROR and not reply.rr
    assert soa_fields(reply) == ("cluster.local.", 5, "ns.dns.cluster.local.", "hostmaster.cluster.local.",
                                 (7200, 1800, 86400, 5))
    assert reply.auth[0].rdata.times[0] == dns.zone.serial


def test_dual_stack_service_has_a_and_aaaa(dns):
    assert answers(dns.ask("dual." + LAB)) == ["10.96.10.6"]
    assert answers(dns.ask("dual." + LAB, "AAAA")) == ["fd00:10:96::6"]


@pytest.mark.parametrize("name", ["nope." + LAB, "web.nowhere.svc.cluster.local.", "x.web." + LAB,
                                  "a.b.web." + LAB, "*.lab.svc.cluster.local.", "web.lab.other.cluster.local.",
                                  "empty." + LAB, "alias.sub.nothing." + LAB, "deep.alias." + LAB])
def test_names_that_do_not_exist_are_nxdomain_with_the_soa(dns, name):
    reply = dns.ask(name)
    assert reply.header.rcode == RCODE.NXDOMAIN and reply.header.aa == 1 and not reply.rr
    assert soa_fields(reply)[0] == "cluster.local."


@pytest.mark.parametrize("name,qtype", [("lab.svc.cluster.local.", "A"), ("svc.cluster.local.", "A"),
                                        ("pod.cluster.local.", "A"), ("cluster.local.", "A"),
                                        ("web." + LAB, "TXT"), ("web." + LAB, "MX"),
                                        ("lab.pod.cluster.local.", "AAAA")])
def test_names_that_exist_without_that_type_are_nodata(dns, name, qtype):
    reply = dns.ask(name, qtype)
    assert reply.header.rcode == RCODE.NOERROR and not reply.rr
    assert soa_fields(reply)[0] == "cluster.local."


def test_apex_soa_and_ns(dns):
    soa = dns.ask("cluster.local.", "SOA")
    assert [str(r.rdata.mname) for r in soa.rr] == ["ns.dns.cluster.local."]
    ns = dns.ask("cluster.local.", "NS")
    assert answers(ns, "NS") == ["ns.dns.cluster.local."]
    assert [str(r.rdata) for r in ns.ar if r.rtype == QTYPE.A] == ["10.96.0.10"]


def test_srv_for_a_named_port_points_at_the_service_with_its_address_in_additional(dns):
    reply = dns.ask("_http._tcp." + LAB.replace("lab.", "web.lab."), "SRV")
    assert [(r.rdata.priority, r.rdata.weight, r.rdata.port, str(r.rdata.target)) for r in reply.rr] == [
        (0, 100, 80, "web." + LAB)]
    assert [(str(r.rname), str(r.rdata)) for r in reply.ar if r.rtype == QTYPE.A] == [("web." + LAB, "10.96.10.5")]


def test_srv_with_an_unknown_port_or_protocol_is_nxdomain(dns):
    assert dns.ask("_https._tcp.web." + LAB, "SRV").header.rcode == RCODE.NXDOMAIN
    assert dns.ask("_http._udp.web." + LAB, "SRV").header.rcode == RCODE.NXDOMAIN


def test_srv_name_asked_for_a_is_nodata(dns):
    reply = dns.ask("_http._tcp.web." + LAB, "A")
    assert reply.header.rcode == RCODE.NOERROR and not reply.rr


def test_an_unnamed_port_has_no_srv_name_but_shows_in_the_bare_name_srv(dns):
    assert dns.ask("_http._tcp.plain." + LAB, "SRV").header.rcode == RCODE.NXDOMAIN
    assert [(r.rdata.weight, r.rdata.port) for r in dns.ask("plain." + LAB, "SRV").rr] == [(100, 8080)]


def test_ns_dns_names_the_cluster_dns_service(dns):
    assert answers(dns.ask("ns.dns.cluster.local.")) == ["10.96.0.10"]


def test_bare_service_name_srv_lists_every_port(dns):
    reply = dns.ask("web." + LAB, "SRV")
    assert sorted((r.rdata.weight, r.rdata.port) for r in reply.rr) == [(50, 80), (50, 9000)]


def test_headless_service_answers_one_a_per_ready_endpoint(dns):
    assert answers(dns.ask("db." + LAB)) == ["10.244.1.20", "10.244.2.21"]


def test_statefulset_style_hostnames_resolve_and_not_ready_ones_do_not(dns):
    assert answers(dns.ask("db-0.db." + LAB)) == ["10.244.1.20"]
    assert answers(dns.ask("DB-1.db." + LAB)) == ["10.244.2.21"]
    assert dns.ask("db-2.db." + LAB).header.rcode == RCODE.NXDOMAIN  # not ready
    assert dns.ask("10-244-1-23.db." + LAB).header.rcode == RCODE.NXDOMAIN  # terminating
    # an endpoint that has a hostname is not reachable by its dashed IP
    assert dns.ask("10-244-1-20.db." + LAB).header.rcode == RCODE.NXDOMAIN


def test_headless_srv_has_one_record_per_ready_endpoint_with_weights_and_glue(dns):
    reply = dns.ask("_pg._tcp.db." + LAB, "SRV")
    assert sorted((r.rdata.weight, r.rdata.port, str(r.rdata.target)) for r in reply.rr) == [
        (50, 5432, "db-0.db." + LAB), (50, 5432, "db-1.db." + LAB)]
    assert sorted((str(r.rname), str(r.rdata)) for r in reply.ar) == [
        ("db-0.db." + LAB, "10.244.1.20"), ("db-1.db." + LAB, "10.244.2.21")]


def test_endpoints_without_hostname_are_named_by_dashed_ip_also_under_clusterip_services(dns):
    assert answers(dns.ask("10-244-1-10.web." + LAB)) == ["10.244.1.10"]
    assert dns.ask("10-244-2-12.web." + LAB).header.rcode == RCODE.NXDOMAIN  # not ready


def test_ipv6_endpoints_have_aaaa_and_dashed_names_and_ipv6_pod_names_work(dns):
    assert answers(dns.ask("v6." + LAB, "AAAA")) == ["fd00:10:244:1::5"]
    assert dns.ask("v6." + LAB, "A").header.rcode == RCODE.NOERROR  # NODATA: the name exists
    assert answers(dns.ask("fd00-10-244-1--5.v6." + LAB, "AAAA")) == ["fd00:10:244:1::5"]
    assert answers(dns.ask("fd00-10-244-1--9.lab.pod.cluster.local.", "AAAA")) == ["fd00:10:244:1::9"]


def test_publish_not_ready_addresses_publishes_unready_endpoints(dns):
    assert answers(dns.ask("peers." + LAB)) == ["10.244.1.30"]
    assert answers(dns.ask("10-244-1-30.peers." + LAB)) == ["10.244.1.30"]


def test_ptr_for_a_cluster_ip_names_the_service(dns):
    reply = dns.ask("5.10.96.10.in-addr.arpa.", "PTR")
    assert reply.header.aa == 1 and answers(reply) == ["web." + LAB]


def test_ptr_for_ready_endpoint_ips_names_the_endpoint(dns):
    assert answers(dns.ask("20.1.244.10.in-addr.arpa.", "PTR")) == ["db-0.db." + LAB]
    assert answers(dns.ask("10.1.244.10.in-addr.arpa.", "PTR")) == ["10-244-1-10.web." + LAB]


def test_ptr_for_an_ipv6_cluster_ip(dns):
    nibbles = "6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa."
    assert answers(dns.ask(nibbles, "PTR")) == ["dual." + LAB]


def test_ptr_for_an_unknown_pod_ip_is_nxdomain_with_the_reverse_soa(dns):
    reply = dns.ask("22.2.244.10.in-addr.arpa.", "PTR")  # db-2: not ready
    assert reply.header.rcode == RCODE.NXDOMAIN
    assert soa_fields(reply)[:4] == ("in-addr.arpa.", 5, "ns.dns.in-addr.arpa.", "hostmaster.in-addr.arpa.")


def test_externalname_is_a_cname_followed_inside_the_zone(dns):
    reply = dns.ask("alias." + LAB)
    assert [(QTYPE[r.rtype], str(r.rdata)) for r in reply.rr] == [("CNAME", "web." + LAB), ("A", "10.96.10.5")]
    cname_only = dns.ask("alias." + LAB, "CNAME")
    assert answers(cname_only) == ["web." + LAB]


def test_pod_records_answer_any_ip_shaped_label_in_an_existing_namespace(dns):
    assert answers(dns.ask("10-244-1-99.lab.pod.cluster.local.")) == ["10.244.1.99"]
    assert dns.ask("10-244-1-99.nowhere.pod.cluster.local.").header.rcode == RCODE.NXDOMAIN
    assert dns.ask("not-an-ip.lab.pod.cluster.local.").header.rcode == RCODE.NXDOMAIN


def test_dns_version_txt(dns):
    reply = dns.ask("dns-version.cluster.local.", "TXT")
    assert answers(reply) == ['"1.1.0"'] and reply.rr[0].ttl == 28800


@pytest.mark.parametrize("qtype", ["AXFR", "IXFR"])
def test_zone_transfers_are_refused(dns, qtype):
    assert dns.ask("cluster.local.", qtype, tcp=True).header.rcode == RCODE.REFUSED


def test_srv_for_cluster_dns_itself_like_a_client_library_would_look_it_up(dns):
    reply = dns.ask("_dns._udp.kube-dns.kube-system.svc.cluster.local.", "SRV")
    assert [(r.rdata.port, str(r.rdata.target)) for r in reply.rr] == [(53, "kube-dns.kube-system.svc.cluster.local.")]

"""Chain names must be the ones a learner sees on a real node (kube-proxy.md worked examples)."""

from kubenet.proxy import hashing
from kubenet.proxy.serviceport import ServicePortName


def test_service_chain_for_named_tcp_port():
    assert hashing.service_chain(ServicePortName("ns1", "svc1", "p80", "TCP")) == "KUBE-SVC-XPGD46QRK7WJZT7O"


def test_endpoint_chain_includes_endpoint_ip_and_port():
    name = ServicePortName("ns1", "svc1", "p80", "TCP")
    assert hashing.endpoint_chain(name, "10.180.0.1:80") == "KUBE-SEP-SXIVWICOYRO3J4NJ"


def test_kubernetes_api_service_chain():
    assert hashing.service_chain(ServicePortName("default", "kubernetes", "https", "TCP")) == (
        "KUBE-SVC-NPX46M4PTMTKRN6Y")


def test_kube_dns_udp_chain_uses_lower_case_protocol():
    assert hashing.service_chain(ServicePortName("kube-system", "kube-dns", "dns", "UDP")) == (
        "KUBE-SVC-TCOU7JCQXEZGVUNU")


def test_all_per_service_chains_share_one_hash_and_fit_iptables_limit():
    name = ServicePortName("ns1", "svc1", "p80", "TCP")
    suffix = "XPGD46QRK7WJZT7O"
    assert hashing.local_service_chain(name) == "KUBE-SVL-" + suffix
    assert hashing.external_chain(name) == "KUBE-EXT-" + suffix
    assert hashing.firewall_chain(name) == "KUBE-FW-" + suffix
    assert all(len(c) <= 28 for c in (hashing.endpoint_chain(name, "10.180.0.1:80"), hashing.service_chain(name)))


def test_unnamed_port_hashes_without_colon():
    unnamed = ServicePortName("ns1", "svc1", "", "TCP")
    assert str(unnamed) == "ns1/svc1"
    assert hashing.service_chain(unnamed) == "KUBE-SVC-" + hashing.hash16("ns1/svc1tcp")


def test_is_service_chain_only_matches_per_service_chains():
    assert hashing.is_service_chain("KUBE-SEP-SXIVWICOYRO3J4NJ")
    assert not hashing.is_service_chain("KUBE-SERVICES")
    assert not hashing.is_service_chain("KUBE-MARK-MASQ")

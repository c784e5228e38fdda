"""Which UDP conntrack flows are stale after an endpoint goes away."""

from kubenet.proxy.conntrack import parse_flows, stale_udp_flows
from kubenet.proxy.endpoints import Endpoint
from kubenet.proxy.serviceport import ServicePortInfo, ServicePortName

LISTING = """\
udp      17 27 src=10.244.0.5 dst=10.96.0.10 sport=40000 dport=53 src=10.244.0.7 dst=10.244.0.5 sport=53 dport=40000 mark=0 use=1
udp      17 25 src=10.244.0.6 dst=10.96.0.10 sport=40001 dport=53 [UNREPLIED] src=10.244.0.8 dst=10.244.0.6 sport=53 dport=40001 mark=0 use=1
udp      17 20 src=172.18.0.1 dst=172.18.0.2 sport=5000 dport=30053 src=10.244.0.8 dst=10.244.0.1 sport=53 dport=5000 mark=0 use=1
udp      17 20 src=10.244.0.5 dst=10.96.0.99 sport=5000 dport=53 src=10.96.0.99 dst=10.244.0.5 sport=53 dport=5000 mark=0 use=1
tcp      6 431999 ESTABLISHED src=10.244.0.5 dst=10.96.0.1 sport=5 dport=443 src=172.18.0.1 dst=10.244.0.5 sport=6443 dport=5 [ASSURED] mark=0 use=1
"""
DNS = ServicePortName("kube-system", "kube-dns", "dns", "UDP")


def test_parse_flows_reads_original_and_reply_direction():
    flows = parse_flows(LISTING)
    assert len(flows) == 5
    assert (flows[1].orig_dst, flows[1].orig_dport, flows[1].reply_src) == ("10.96.0.10", 53, "10.244.0.8")


def test_flows_to_removed_endpoint_or_deleted_service_are_stale():
    services = {DNS: ServicePortInfo(cluster_ip="10.96.0.10", cluster_ips=("10.96.0.10",), port=53,
                                     protocol="UDP", node_port=30053)}
    endpoints = {DNS: [Endpoint("10.244.0.7", 53), Endpoint("10.244.0.9", 53, ready=False, serving=False)]}
    removed = {ServicePortName("ns", "gone", "", "UDP"): ServicePortInfo(
        cluster_ip="10.96.0.99", cluster_ips=("10.96.0.99",), port=53, protocol="UDP")}
    stale = stale_udp_flows(parse_flows(LISTING), services, endpoints, removed)
    # .7 still serves; .8 is gone (via ClusterIP and via NodePort); 10.96.0.99 was deleted; TCP is left alone.
    assert [(f.orig_dst, f.reply_src) for f in stale] == [
        ("10.96.0.10", "10.244.0.8"), ("172.18.0.2", "10.244.0.8"), ("10.96.0.99", "10.96.0.99")]

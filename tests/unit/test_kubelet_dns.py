"""A Pod's resolv.conf and hosts file, per dnsPolicy and dnsConfig (kubelet rules in dns.md)."""
from __future__ import annotations

from kubenet.kubelet.dns import ResolvConf, parse_resolv_conf, pod_hosts_file, pod_resolv_conf

NODE = parse_resolv_conf("nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n")


def pod(namespace="lab", **spec) -> dict:
    return {"metadata": {"name": "web-0", "namespace": namespace}, "spec": spec}


def test_cluster_first_points_at_cluster_dns_with_the_search_path():
    text = pod_resolv_conf(pod(), NODE, "10.96.0.10", "cluster.local").render()
    assert text == ("search lab.svc.cluster.local svc.cluster.local cluster.local corp.example\n"
                    "nameserver 10.96.0.10\noptions ndots:5\n")


def test_default_policy_copies_the_node_and_host_network_falls_back_to_it():
    assert pod_resolv_conf(pod(dnsPolicy="Default"), NODE, "10.96.0.10", "cluster.local").nameservers == \
        ["192.0.2.53"]
    host = pod_resolv_conf(pod(hostNetwork=True), NODE, "10.96.0.10", "cluster.local")
    assert host.nameservers == ["192.0.2.53"]
    with_host_net = pod_resolv_conf(pod(hostNetwork=True, dnsPolicy="ClusterFirstWithHostNet"), NODE,
                                    "10.96.0.10", "cluster.local")
    assert with_host_net.nameservers == ["10.96.0.10"]


def test_none_takes_everything_from_dns_config_and_options_merge_by_name():
    conf = pod_resolv_conf(pod(dnsPolicy="None", dnsConfig={
        "nameservers": ["1.1.1.1", "1.1.1.1", "8.8.8.8"], "searches": ["a.example"],
        "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}), NODE, "10.96.0.10", "cluster.local")
    assert conf.nameservers == ["1.1.1.1", "8.8.8.8"] and conf.searches == ["a.example"]
    assert conf.options == ["ndots:2", "edns0"]
    merged = pod_resolv_conf(pod(dnsConfig={"options": [{"name": "ndots", "value": "1"}]}), NODE, "10.96.0.10",
                             "cluster.local")
    assert merged.options == ["ndots:1"]


def test_at_most_three_nameservers():
    conf = pod_resolv_conf(pod(dnsConfig={"nameservers": ["1.0.0.1", "1.0.0.2", "1.0.0.3"]}), NODE, "10.96.0.10",
                           "cluster.local")
    assert conf.nameservers == ["10.96.0.10", "1.0.0.1", "1.0.0.2"]


def test_hosts_file_names_the_pod_and_its_subdomain_fqdn():
    hosts = pod_hosts_file(pod(hostname="web-0", subdomain="web"), "10.244.1.5", "cluster.local")
    assert "10.244.1.5\tweb-0.web.lab.svc.cluster.local\tweb-0" in hosts
    assert "127.0.0.1\tlocalhost" in hosts
    assert ResolvConf(["10.96.0.10"]).render() == "nameserver 10.96.0.10\n"

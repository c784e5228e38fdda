"""The library door, as the kubelet uses it: a .conflist chain called in-process with the node netns given."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading

import pytest

from cni.api import (
    CNIError,
    RuntimeConf,
    add_network_list,
    check_network_list,
    del_network_list,
    gc_network_list,
    load_conflist,
    status_network_list,
)
from cni.testing import delete_netns, new_netns, ping

pytestmark = [pytest.mark.root,
              pytest.mark.skipif(os.geteuid() != 0, reason="needs root and network namespaces")]


@pytest.fixture
def cluster_node():
    made: list[str] = []
    state = tempfile.mkdtemp(prefix="kntc-state-")
    try:
        made.append(new_netns("node"))
        for _ in range(2):
            made.append(new_netns("pod"))
        conflist = load_conflist({
            "cniVersion": "1.1.0", "name": "kntc-pods", "cacheDir": os.path.join(state, "cache"),
            "plugins": [
                {"type": "kubenet-bridge", "bridge": "cni0", "isGateway": True, "isDefaultGateway": True,
                 "ipMasq": True, "hairpinMode": True, "mtu": 1450,
                 "ipam": {"type": "host-local", "dataDir": os.path.join(state, "ipam"),
                          "ranges": [[{"subnet": "10.251.0.0/24"}]],
                          "routes": [{"dst": "10.96.0.0/12"}]}},
                {"type": "portmap", "capabilities": {"portMappings": True}},
                {"type": "loopback"},
            ]})
        yield made[0], made[1:], conflist, state
    finally:
        for path in reversed(made):
            delete_netns(path)
        shutil.rmtree(state, ignore_errors=True)


def nat_rules(node_ns: str) -> str:
    return subprocess.run(["ip", "netns", "exec", os.path.basename(node_ns), "iptables-save", "-t", "nat"],
                          capture_output=True, text=True, check=True).stdout


def ip_in(netns: str, *args: str) -> str:
    return subprocess.run(["ip", "-n", os.path.basename(netns), *args], capture_output=True, text=True, check=False).stdout


def test_chain_add_check_del_from_a_kubelet_thread(cluster_node):
    node_ns, (pod, other), conflist, state = cluster_node
    own_netns = os.readlink("/proc/self/ns/net")
    rt = RuntimeConf("pod-a", pod, capability_args={"portMappings": [
        {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]})
    box: dict = {}
    worker = threading.Thread(target=lambda: box.update(result=add_network_list(conflist, rt, host_netns=node_ns)))
    worker.start()
    worker.join()
    result = box["result"]
    assert os.readlink("/proc/self/ns/net") == own_netns  # the caller never left its netns
    assert "cni0" not in ip_in(pod, "link")  # the bridge lives in the node netns only
    assert result["cniVersion"] == "1.1.0" and result["interfaces"][2]["mtu"] == 1450
    assert result["routes"] == [{"dst": "10.96.0.0/12"}, {"dst": "0.0.0.0/0", "gw": "10.251.0.1"}]
    assert "10.96.0.0/12 via 10.251.0.1" in ip_in(pod, "route")
    assert "cni0" in ip_in(node_ns, "link")
    cache = os.path.join(state, "cache", "results", "kntc-pods-pod-a-eth0")
    with open(cache) as f:
        assert json.load(f)["result"] == result
    rules = nat_rules(node_ns)
    assert "-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment \"dnat name: \\\"kntc-pods\\\" id: \\\"pod-a\\\"\"" in rules
    assert "--to-destination 10.251.0.2:80" in rules and "CNI-HOSTPORT-MASQ" in rules
    localnet = subprocess.run(["ip", "netns", "exec", os.path.basename(node_ns), "sysctl", "-n",
                               "net.ipv4.conf.cni0.route_localnet"], capture_output=True, text=True, check=False).stdout
    assert localnet.strip() == "1"  # portmap: 127.0.0.1:hostPort may be routed to the pod
    check_network_list(conflist, rt, host_netns=node_ns)
    status_network_list(conflist, host_netns=node_ns)

    rt_b = RuntimeConf("pod-b", other)
    add_network_list(conflist, rt_b, host_netns=node_ns)
    assert ping(other, "10.251.0.2") and ping(pod, "10.251.0.3")

    del_network_list(conflist, rt, host_netns=node_ns)
    del_network_list(conflist, rt, host_netns=node_ns)  # twice is fine
    assert not os.path.exists(cache)
    rules = nat_rules(node_ns)
    assert "10.251.0.2" not in rules and 'id: \\"pod-b\\"' in rules
    with pytest.raises(CNIError):
        check_network_list(conflist, rt, host_netns=node_ns)  # no cached result any more
    leases = os.listdir(os.path.join(state, "ipam", "kntc-pods"))
    assert "10.251.0.2" not in leases and "10.251.0.3" in leases


def test_gc_releases_everything_not_listed(cluster_node):
    node_ns, pods, conflist, state = cluster_node
    for i, pod in enumerate(pods):
        add_network_list(conflist, RuntimeConf(f"gc-{i}", pod, capability_args={"portMappings": [
            {"hostPort": 9000 + i, "containerPort": 80}]}), host_netns=node_ns)
    gc_network_list(conflist, [{"containerID": "gc-1", "ifname": "eth0"}], host_netns=node_ns)
    leases = sorted(f for f in os.listdir(os.path.join(state, "ipam", "kntc-pods")) if f[0].isdigit())
    assert leases == ["10.251.0.3"]
    rules = nat_rules(node_ns)
    assert 'id: \\"gc-0\\"' not in rules and 'id: \\"gc-1\\"' in rules
    assert os.listdir(os.path.join(state, "cache", "results")) == ["kntc-pods-gc-1-eth0"]


def test_add_into_a_missing_netns_is_an_error_and_leaks_nothing(cluster_node):
    node_ns, _, conflist, state = cluster_node
    with pytest.raises(CNIError) as err:
        add_network_list(conflist, RuntimeConf("ghost", "/run/netns/kntc-pod-does-not-exist"), host_netns=node_ns)
    assert err.value.code == 3
    store = os.path.join(state, "ipam", "kntc-pods")
    assert not os.path.isdir(store) or not [f for f in os.listdir(store) if f[0].isdigit()]
    with pytest.raises(CNIError) as bad:
        add_network_list(conflist, RuntimeConf("bad id!", "/run/netns/x"), host_netns=node_ns)
    assert bad.value.code == 4

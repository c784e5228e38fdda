"""The kernel inventory of a live cluster agrees with what kubectl says and with the kernel's own tools."""
from __future__ import annotations

import json

import pytest

from kubenet.cluster.inventory import Inventory
from kubenet.proxy.hashing import service_chain
from kubenet.proxy.serviceport import ServicePortName
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.root, pytest.mark.slow]


def test_inventory_lists_a_pods_netns_veth_lease_and_the_service_chains_and_down_removes_them(
        sandbox_cluster_factory):
    cluster = sandbox_cluster_factory(nodes=1)
    cluster.kubectl("run", "inv", "--image=busybox")

    def running() -> dict | None:
        pod = json.loads(cluster.kubectl("get", "pod", "inv", "-o", "json"))
        return pod if pod["status"].get("phase") == "Running" and pod["status"].get("podIP") else None

    pod = wait_for(running, what="the pod running with an IP")
    config = cluster.config
    node = config.node_names[0]
    inventory = Inventory(config)

    roles = {ns.name: ns.role for ns in inventory.netns()}
    assert roles[config.sandbox_netns] == "sandbox" and roles[config.node_netns(node)] == "node"
    pod_netns = [name for name, role in roles.items() if role == "pod"]
    assert pod_netns and all(name.startswith(config.pod_netns_prefix()) for name in pod_netns)

    leases = {le.ip: le for le in inventory.leases()}
    assert leases[pod["status"]["podIP"]].node == node

    links = inventory.links()
    node_links = {(link.name, link.master) for link in links if link.netns == config.node_netns(node)}
    assert ("cni0", "") in node_links and ("eth0", "") in node_links
    assert any(master == "cni0" for _, master in node_links)  # the Pod's veth end on the node's bridge
    uplink = next(link for link in links if link.netns == config.sandbox_netns and link.name == config.node_uplink(node))
    assert (uplink.kind, uplink.master) == ("veth", config.bridge)

    node_routes = [r for r in inventory.routes() if r.netns == config.sandbox_netns and r.via == config.node_ip(0)]
    assert node_routes  # the host's route to the node's podCIDR goes through the node

    kubernetes = service_chain(ServicePortName("default", "kubernetes", "https", "TCP"))
    chains = {(c.netns, c.table, c.name) for c in inventory.chains()}
    assert (config.node_netns(node), "nat", kubernetes) in chains
    assert (config.sandbox_netns, "nat", f"KN-MASQ-{config.bridge}") in chains
    assert not any(name in ("INPUT", "PREROUTING", "POSTROUTING") for _, _, name in chains)

    assert cluster.down().returncode == 0
    assert Inventory(config).netns() == []

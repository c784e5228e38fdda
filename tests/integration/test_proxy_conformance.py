"""What a user sees from kube-proxy, whichever backend programs the node: one run per registered proxy mode.

Adding a backend to kubenet/proxy/backend.py adds its parameter here; nothing in this file names a mode. The
checks are the user's: a ClusterIP and a NodePort reach an endpoint, a Service without endpoints refuses at
once, a removed Service leaves nothing of it in the kernel, and cleanup() leaves nothing of kube-proxy.
Topology and HTTP servers are test_proxy_iptables.py's real namespaces (module-scoped: built once here).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from kubenet.proxy.backend import ProxyConfig, backend_info, registered_modes
from kubenet.proxy.kube_proxy import Proxier
from tests.integration.test_proxy_iptables import (  # noqa: F401 - topo is a fixture used by name
    CLUSTER_IP,
    NODE_IP,
    NODE_NAME,
    NODE_PORT,
    POD_IPS,
    Topology,
    answers,
    in_ns,
    topo,
    web_service,
    web_slice,
)

pytestmark = [pytest.mark.root, pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")]


@pytest.fixture(params=registered_modes())
def proxier(request: pytest.FixtureRequest, topo: Topology) -> Iterator[Proxier]:  # noqa: F811
    p = Proxier(ProxyConfig(NODE_NAME, (NODE_IP,), "10.244.0.0/16", topo.node, mode=request.param))
    try:
        yield p
    finally:
        p.cleanup()
        in_ns(topo.node, "conntrack", "-F", check=False)


def kernel_state(topo: Topology, proxier: Proxier) -> str:  # noqa: F811
    """What the mode's own tool prints in the node (iptables-save, nft list ruleset, ipvsadm -Ln ...)."""
    return in_ns(topo.node, *backend_info(proxier.config.mode).show_argv).stdout


def test_cluster_ip_and_node_port_reach_the_endpoints(topo: Topology, proxier: Proxier):  # noqa: F811
    proxier.on_service("ADDED", web_service())
    proxier.on_endpoint_slice("ADDED", web_slice(*POD_IPS.values()))
    proxier.sync()
    assert answers(topo, topo.client, f"http://{CLUSTER_IP}/", tries=12) == set(POD_IPS)
    assert answers(topo, topo.host, f"http://{NODE_IP}:{NODE_PORT}/", tries=4) <= set(POD_IPS)
    assert topo.curl(topo.host, f"http://{NODE_IP}:{NODE_PORT}/").stdout in POD_IPS


def test_a_service_without_endpoints_refuses_at_once(topo: Topology, proxier: Proxier):  # noqa: F811
    proxier.on_service("ADDED", web_service())
    proxier.sync()
    start = time.monotonic()
    result = topo.curl(topo.client, f"http://{CLUSTER_IP}/")
    assert result.returncode == 7  # curl's "Failed to connect": a reject, not a 2 s timeout
    assert time.monotonic() - start < 1.5


def test_a_removed_service_leaves_nothing_of_it(topo: Topology, proxier: Proxier):  # noqa: F811
    proxier.on_service("ADDED", web_service())
    proxier.on_endpoint_slice("ADDED", web_slice(*POD_IPS.values()))
    proxier.sync()
    assert "default/web" in kernel_state(topo, proxier)
    proxier.on_service("DELETED", web_service())
    proxier.on_endpoint_slice("DELETED", web_slice())
    proxier.sync()
    assert "default/web" not in kernel_state(topo, proxier)
    proxier.cleanup()
    assert "KUBE-" not in kernel_state(topo, proxier).upper()  # KUBE-* chains, nftables' kube-proxy table

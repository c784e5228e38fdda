"""The proxy backend registry: what `--proxy-mode` accepts and how it refuses the rest."""

import pytest

from kubenet.cli.cluster import cmd_up
from kubenet.cli.main import build_parser
from kubenet.proxy.backend import (
    ProxyBackend,
    ProxyConfig,
    UnknownProxyMode,
    backend_info,
    new_backend,
    registered_modes,
)
from kubenet.proxy.iptables import IPTablesProxier
from kubenet.proxy.kube_proxy import Proxier
from tests.unit.test_proxy_objects import port, service


def test_iptables_is_registered_and_built_from_the_config():
    assert registered_modes() == ("iptables",)
    backend = new_backend(ProxyConfig("n", ("172.18.0.2",), "10.244.0.0/16", "kntp-x"))
    assert isinstance(backend, IPTablesProxier) and isinstance(backend, ProxyBackend)
    assert backend.netns.argv(["iptables-save"]) == ["ip", "netns", "exec", "kntp-x", "iptables-save"]


def test_a_mode_kube_proxy_has_but_kubenet_lacks_says_so():
    with pytest.raises(UnknownProxyMode, match='proxy mode "nftables" is not implemented in kubenet yet '
                                               r'\(available: iptables\)'):
        backend_info("nftables")
    with pytest.raises(UnknownProxyMode, match='invalid proxy mode "userspace": must be iptables'):
        Proxier(ProxyConfig("n", ("172.18.0.2",), "10.244.0.0/16", mode="userspace"))


def test_up_refuses_an_unimplemented_mode_before_doing_anything(capsys):
    args = build_parser().parse_args(["up", "--name", "kx-never", "--proxy-mode", "ipvs"])
    assert cmd_up(args) == 1
    assert capsys.readouterr().err == 'ERROR: proxy mode "ipvs" is not implemented in kubenet yet (available: iptables)\n'


def test_unimplemented_node_port_addresses_are_refused_not_ignored():
    with pytest.raises(ValueError, match="node_port_addresses"):
        new_backend(ProxyConfig("n", ("172.18.0.2",), "10.244.0.0/16", node_port_addresses=("172.18.0.0/16",)))


def test_the_shared_proxier_renders_through_its_backend_without_consuming_changes():
    proxier = Proxier(ProxyConfig("n", ("172.18.0.2",), "10.244.0.0/16"))
    proxier.on_service("ADDED", service("ns1", "svc1", "172.30.0.41", [port("p80", 80)]))
    assert '"ns1/svc1:p80 has no endpoints"' in proxier.render(full=True)
    assert proxier.state.has_pending_changes()

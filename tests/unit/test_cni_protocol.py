"""The CNI protocol without the kernel: env checks, config errors, versions, IPAM files, rule text."""
from __future__ import annotations

import io
import json
import os

import pytest

from cni import hostlocal, iptables
from cni.errors import CNIError
from cni.ipnet import IPAddress, IPPrefix
from cni.main import run
from cni.spec import convert_result, invocation_from_env


def call(env: dict[str, str], stdin: bytes) -> tuple[int, dict]:
    out = io.StringIO()
    code = run(env, io.BytesIO(stdin), out)
    return code, json.loads(out.getvalue()) if out.getvalue() else {}


ENV = {"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "abc", "CNI_NETNS": "/run/netns/x", "CNI_IFNAME": "eth0"}
CONF = {"cniVersion": "1.0.0", "name": "net", "type": "bridge",
        "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.9.0.0/24"}]]}}


def test_version_lists_what_we_speak():
    code, out = call({"CNI_COMMAND": "VERSION"}, b'{"cniVersion":"1.1.0"}')
    assert code == 0 and out["cniVersion"] == "1.1.0"
    assert {"0.4.0", "1.0.0", "1.1.0"} <= set(out["supportedVersions"])


@pytest.mark.parametrize("env", [
    {"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "-bad", "CNI_NETNS": "/x", "CNI_IFNAME": "eth0"},
    {"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "ok", "CNI_NETNS": "/x", "CNI_IFNAME": "a/b"},
    {"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "ok", "CNI_NETNS": "/x", "CNI_IFNAME": "x" * 16},
    {"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "ok", "CNI_NETNS": "/x", "CNI_IFNAME": ".."},
    {"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "ok", "CNI_IFNAME": "eth0"},
    {"CNI_COMMAND": "DEL", "CNI_IFNAME": "eth0"},
    {"CNI_COMMAND": "FROB"},
])
def test_bad_environment_is_error_4_on_stdout(env):
    code, out = call(env, json.dumps(CONF).encode())
    assert code == 1 and out["code"] == 4 and out["cniVersion"] == "1.0.0" and out["msg"]


def test_undecodable_config_is_6_and_invalid_config_is_7():
    assert call(ENV, b"{not json")[1]["code"] == 6
    assert call(ENV, b'{"cniVersion":"1.0.0","type":"bridge"}')[1]["code"] == 7  # no name
    assert call(ENV, b"[1,2]")[1]["code"] == 7
    bad_ipam = dict(CONF, ipam={"type": "host-local", "ranges": [[{"subnet": "nope"}]]})
    assert call(ENV, json.dumps(bad_ipam).encode())[1]["code"] == 7


def test_unknown_version_is_1_and_gc_needs_1_1():
    assert call(ENV, json.dumps(dict(CONF, cniVersion="9.9.9")).encode())[1]["code"] == 1
    assert call({"CNI_COMMAND": "GC"}, json.dumps(CONF).encode())[1]["code"] == 1


def test_cni_args_parse():
    inv = invocation_from_env(dict(ENV, CNI_ARGS="K8S_POD_NAME=web;IgnoreUnknown=1"))
    assert inv.args == {"K8S_POD_NAME": "web", "IgnoreUnknown": "1"}


def test_chain_names_match_the_reference_test_vector():
    assert iptables.masq_chain("test", "1234") == "CNI-2bbe0c48b91a7d1b8a6753a8"
    assert iptables.dnat_chain("test", "1234") == "CNI-DN-2bbe0c48b91a7d1b8a675"


def test_results_take_the_shape_of_their_version():
    result = {"interfaces": [{"name": "eth0", "mac": "aa", "mtu": 1500, "sandbox": "/x"}],
              "ips": [{"address": "10.0.0.2/24", "interface": 0}]}
    assert "mtu" in convert_result(result, "1.1.0")["interfaces"][0]
    assert "mtu" not in convert_result(result, "1.0.0")["interfaces"][0]
    assert convert_result(result, "0.4.0")["ips"][0]["version"] == "4"


def test_host_local_layout_round_robin_and_release(tmp_path):
    cfg = hostlocal.parse_ipam_config("net", {"type": "host-local", "dataDir": str(tmp_path),
                                              "ranges": [[{"subnet": "10.9.0.0/29"}]]})
    first = hostlocal.allocate(cfg, "c1", "eth0")
    assert first["ips"] == [{"address": "10.9.0.2/29", "gateway": "10.9.0.1"}]
    store = tmp_path / "net"
    assert (store / "10.9.0.2").read_bytes() == b"c1\r\neth0"
    assert (store / "last_reserved_ip.0").read_text() == "10.9.0.2"
    assert (store / "lock").exists()
    with pytest.raises(CNIError) as dup:
        hostlocal.allocate(cfg, "c1", "eth0")
    assert dup.value.code == 102
    assert hostlocal.allocate(cfg, "c2", "eth0")["ips"][0]["address"] == "10.9.0.3/29"
    assert hostlocal.release(cfg, "c1", "eth0") == [IPAddress.parse("10.9.0.2")]
    assert hostlocal.release(cfg, "c1", "eth0") == []  # DEL of an unknown ID succeeds
    # round robin: the freed .2 is not handed out before the rest of the range
    assert [hostlocal.allocate(cfg, f"d{i}", "eth0")["ips"][0]["address"] for i in range(4)] == \
        ["10.9.0.4/29", "10.9.0.5/29", "10.9.0.6/29", "10.9.0.2/29"]
    with pytest.raises(CNIError) as full:
        hostlocal.allocate(cfg, "e", "eth0")
    assert full.value.code == 101
    assert hostlocal.free_count(cfg) == 0
    stale = hostlocal.gc(cfg, {("d0", "eth0")})
    assert {le.container_id for le in stale} == {"c2", "d1", "d2", "d3"}
    assert sorted(os.listdir(store)) == ["10.9.0.4", "last_reserved_ip.0", "lock"]


def test_last_reserved_ip_is_exactly_the_last_address_when_it_gets_shorter(tmp_path):
    cfg = hostlocal.parse_ipam_config("net", {"type": "host-local", "dataDir": str(tmp_path), "ranges": [
        [{"subnet": "10.9.0.0/24", "rangeStart": "10.9.0.8", "rangeEnd": "10.9.0.10"}]]})
    for i in range(3):
        hostlocal.allocate(cfg, f"c{i}", "eth0")
    last = tmp_path / "net" / "last_reserved_ip.0"
    assert last.read_bytes() == b"10.9.0.10"
    hostlocal.release(cfg, "c0", "eth0")
    assert hostlocal.allocate(cfg, "c3", "eth0")["ips"][0]["address"] == "10.9.0.8/24"  # wrapped around
    assert last.read_bytes() == b"10.9.0.8"
    assert (tmp_path / "net" / "10.9.0.8").read_bytes() == b"c3\r\neth0"


def test_masquerade_rules_read_like_the_reference():
    pod = IPPrefix.parse("10.244.1.2/24")
    lines = iptables.masq_add_rules(pod, "CNI-x", iptables.comment("test", "1234"))
    assert lines[-1] == '-A POSTROUTING -s 10.244.1.2/32 -m comment --comment "name: \\"test\\" id: \\"1234\\"" -j CNI-x'
    nat = iptables.NatTable.parse("*nat\n:POSTROUTING ACCEPT [0:0]\n:CNI-x - [0:0]\n" + "\n".join(lines[1:]) + "\nCOMMIT\n")
    assert nat.owners() == {"CNI-x": ("POSTROUTING", "test", "1234")}
    teardown = iptables.teardown_rules(nat, {"CNI-x"})
    assert teardown[0].startswith("-D POSTROUTING -s 10.244.1.2/32") and teardown[-2:] == ["-F CNI-x", "-X CNI-x"]
    assert iptables.teardown_rules(iptables.NatTable(set(), []), {"CNI-x"}) == []


def test_portmap_rules_group_ports_per_protocol():
    nat = iptables.NatTable({"PREROUTING", "OUTPUT", "POSTROUTING"}, [])
    maps = [iptables.PortMapping(8080, 80), iptables.PortMapping(5353, 53, "udp", "10.0.0.1")]
    lines = iptables.portmap_add_rules(nat, "test", "1234", IPPrefix.parse("10.244.1.2/24"), maps)
    chain = "CNI-DN-2bbe0c48b91a7d1b8a675"
    assert f"-A {chain} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.244.1.2:80" in lines
    assert f"-A {chain} -s 10.244.1.0/24 -d 10.0.0.1/32 -p udp -m udp --dport 5353 -j CNI-HOSTPORT-SETMARK" in lines
    assert "-I PREROUTING 1 -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT" in lines

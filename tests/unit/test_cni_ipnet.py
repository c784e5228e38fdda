"""cni.ipnet against the ipaddress module it replaces in the plugin: same text in and out, same arithmetic."""
from __future__ import annotations

import ipaddress
import random

import pytest

from cni import hostlocal
from cni.errors import CNIError
from cni.ipnet import IPAddress, IPPrefix, parse_network


def sample_values(n: int) -> list[tuple[int, int]]:
    rng = random.Random(7)
    out = [(4, 0), (4, 2**32 - 1), (6, 0), (6, 1), (6, 2**128 - 1), (6, 0xFFFF << 32), (6, 0x10000)]
    for _ in range(n):
        kind = rng.random()
        if kind < 0.3:
            out.append((4, rng.getrandbits(32)))
        elif kind < 0.5:
            out.append((6, rng.getrandbits(128)))
        elif kind < 0.6:  # IPv4-mapped and IPv4-compatible IPv6, which glibc alone would print dotted
            out.append((6, (rng.choice([0, 0xFFFF]) << 32) | rng.getrandbits(32)))
        else:  # runs of zero groups: where the "::" goes (RFC 5952 section 4.2)
            groups = [rng.getrandbits(16) if rng.random() < 0.4 else 0 for _ in range(8)]
            out.append((6, sum(g << (16 * i) for i, g in enumerate(groups))))
    return out


def test_addresses_print_and_parse_as_ipaddress_does():
    for version, value in sample_values(5000):
        theirs = ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)
        ours = IPAddress(value, version)
        assert str(ours) == str(theirs), hex(value)
        assert IPAddress.parse(str(theirs)) == ours
        assert ours.packed == theirs.packed and IPAddress.from_packed(theirs.packed) == ours


@pytest.mark.parametrize("text", ["010.1.1.1", "1.2.3", "1.2.3.256", " 1.2.3.4", "1.2.3.4\n", "1.2.3.4\0", "",
                                  "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "\u0661.2.3.4", "10.0.0.1/24", None, 5])
def test_what_is_not_an_address_is_a_value_error(text):
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        IPAddress.parse(text)


def test_prefixes_mask_contain_and_compare_like_ipaddress_networks():
    for text in ["10.244.1.5/24", "10.0.0.7/8", "0.0.0.0/0", "192.168.1.1/32", "10.1.2.3/31", "fd00::5/64",
                 "2001:db8::1/128", "::/0", "10.9.9.9"]:
        theirs = ipaddress.ip_interface(text)
        ours = IPPrefix.parse(text)
        assert (str(ours), str(ours.ip), ours.prefixlen, ours.version) == \
            (str(theirs), str(theirs.ip), theirs.network.prefixlen, theirs.version)
        assert str(ours.network) == str(theirs.network) == str(parse_network(text))
        assert str(ours.network_address) == str(theirs.network.network_address)
        assert str(ours.broadcast_address) == str(theirs.network.broadcast_address)
        for probe in (theirs.network.network_address, theirs.network.broadcast_address, theirs.ip + 0,
                      theirs.network.broadcast_address + 1 if theirs.network.prefixlen else None):
            if probe is not None and int(probe) < 2 ** theirs.max_prefixlen:
                assert (IPAddress.parse(str(probe)) in ours) == (probe in theirs.network), (text, probe)
    assert IPAddress.parse("::1") not in IPPrefix.parse("0.0.0.0/0")  # no containment across versions
    for bad in ["10.0.0.0/33", "fd00::/129", "10.0.0.0/+8", "10.0.0.0/ 8", "10.0.0.0/255.0.0.0", "10.0.0.0/", "x/8"]:
        with pytest.raises(ValueError):
            IPPrefix.parse(bad)


def test_addresses_order_hash_and_count():
    a, b, same_b = IPAddress.parse("10.0.0.9"), IPAddress.parse("10.0.0.10"), IPAddress.parse("10.0.0.10")
    assert a < b <= same_b and same_b >= b > a and sorted([b, a]) == [a, b]
    assert a + 1 == b and b - 1 == a and {a, IPAddress.parse("10.0.0.9")} == {a}
    assert IPAddress.parse("10.0.0.1") < IPAddress.parse("::1")  # v4 before v6, as a sort key
    with pytest.raises(ValueError):
        IPAddress.parse("255.255.255.255") + 1


def test_host_local_hands_out_a_range_that_ends_at_the_last_address(tmp_path):
    # A /31 at the top of the space: both addresses are usable (RFC 3021) and counting past the last one must
    # stop, not overflow.
    cfg = hostlocal.parse_ipam_config("top", {"type": "host-local", "dataDir": str(tmp_path), "ranges": [
        [{"subnet": "255.255.255.254/31", "gateway": "10.0.0.1"}]]})
    got = [hostlocal.allocate(cfg, f"c{i}", "eth0")["ips"][0]["address"] for i in range(2)]
    assert got == ["255.255.255.254/31", "255.255.255.255/31"]
    with pytest.raises(CNIError) as full:
        hostlocal.allocate(cfg, "c2", "eth0")
    assert full.value.code == 101

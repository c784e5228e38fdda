"""IP addresses and prefixes for the CNI plugins: an int and a version, parsed and printed by the C library.

Every module of the cni package uses these instead of the ipaddress module: a runtime starts the plugin for
every ADD and DEL, and ipaddress with the functools and collections it imports was a fifth of a run's CPU,
for the few things a plugin does with an address (parse it, mask it, count through a range, pack it for
netlink, print it). Text goes through inet_pton/inet_ntop (glibc), which read and write the forms
ipaddress does and Go's net.ParseIP and String (so lease file names match the reference host-local): dotted
quads without leading zeros, RFC 5952 compressed IPv6. Two differences on purpose: a scope ("fe80::1%eth0")
is refused, as the reference plugins refuse it in a config, and "::ffff:1.2.3.4" is read but printed in hex
("::ffff:102:304"), as ipaddress prints it, where inet_ntop would write the IPv4 part dotted.
"""
from __future__ import annotations

from _socket import AF_INET, AF_INET6, inet_ntop, inet_pton

_FAMILY = {4: AF_INET, 6: AF_INET6}
_BITS = {4: 32, 6: 128}


class IPAddress:
    """One IPv4 or IPv6 address: `value` is the address as an unsigned int, `version` 4 or 6."""
    __slots__ = ("value", "version")

    def __init__(self, value: int, version: int = 4) -> None:
        if version not in _BITS or not 0 <= value < 1 << _BITS[version]:
            raise ValueError(f"{value} is not an IPv{version} address")
        self.value = value
        self.version = version

    @classmethod
    def parse(cls, text: str) -> IPAddress:
        """"10.0.0.1" or "fd00::1"; ValueError for anything else."""
        version = 6 if isinstance(text, str) and ":" in text else 4
        try:
            packed = inet_pton(_FAMILY[version], text)
        except (OSError, TypeError, ValueError):  # OSError: not an address; the others: not a str, a NUL in it
            raise ValueError(f"{text!r} does not appear to be an IPv4 or IPv6 address") from None
        return cls(int.from_bytes(packed, "big"), version)

    @classmethod
    def from_packed(cls, packed: bytes) -> IPAddress:
        """The 4 or 16 bytes of an address in network order (as netlink carries it)."""
        if len(packed) not in (4, 16):
            raise ValueError(f"{len(packed)} bytes are not an IP address")
        return cls(int.from_bytes(packed, "big"), 4 if len(packed) == 4 else 6)

    @property
    def bits(self) -> int:
        return _BITS[self.version]

    @property
    def packed(self) -> bytes:
        return self.value.to_bytes(self.bits // 8, "big")

    def __add__(self, n: int) -> IPAddress:
        return IPAddress(self.value + n, self.version)

    def __sub__(self, n: int) -> IPAddress:
        return IPAddress(self.value - n, self.version)

    def _key(self) -> tuple[int, int]:
        return self.version, self.value

    # Ordered by version, then value, so a set of mixed addresses sorts (ipaddress refuses to compare them).
    def __eq__(self, other: object) -> bool:
        return isinstance(other, IPAddress) and self._key() == other._key()

    def __lt__(self, other: IPAddress) -> bool:
        return self._key() < other._key()

    def __le__(self, other: IPAddress) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: IPAddress) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: IPAddress) -> bool:
        return self._key() >= other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        high = self.value >> 32
        if self.version == 6 and (high == 0xFFFF or high == 0 and self.value >> 16):
            # IPv4-mapped and -compatible: glibc writes "::ffff:1.2.3.4" and "::1.2.3.4"; ipaddress and Go, hex.
            return f"::{'ffff:' if high else ''}{self.value >> 16 & 0xFFFF:x}:{self.value & 0xFFFF:x}"
        return inet_ntop(_FAMILY[self.version], self.packed)

    def __repr__(self) -> str:
        return f"IPAddress({str(self)!r})"


class IPPrefix:
    """An address with a prefix length, "10.244.1.5/24": what ipaddress calls an interface, and, through
    `network`, the network it belongs to ("10.244.1.0/24")."""
    __slots__ = ("ip", "prefixlen")

    def __init__(self, ip: IPAddress, prefixlen: int) -> None:
        if not 0 <= prefixlen <= ip.bits:
            raise ValueError(f"invalid prefix length {prefixlen} for IPv{ip.version}")
        self.ip = ip
        self.prefixlen = prefixlen

    @classmethod
    def parse(cls, text: str) -> IPPrefix:
        """"10.244.1.5/24" (host bits kept); a bare address is a full-length prefix. ValueError otherwise."""
        if not isinstance(text, str):
            raise ValueError(f"{text!r} does not appear to be an IPv4 or IPv6 prefix")  # noqa: TRY004 - as parse()
        address, slash, length = text.partition("/")
        ip = IPAddress.parse(address)
        if not slash:
            return cls(ip, ip.bits)
        if not (length.isascii() and length.isdigit()):  # no sign, spaces or netmask form, as Go's ParseCIDR
            raise ValueError(f"{text!r} does not appear to be an IPv4 or IPv6 prefix")
        return cls(ip, int(length))

    @property
    def version(self) -> int:
        return self.ip.version

    @property
    def _hostmask(self) -> int:
        return (1 << (self.ip.bits - self.prefixlen)) - 1

    @property
    def network_address(self) -> IPAddress:
        return IPAddress(self.ip.value & ~self._hostmask, self.ip.version)

    @property
    def broadcast_address(self) -> IPAddress:
        """The last address of the network (for IPv6 too, as ipaddress names it)."""
        return IPAddress(self.ip.value | self._hostmask, self.ip.version)

    @property
    def network(self) -> IPPrefix:
        return IPPrefix(self.network_address, self.prefixlen)

    def __contains__(self, ip: IPAddress) -> bool:
        return ip.version == self.ip.version and (ip.value ^ self.ip.value) & ~self._hostmask == 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IPPrefix) and (self.ip, self.prefixlen) == (other.ip, other.prefixlen)

    def __hash__(self) -> int:
        return hash((self.ip, self.prefixlen))

    def __str__(self) -> str:
        return f"{self.ip}/{self.prefixlen}"

    def __repr__(self) -> str:
        return f"IPPrefix({str(self)!r})"


def parse_network(text: str) -> IPPrefix:
    """A CIDR as a network: host bits cleared ("10.0.0.7/8" → 10.0.0.0/8), as ipaddress.ip_network(strict=False)
    and Go's net.ParseCIDR read a subnet or a route destination."""
    return IPPrefix.parse(text).network

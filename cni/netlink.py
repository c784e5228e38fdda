"""A small rtnetlink client over a raw AF_NETLINK socket: just the messages the CNI plugin sends.

Why not pyroute2: importing it costs ~0.18 s and opening an IPRoute in a pod netns ~17 ms
(ARCHITECTURE.md, performance notes); one request here is one sendto/recv, tens of microseconds.
Message layouts are the kernel's uapi (linux/netlink.h, rtnetlink.h, if_link.h, veth.h).
"""
from __future__ import annotations

# The C module itself: socket.py on top of it imports selectors and enum, ~10% of the plugin executable's start-up,
# for nothing a netlink socket uses (send, recv, bind, setsockopt and the AF_/SOCK_ constants are all here).
import _socket as socket
import _struct as struct  # struct.py only re-exports it
import errno
import posix  # not os: cni/main.py says why

from .ipnet import IPAddress, IPPrefix
from .netns import entered, open_netns

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Self

NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
NLM_F_ROOT, NLM_F_MATCH = 0x100, 0x200
NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE = 0x100, 0x200, 0x400
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK = 16, 17, 18, 19
RTM_NEWADDR, RTM_GETADDR = 20, 22
RTM_NEWROUTE, RTM_GETROUTE = 24, 26
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_MASTER = 1, 3, 4, 10
IFLA_PROTINFO, IFLA_LINKINFO, IFLA_NET_NS_FD = 12, 18, 28
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
VETH_INFO_PEER = 1
IFLA_BRPORT_MODE = 4  # hairpin
IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST = 1, 2, 4
RTA_DST, RTA_OIF, RTA_GATEWAY = 1, 4, 5
RT_TABLE_MAIN, RTPROT_BOOT, RTN_UNICAST = 254, 3, 1
RT_SCOPE_UNIVERSE, RT_SCOPE_LINK = 0, 253
IFF_UP, IFF_PROMISC = 0x1, 0x100
NLA_F_NESTED = 0x8000
AF_BRIDGE = 7

_NLMSGHDR = struct.Struct("=IHHII")
_IFINFOMSG = struct.Struct("=BxHiII")
_IFADDRMSG = struct.Struct("=BBBBI")
_RTMSG = struct.Struct("=BBBBBBBBI")


class NetlinkError(OSError):
    pass


def attr(kind: int, payload: bytes) -> bytes:
    n = 4 + len(payload)
    return struct.pack("=HH", n, kind) + payload + b"\0" * ((4 - n % 4) % 4)


def nested(kind: int, *attrs: bytes) -> bytes:
    return attr(kind | NLA_F_NESTED, b"".join(attrs))


def _cstr(s: str) -> bytes:
    return s.encode() + b"\0"


def parse_attrs(buf: bytes) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    i = 0
    while i + 4 <= len(buf):
        n, kind = struct.unpack_from("=HH", buf, i)
        if n < 4:
            break
        out[kind & ~NLA_F_NESTED] = buf[i + 4:i + n]
        i += (n + 3) & ~3
    return out


class Link:
    __slots__ = ("flags", "index", "kind", "mac", "master", "mtu", "name")

    def __init__(self, index: int, name: str, mac: str, mtu: int, flags: int, kind: str, master: int) -> None:
        self.index = index
        self.name = name
        self.mac = mac
        self.mtu = mtu
        self.flags = flags
        self.kind = kind
        self.master = master

    def __repr__(self) -> str:
        return f"Link({self.index}, {self.name!r}, kind={self.kind!r}, master={self.master})"


def _parse_link(body: bytes) -> Link:
    _fam, _type, index, flags, _change = _IFINFOMSG.unpack_from(body)
    a = parse_attrs(body[_IFINFOMSG.size:])
    kind = ""
    if IFLA_LINKINFO in a:
        kind = parse_attrs(a[IFLA_LINKINFO]).get(IFLA_INFO_KIND, b"").rstrip(b"\0").decode()
    return Link(
        index=index,
        name=a.get(IFLA_IFNAME, b"").rstrip(b"\0").decode(),
        mac=":".join(f"{b:02x}" for b in a.get(IFLA_ADDRESS, b"")),
        mtu=struct.unpack("=I", a[IFLA_MTU])[0] if IFLA_MTU in a else 0,
        flags=flags,
        kind=kind,
        master=struct.unpack("=I", a[IFLA_MASTER])[0] if IFLA_MASTER in a else 0,
    )


class RtNetlink:
    """One NETLINK_ROUTE socket, bound to the netns it was opened in."""

    def __init__(self, netns_path: str | None = None) -> None:
        if netns_path is None:
            self.sock = self._open()
        else:
            fd = open_netns(netns_path)
            try:
                with entered(fd):
                    self.sock = self._open()
            finally:
                posix.close(fd)
        self.seq = 0

    @staticmethod
    def _open() -> socket.socket:
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind((0, 0))
        return s

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, msg_type: int, flags: int, body: bytes) -> list[bytes]:
        """Send one request; return the bodies of the replies (for dumps, all parts); raise on NLMSG_ERROR."""
        self.seq += 1
        seq = self.seq
        self.sock.send(_NLMSGHDR.pack(_NLMSGHDR.size + len(body), msg_type, flags | NLM_F_REQUEST, seq, 0) + body)
        replies: list[bytes] = []
        dump = bool(flags & NLM_F_ROOT)
        while True:
            data = self.sock.recv(1 << 16)
            i = 0
            while i + _NLMSGHDR.size <= len(data):
                n, kind, _fl, rseq, _pid = _NLMSGHDR.unpack_from(data, i)
                part = data[i + _NLMSGHDR.size:i + n]
                i += (n + 3) & ~3
                if rseq != seq:
                    continue
                if kind == NLMSG_DONE:
                    return replies
                if kind == NLMSG_ERROR:
                    code = -struct.unpack_from("=i", part)[0]
                    if code:
                        raise NetlinkError(code, f"netlink {msg_type}: {posix.strerror(code)}")
                    return replies
                replies.append(part)
                if not dump and not flags & NLM_F_ACK:
                    return replies

    # --- links -------------------------------------------------------------------------------
    def get_link(self, name: str) -> Link | None:
        body = _IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + attr(IFLA_IFNAME, _cstr(name))
        try:
            replies = self.request(RTM_GETLINK, 0, body)
        except NetlinkError as e:
            if e.errno in (errno.ENODEV, errno.ENOENT):
                return None
            raise
        return _parse_link(replies[0]) if replies else None

    def get_link_by_index(self, index: int) -> Link | None:
        try:
            replies = self.request(RTM_GETLINK, 0, _IFINFOMSG.pack(socket.AF_UNSPEC, 0, index, 0, 0))
        except NetlinkError as e:
            if e.errno in (errno.ENODEV, errno.ENOENT):
                return None
            raise
        return _parse_link(replies[0]) if replies else None

    def add_bridge(self, name: str, mtu: int | None, promisc: bool) -> None:
        flags = IFF_UP | (IFF_PROMISC if promisc else 0)
        body = _IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, flags, flags) + attr(IFLA_IFNAME, _cstr(name))
        if mtu:
            body += attr(IFLA_MTU, struct.pack("=I", mtu))
        body += nested(IFLA_LINKINFO, attr(IFLA_INFO_KIND, b"bridge"))
        self.request(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, body)

    def add_veth(self, name: str, peer: str, peer_netns_fd: int, master: int, mtu: int | None) -> None:
        """Create the pair with the peer born in the pod netns and the host side up on the bridge.

        The peer cannot be brought up in the same request (this kernel answers ENOTCONN), so the
        caller sets it up from the pod's own socket.
        """
        mtu_attr = attr(IFLA_MTU, struct.pack("=I", mtu)) if mtu else b""
        peer_msg = (_IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + attr(IFLA_IFNAME, _cstr(peer))
                    + mtu_attr + attr(IFLA_NET_NS_FD, struct.pack("=I", peer_netns_fd)))
        body = (_IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, IFF_UP, IFF_UP) + attr(IFLA_IFNAME, _cstr(name)) + mtu_attr
                + (attr(IFLA_MASTER, struct.pack("=I", master)) if master else b"")
                + nested(IFLA_LINKINFO, attr(IFLA_INFO_KIND, b"veth"),
                         nested(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peer_msg))))
        self.request(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, body)

    def set_flags(self, index: int, flags: int, change: int) -> None:
        self.request(RTM_NEWLINK, NLM_F_ACK, _IFINFOMSG.pack(socket.AF_UNSPEC, 0, index, flags, change))

    def set_hairpin(self, index: int, on: bool) -> None:
        # Bridge port flags go to the AF_BRIDGE family as IFLA_PROTINFO (what `bridge link set hairpin` sends).
        body = _IFINFOMSG.pack(AF_BRIDGE, 0, index, 0, 0) + nested(IFLA_PROTINFO, attr(IFLA_BRPORT_MODE, bytes([on])))
        self.request(RTM_SETLINK, NLM_F_ACK, body)

    def del_link(self, name: str) -> bool:
        """Delete a link by name; False if it was not there (DEL is idempotent, CNI SPEC "DEL")."""
        body = _IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + attr(IFLA_IFNAME, _cstr(name))
        try:
            self.request(RTM_DELLINK, NLM_F_ACK, body)
        except NetlinkError as e:
            if e.errno in (errno.ENODEV, errno.ENOENT):
                return False
            raise
        return True

    # --- addresses and routes ----------------------------------------------------------------
    def add_address(self, index: int, iface: IPPrefix, replace: bool = False) -> None:
        fam = socket.AF_INET if iface.version == 4 else socket.AF_INET6
        ip = iface.ip.packed
        body = _IFADDRMSG.pack(fam, iface.prefixlen, 0, RT_SCOPE_UNIVERSE, index)
        body += attr(IFA_LOCAL, ip) + attr(IFA_ADDRESS, ip)
        if iface.version == 4 and iface.prefixlen < 31:
            body += attr(IFA_BROADCAST, iface.broadcast_address.packed)
        flags = NLM_F_ACK | NLM_F_CREATE | (NLM_F_REPLACE if replace else NLM_F_EXCL)
        self.request(RTM_NEWADDR, flags, body)

    def list_addresses(self, index: int) -> list[IPPrefix]:
        out: list[IPPrefix] = []
        for r in self.request(RTM_GETADDR, NLM_F_ROOT | NLM_F_MATCH, _IFADDRMSG.pack(0, 0, 0, 0, 0)):
            _fam, plen, _f, _scope, idx = _IFADDRMSG.unpack_from(r)
            if idx != index:
                continue
            a = parse_attrs(r[_IFADDRMSG.size:])
            raw = a.get(IFA_LOCAL) or a.get(IFA_ADDRESS)
            if raw:
                out.append(IPPrefix(IPAddress.from_packed(raw), plen))
        return out

    def add_route(self, dst: IPPrefix, gw: str | None, oif: int) -> None:
        fam = socket.AF_INET if dst.version == 4 else socket.AF_INET6
        scope = RT_SCOPE_UNIVERSE if gw else RT_SCOPE_LINK
        body = _RTMSG.pack(fam, dst.prefixlen, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, scope, RTN_UNICAST, 0)
        if dst.prefixlen:
            body += attr(RTA_DST, dst.network_address.packed)
        if gw:
            body += attr(RTA_GATEWAY, IPAddress.parse(gw).packed)
        body += attr(RTA_OIF, struct.pack("=I", oif))
        self.request(RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, body)

    def list_routes(self, family: int = socket.AF_INET) -> list[tuple[str, str | None, int]]:
        """Main-table routes as (dst CIDR, gateway or None, oif)."""
        out: list[tuple[str, str | None, int]] = []
        body = _RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)
        for r in self.request(RTM_GETROUTE, NLM_F_ROOT | NLM_F_MATCH, body):
            fam, dlen, _s, _t, table, _p, _sc, rtype, _f = _RTMSG.unpack_from(r)
            if table != RT_TABLE_MAIN or rtype != RTN_UNICAST:
                continue
            a = parse_attrs(r[_RTMSG.size:])
            dst = IPAddress.from_packed(a[RTA_DST]) if RTA_DST in a else IPAddress(0, 4 if fam == socket.AF_INET else 6)
            gw = str(IPAddress.from_packed(a[RTA_GATEWAY])) if RTA_GATEWAY in a else None
            oif = struct.unpack("=I", a[RTA_OIF])[0] if RTA_OIF in a else 0
            out.append((f"{dst}/{dlen}", gw, oif))
        return out

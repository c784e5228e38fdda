"""The bridge plugin (types "kubenet-bridge" and "bridge"): a veth from the pod onto cni0.

Behaviour follows containernetworking/plugins bridge (config fields, result shape, ipMasq chains);
all netlink goes through cni.netlink in the netns the caller runs us in (the node netns). One extra on
purpose: the pod's `lo` comes up in ADD, since pods expect a working loopback.
"""
from __future__ import annotations

import errno
import posix  # not os: cni/main.py says why

from .errors import (
    CHECK_FAILED,
    INTERFACE_EXISTS,
    INVALID_CONFIG,
    NETLINK_FAILURE,
    NOT_AVAILABLE,
    UNKNOWN_CONTAINER,
    UNSUPPORTED_FIELD,
    CNIError,
)
from .ipam import ipam_add, ipam_check, ipam_del, ipam_gc, ipam_status, validate
from .ipnet import IPPrefix, parse_network
from .netlink import IFF_PROMISC, IFF_UP, NetlinkError, RtNetlink
from .netns import netns_exists, open_netns
from .spec import Invocation, valid_attachments

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_ROUTE = parse_network("0.0.0.0/0")


class BridgeConfig:
    __slots__ = (
        "bridge",
        "hairpin_mode",
        "ip_masq",
        "is_default_gateway",
        "is_gateway",
        "mtu",
        "network",
        "promisc_mode",
    )

    def __init__(self, network: str, bridge: str = "cni0", is_gateway: bool = False, is_default_gateway: bool = False,
                 ip_masq: bool = False, mtu: int | None = None, hairpin_mode: bool = False,
                 promisc_mode: bool = False) -> None:
        self.network = network
        self.bridge = bridge
        self.is_gateway = is_gateway
        self.is_default_gateway = is_default_gateway
        self.ip_masq = ip_masq
        self.mtu = mtu
        self.hairpin_mode = hairpin_mode
        self.promisc_mode = promisc_mode

    @classmethod
    def parse(cls, conf: dict[str, Any]) -> BridgeConfig:
        def flag(key: str) -> bool:
            value = conf.get(key, False)
            if not isinstance(value, bool):
                raise CNIError(INVALID_CONFIG, f"bridge: {key} must be a boolean")
            return value

        name = conf.get("bridge") or "cni0"
        if not isinstance(name, str) or len(name) > 15:
            raise CNIError(INVALID_CONFIG, "bridge: invalid bridge name")
        mtu = conf.get("mtu")
        if mtu is not None and (not isinstance(mtu, int) or isinstance(mtu, bool) or not 68 <= mtu <= 65535):
            raise CNIError(INVALID_CONFIG, "bridge: mtu must be an integer 68..65535")
        if conf.get("vlan") or conf.get("vlanTrunk") or conf.get("macspoofchk"):
            raise CNIError(UNSUPPORTED_FIELD, "bridge: vlan, vlanTrunk and macspoofchk are not supported")
        default_gw = flag("isDefaultGateway")
        # Reference bridge: isDefaultGateway implies isGateway.
        return cls(conf["name"], name, flag("isGateway") or default_gw, default_gw, flag("ipMasq"),
                   mtu or None, flag("hairpinMode"), flag("promiscMode"))


def _ensure_bridge(nl: RtNetlink, cfg: BridgeConfig):
    br = nl.get_link(cfg.bridge)
    if br is None:
        try:
            nl.add_bridge(cfg.bridge, cfg.mtu, cfg.promisc_mode)
        except NetlinkError as e:
            if e.errno != errno.EEXIST:  # another ADD made it first
                raise
        br = nl.get_link(cfg.bridge)
    if br is None or br.kind != "bridge":
        raise CNIError(INVALID_CONFIG, f"{cfg.bridge} already exists but is not a bridge")
    want = IFF_UP | (IFF_PROMISC if cfg.promisc_mode else 0)
    if br.flags & want != want:
        nl.set_flags(br.index, want, want)
    return br


def _enable_forwarding() -> None:
    # The node routes pod traffic; /proc/sys/net resolves against this thread's netns.
    path = "/proc/sys/net/ipv4/ip_forward"
    with open(path) as f:
        if f.read().strip() == "1":
            return
    with open(path, "w") as f:
        f.write("1")


def cmd_add(conf: dict[str, Any], inv: Invocation) -> dict[str, Any]:
    cfg = BridgeConfig.parse(conf)
    validate(conf)
    try:
        pod_fd = open_netns(inv.netns)
    except OSError as e:
        raise CNIError(UNKNOWN_CONTAINER, f"failed to open netns {inv.netns!r}", str(e)) from None
    try:
        with RtNetlink() as nl, RtNetlink(inv.netns) as pod:
            return _add(conf, cfg, inv, nl, pod, pod_fd)
    except NetlinkError as e:
        raise CNIError(NETLINK_FAILURE, "netlink request failed", str(e)) from None
    finally:
        posix.close(pod_fd)


def _add(conf: dict[str, Any], cfg: BridgeConfig, inv: Invocation, nl: RtNetlink, pod: RtNetlink,
         pod_fd: int) -> dict[str, Any]:
    # SPEC "ADD": the interface must not exist yet in the container.
    if pod.get_link(inv.ifname) is not None:
        raise CNIError(INTERFACE_EXISTS, f"container veth name {inv.ifname!r} already exists")
    br = _ensure_bridge(nl, cfg)
    ipam_result = ipam_add(conf, inv)
    host_name = ""
    try:
        for _attempt in range(3):  # 32 random bits; a clash is retried, like the reference
            host_name = "veth" + posix.urandom(4).hex()
            try:
                nl.add_veth(host_name, inv.ifname, pod_fd, br.index, cfg.mtu)
                break
            except NetlinkError as e:
                if e.errno != errno.EEXIST or pod.get_link(inv.ifname) is not None:
                    raise
        host = nl.get_link(host_name)
        cont = pod.get_link(inv.ifname)
        if host is None or cont is None:
            raise CNIError(NETLINK_FAILURE, "veth pair vanished right after creation")
        if cfg.hairpin_mode:
            nl.set_hairpin(host.index, True)
        pod.set_flags(cont.index, IFF_UP, IFF_UP)
        pod.set_flags(1, IFF_UP, IFF_UP)  # lo: our addition to the reference
        ips = [dict(ip, interface=2) for ip in ipam_result.get("ips", [])]
        routes = [dict(r) for r in ipam_result.get("routes", [])]
        gateways: dict[int, str] = {}
        pod_addresses = [IPPrefix.parse(ip["address"]) for ip in ips]
        for ip, iface in zip(ips, pod_addresses):
            if cfg.is_gateway and not ip.get("gateway"):
                ip["gateway"] = str(iface.network_address + 1)
            if ip.get("gateway"):
                gateways.setdefault(iface.version, ip["gateway"])
            pod.add_address(cont.index, iface)
            if cfg.is_gateway and ip.get("gateway"):
                gw_iface = IPPrefix.parse(f"{ip['gateway']}/{iface.prefixlen}")
                nl.add_address(br.index, gw_iface, replace=True)
        if cfg.is_default_gateway and 4 in gateways and \
                not any(parse_network(r["dst"]) == DEFAULT_ROUTE for r in routes):
            routes.append({"dst": "0.0.0.0/0", "gw": gateways[4]})
        for r in routes:
            dst = parse_network(r["dst"])
            pod.add_route(dst, r.get("gw") or gateways.get(dst.version), cont.index)
        if cfg.is_gateway:
            _enable_forwarding()
        if cfg.ip_masq:
            from . import iptables  # ipMasq only: kubenet's own config has none, so its ADD and DEL never load it

            for iface in pod_addresses:
                if iface.version == 4:
                    iptables.restore(iptables.masq_add_rules(iface, iptables.masq_chain(cfg.network, inv.container_id),
                                                             iptables.comment(cfg.network, inv.container_id)))
    except BaseException:
        # Undo what this ADD made; the runtime will not call DEL for a failed ADD in every case.
        if host_name:
            nl.del_link(host_name)
        ipam_del(conf, inv)
        raise
    br = nl.get_link(cfg.bridge) or br  # the bridge takes a port's MAC once it has one: read it again
    interfaces = [{"name": br.name, "mac": br.mac, "mtu": br.mtu},
                  {"name": host.name, "mac": host.mac, "mtu": host.mtu},
                  {"name": cont.name, "mac": cont.mac, "mtu": cont.mtu, "sandbox": inv.netns}]
    return {"cniVersion": conf["cniVersion"], "interfaces": interfaces, "ips": ips, "routes": routes,
            "dns": conf.get("dns") or {}}


def cmd_del(conf: dict[str, Any], inv: Invocation) -> None:
    """DEL is idempotent and works with the netns gone: the lease is released first (SPEC "DEL")."""
    cfg = BridgeConfig.parse(conf)
    ipam_del(conf, inv)
    if inv.netns and netns_exists(inv.netns):
        try:
            with RtNetlink(inv.netns) as pod:
                pod.del_link(inv.ifname)  # takes the host end with it
        except (NetlinkError, FileNotFoundError) as e:
            if not isinstance(e, FileNotFoundError):
                raise CNIError(NETLINK_FAILURE, "failed to delete container interface", str(e)) from None
    # With the netns gone the kernel already destroyed the pair; only the masquerade chain is left.
    if cfg.ip_masq:
        from . import iptables

        nat = iptables.save()
        iptables.restore(iptables.teardown_rules(nat, {iptables.masq_chain(cfg.network, inv.container_id)}))


def cmd_check(conf: dict[str, Any], inv: Invocation) -> None:
    cfg = BridgeConfig.parse(conf)
    prev = conf.get("prevResult")
    if not isinstance(prev, dict):
        raise CNIError(INVALID_CONFIG, "CHECK needs prevResult")
    if not netns_exists(inv.netns):
        raise CNIError(UNKNOWN_CONTAINER, f"netns {inv.netns!r} does not exist")
    interfaces = prev.get("interfaces") or []
    with RtNetlink() as nl, RtNetlink(inv.netns) as pod:
        br = nl.get_link(cfg.bridge)
        if br is None or br.kind != "bridge":
            raise CNIError(CHECK_FAILED, f"bridge {cfg.bridge} is missing")
        cont = pod.get_link(inv.ifname)
        if cont is None or not cont.flags & IFF_UP:
            raise CNIError(CHECK_FAILED, f"container interface {inv.ifname} is missing or down")
        hosts = [i["name"] for i in interfaces if not i.get("sandbox") and i.get("name") != cfg.bridge]
        for name in hosts:
            link = nl.get_link(name)
            if link is None or link.master != br.index:
                raise CNIError(CHECK_FAILED, f"host veth {name} is missing or not on {cfg.bridge}")
        have = {str(a) for a in pod.list_addresses(cont.index)}
        want = [ip["address"] for ip in prev.get("ips") or []]
        missing = [a for a in want if str(IPPrefix.parse(a)) not in have]
        if missing:
            raise CNIError(CHECK_FAILED, f"addresses missing on {inv.ifname}", ", ".join(missing))
        routes = pod.list_routes()
        for r in prev.get("routes") or []:
            dst = str(parse_network(r["dst"]))
            if dst.count(":") == 0 and not any(d == dst and oif == cont.index for d, _gw, oif in routes):
                raise CNIError(CHECK_FAILED, f"route to {dst} missing in the container")
    unheld = ipam_check(conf, inv, want)
    if unheld:
        raise CNIError(CHECK_FAILED, "IPAM holds no lease for", ", ".join(unheld))
    if cfg.ip_masq:
        from . import iptables

        if iptables.masq_chain(cfg.network, inv.container_id) not in iptables.save().chains:
            raise CNIError(CHECK_FAILED, "ipMasq chain missing")


def cmd_status(conf: dict[str, Any], inv: Invocation) -> None:
    cfg = BridgeConfig.parse(conf)
    with RtNetlink() as nl:
        link = nl.get_link(cfg.bridge)
    if link is not None and link.kind != "bridge":
        raise CNIError(NOT_AVAILABLE, f"{cfg.bridge} exists but is not a bridge")
    ipam_status(conf, inv)


def cmd_gc(conf: dict[str, Any], inv: Invocation) -> None:
    """GC (SPEC 1.1): release leases and masquerade chains of attachments the runtime no longer has."""
    cfg = BridgeConfig.parse(conf)
    ipam_gc(conf, inv)
    if cfg.ip_masq:
        from . import iptables

        valid = {cid for cid, _ifname in valid_attachments(conf)}
        nat = iptables.save()
        stale = {chain for chain, (hook, net, cid) in nat.owners().items()
                 if hook == "POSTROUTING" and net == cfg.network and cid not in valid}
        iptables.restore(iptables.teardown_rules(nat, stale))


"""The portmap plugin (hostPort): DNAT from the node's ports to the pod, as portmap v1.1.1 lays it out.

A chained plugin (SPEC section 3, "prevResult"): it needs the pod's address from prevResult and the
`portMappings` capability from runtimeConfig (CONVENTIONS.md), and hands prevResult on unchanged.
"""
from __future__ import annotations

from . import iptables
from .errors import CHECK_FAILED, INVALID_CONFIG, CNIError
from .ipnet import IPAddress, IPPrefix
from .iptables import PortMapping
from .spec import Invocation, valid_attachments

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _mappings(conf: dict[str, Any]) -> list[PortMapping]:
    raw = (conf.get("runtimeConfig") or {}).get("portMappings") or []
    try:
        return [PortMapping.from_dict(m) for m in raw]
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise CNIError(INVALID_CONFIG, "portmap: invalid portMappings", repr(e)) from None


def _pod_ipv4(prev: dict[str, Any]) -> IPPrefix | None:
    """The pod's IPv4 address: an ips[] entry whose interface lives in a sandbox (or has no interface)."""
    interfaces = prev.get("interfaces") or []
    for ip in prev.get("ips") or []:
        idx = ip.get("interface")
        if idx is not None and (idx >= len(interfaces) or not interfaces[idx].get("sandbox")):
            continue
        iface = IPPrefix.parse(ip["address"])
        if iface.version == 4:
            return iface
    return None


def _host_iface_for(ip: IPAddress) -> str | None:
    """Which node interface routes to the pod (route lookup in this thread's netns, /proc/thread-self)."""
    best: tuple[int, str] | None = None
    with open("/proc/thread-self/net/route") as f:
        next(f)
        for line in f:
            name, dst, gw, _fl, _r, _u, _m, mask = line.split()[:8]
            if int(gw, 16):
                continue
            m = int(mask, 16).bit_count()  # the kernel prints the address and mask in host (little-endian) order
            if ip in IPPrefix(IPAddress.from_packed(bytes.fromhex(dst)[::-1]), m) and (best is None or m > best[0]):
                best = (m, name)
    return best[1] if best else None


def cmd_add(conf: dict[str, Any], inv: Invocation) -> dict[str, Any]:
    prev = conf.get("prevResult")
    if not isinstance(prev, dict):
        raise CNIError(INVALID_CONFIG, "portmap must be chained after a plugin that returns a result")
    mappings = _mappings(conf)
    pod_ip = _pod_ipv4(prev)
    if mappings and pod_ip is not None:
        snat = conf.get("snat", True) is not False
        nat = iptables.save()
        iptables.restore(iptables.portmap_add_rules(nat, conf["name"], inv.container_id, pod_ip, mappings, snat))
        host_if = _host_iface_for(pod_ip.ip) if snat else None
        if host_if:
            # Traffic to 127.0.0.1:hostPort is DNATed to the pod; the kernel only routes it with route_localnet.
            with open(f"/proc/sys/net/ipv4/conf/{host_if}/route_localnet", "w") as f:
                f.write("1")
    return dict(prev, cniVersion=conf["cniVersion"])


def cmd_del(conf: dict[str, Any], inv: Invocation) -> None:
    # Torn down by chain name alone, so DEL works without prevResult or netns (SPEC "DEL").
    nat = iptables.save()
    iptables.restore(iptables.teardown_rules(nat, {iptables.dnat_chain(conf["name"], inv.container_id)}))


def cmd_check(conf: dict[str, Any], inv: Invocation) -> None:
    prev = conf.get("prevResult")
    if not isinstance(prev, dict):
        raise CNIError(INVALID_CONFIG, "CHECK needs prevResult")
    mappings = _mappings(conf)
    pod_ip = _pod_ipv4(prev)
    if not mappings or pod_ip is None:
        return
    chain = iptables.dnat_chain(conf["name"], inv.container_id)
    nat = iptables.save()
    rules = [r for c, r in nat.rules if c == chain]
    for m in mappings:
        want = f"--dport {m.host_port} -j DNAT --to-destination {pod_ip.ip}:{m.container_port}"
        if not any(r.endswith(want) for r in rules):
            raise CNIError(CHECK_FAILED, f"portmap: no DNAT for hostPort {m.host_port}/{m.protocol}", chain)


def cmd_status(conf: dict[str, Any], inv: Invocation) -> None:
    iptables.save()  # STATUS fails (code 104) if iptables cannot be used at all


def cmd_gc(conf: dict[str, Any], inv: Invocation) -> None:
    valid = {cid for cid, _ifname in valid_attachments(conf)}
    nat = iptables.save()
    stale = {chain for chain, (hook, net, cid) in nat.owners().items()
             if hook == iptables.HOSTPORT_DNAT and net == conf["name"] and cid not in valid}
    iptables.restore(iptables.teardown_rules(nat, stale))

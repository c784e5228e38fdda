"""Stale UDP conntrack entries after endpoint changes (kube-proxy pkg/proxy/conntrack/cleanup.go).

UDP has no connection teardown, so a client that keeps sending to a Service keeps hitting the conntrack
entry that DNATs it to an endpoint that may be gone. After a sync we delete every UDP flow whose original
destination is a Service IP:port (or a NodePort) and whose reply source is not a serving endpoint any more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kubenet.kernel.netns_exec import NetnsExec
from kubenet.proxy.tracker import EndpointsMap, ServiceMap

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConntrackFlow:
    protocol: str
    orig_src: str
    orig_dst: str
    orig_sport: int
    orig_dport: int
    reply_src: str


def parse_flows(text: str) -> list[ConntrackFlow]:
    """Flows from `conntrack -L` output: the first src/dst/sport/dport are the original direction, the
    second set the reply direction."""
    flows = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2 or not fields[1].isdigit():
            continue
        seen: dict[str, list[str]] = {}
        for token in fields:
            key, sep, value = token.partition("=")
            if sep and key in ("src", "dst", "sport", "dport"):
                seen.setdefault(key, []).append(value)
        try:
            flows.append(ConntrackFlow(
                protocol=fields[0], orig_src=seen["src"][0], orig_dst=seen["dst"][0],
                orig_sport=int(seen["sport"][0]), orig_dport=int(seen["dport"][0]), reply_src=seen["src"][1],
            ))
        except (KeyError, IndexError, ValueError):
            continue  # not a port-carrying flow
    return flows


def stale_udp_flows(
    flows: list[ConntrackFlow], services: ServiceMap, endpoints: EndpointsMap, removed: ServiceMap | None = None
) -> list[ConntrackFlow]:
    """Flows that point at something no longer serving. `removed` are UDP ports of deleted Services: all of
    their flows are stale."""
    by_vip: dict[tuple[str, int], set[str]] = {}
    by_node_port: dict[int, set[str]] = {}
    for name, svc in services.items():
        if svc.protocol != "UDP":
            continue
        serving = {ep.ip for ep in endpoints.get(name, ()) if ep.serving}
        for ip in (*svc.cluster_ips, *svc.external_ips, *svc.load_balancer_ips):
            by_vip[(ip, svc.port)] = serving
        if svc.node_port:
            by_node_port[svc.node_port] = serving
    for svc in (removed or {}).values():
        if svc.protocol == "UDP":
            for ip in (*svc.cluster_ips, *svc.external_ips, *svc.load_balancer_ips):
                by_vip.setdefault((ip, svc.port), set())
    stale = []
    for flow in flows:
        if flow.protocol != "udp":
            continue
        allowed = by_vip.get((flow.orig_dst, flow.orig_dport))
        if allowed is None:
            allowed = by_node_port.get(flow.orig_dport)
        if allowed is not None and flow.reply_src not in allowed:
            stale.append(flow)
    return stale


def clear_stale_udp(
    netns: NetnsExec, services: ServiceMap, endpoints: EndpointsMap, removed: ServiceMap | None = None
) -> list[ConntrackFlow]:
    """Delete stale UDP flows in the node's netns; returns what was deleted."""
    listing = netns.run(["conntrack", "-L", "-p", "udp"])
    stale = stale_udp_flows(parse_flows(listing.stdout), services, endpoints, removed)
    for flow in stale:
        # Exit status 1 means "0 flow entries deleted": the flow expired meanwhile, which is fine.
        netns.run(["conntrack", "-D", "-p", "udp", "--orig-src", flow.orig_src, "--orig-dst", flow.orig_dst,
                   "--sport", str(flow.orig_sport), "--dport", str(flow.orig_dport)], ok_codes=(0, 1))
        log.info("deleted stale UDP conntrack flow %s", flow)
    return stale

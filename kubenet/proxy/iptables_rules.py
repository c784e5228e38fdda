"""The iptables-restore text kube-proxy's iptables mode writes, rendered from a tracker snapshot.

Pure: nothing here touches the kernel, so a test or `--dry-run` sees exactly what a sync would write.
Order, comments and chain names follow kube-proxy's syncProxyRules (pkg/proxy/iptables/proxier.go) and
docs/reference kube-proxy.md: filter chains+rules then nat chains+rules, one COMMIT each.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from kubenet.proxy import hashing
from kubenet.proxy.endpoints import Endpoint, categorize_endpoints
from kubenet.proxy.serviceport import ServicePortInfo, ServicePortName
from kubenet.proxy.tracker import EndpointsMap, ServiceMap

KUBE_SERVICES = "KUBE-SERVICES"
KUBE_EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES"
KUBE_NODEPORTS = "KUBE-NODEPORTS"
KUBE_POSTROUTING = "KUBE-POSTROUTING"
KUBE_MARK_MASQ = "KUBE-MARK-MASQ"
KUBE_FORWARD = "KUBE-FORWARD"
KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL"
KUBE_PROXY_CANARY = "KUBE-PROXY-CANARY"
FILTER_TOP_CHAINS = (KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL)
NAT_TOP_CHAINS = (KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ)
# Above this many endpoints kube-proxy drops per-endpoint comments to keep the restore input small.
LARGE_CLUSTER_ENDPOINTS = 1000


@dataclass(frozen=True)
class IPTablesConfig:
    cluster_cidr: str = ""  # the "local detector": traffic from here is pod traffic
    masquerade_all: bool = False
    masquerade_bit: int = 14  # kube-proxy --iptables-masquerade-bit; 14 gives mark 0x4000
    random_fully: bool = True  # iptables >= 1.6.2 has MASQUERADE --random-fully
    node_ips: tuple[str, ...] = ()

    @property
    def masquerade_mark(self) -> str:
        return f"{1 << self.masquerade_bit:#x}"


@dataclass
class RenderedRules:
    text: str
    active_nat_chains: set[str] = field(default_factory=set)
    deleted_chains: list[str] = field(default_factory=list)


def chain_line(chain: str) -> str:
    return f":{chain} - [0:0]"


def comment(text: str) -> str:
    # kube-proxy quotes every comment that has spaces and leaves bare "ns/svc:port" unquoted.
    return f'"{text}"' if " " in text else text


def probability(n: int) -> str:
    return "%0.10f" % (1.0 / n)


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, *parts: str) -> None:
        self.lines.append(" ".join(p for p in parts if p))


@dataclass
class _Buffers:
    filter_chains: _Lines = field(default_factory=_Lines)
    filter_rules: _Lines = field(default_factory=_Lines)
    nat_chains: _Lines = field(default_factory=_Lines)
    nat_rules: _Lines = field(default_factory=_Lines)


def is_large_cluster(services: ServiceMap, endpoints: EndpointsMap) -> bool:
    """kube-proxy's largeClusterMode: over 1000 endpoints in all, it drops per-endpoint comments and skips the
    per-sync iptables-save."""
    return sum(len(endpoints.get(name, ())) for name in services) > LARGE_CLUSTER_ENDPOINTS


def render_restore(
    services: ServiceMap,
    endpoints: EndpointsMap,
    config: IPTablesConfig,
    changed: set[ServicePortName] | None = None,
    existing_nat_chains: Iterable[str] = (),
) -> RenderedRules:
    """Restore input for all Services. `changed=None` is a full sync; otherwise per-service nat chains are
    written only for ports in `changed` (the top-level chains are always rewritten). Service chains in
    `existing_nat_chains` that are no longer needed are flushed and deleted (-X)."""
    buf = _Buffers()
    skipped = _Buffers()  # where unchanged services' chains go during a partial sync: computed, not sent
    mark = config.masquerade_mark
    for chain in FILTER_TOP_CHAINS:
        buf.filter_chains.write(chain_line(chain))
    for chain in NAT_TOP_CHAINS:
        buf.nat_chains.write(chain_line(chain))
    nat = buf.nat_rules
    nat.write("-A", KUBE_POSTROUTING, "-m mark ! --mark", f"{mark}/{mark}", "-j RETURN")
    # Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
    nat.write("-A", KUBE_POSTROUTING, "-j MARK --xor-mark", mark)
    nat.write(
        "-A", KUBE_POSTROUTING, "-m comment --comment", comment("kubernetes service traffic requiring SNAT"),
        "-j MASQUERADE", "--random-fully" if config.random_fully else "",
    )
    nat.write("-A", KUBE_MARK_MASQ, "-j MARK --or-mark", mark)

    large_cluster = is_large_cluster(services, endpoints)
    active: set[str] = set()
    for name in sorted(services):
        target = buf if changed is None or name in changed else skipped
        _write_service(name, services[name], endpoints.get(name, []), config, large_cluster, buf, target, active)

    deleted = sorted(c for c in set(existing_nat_chains) - active if hashing.is_service_chain(c))
    for chain in deleted:
        # Declaring the chain flushes it, so the -X cannot fail on leftover rules.
        buf.nat_chains.write(chain_line(chain))
        buf.nat_rules.write("-X", chain)

    # Must stay the last rule of KUBE-SERVICES: any local address, after every service IP has been tried.
    nat.write(
        "-A", KUBE_SERVICES, "-m comment --comment",
        comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain"),
        "-m addrtype --dst-type LOCAL -j", KUBE_NODEPORTS,
    )
    flt = buf.filter_rules
    # INVALID packets could reset connections unless nf_conntrack_tcp_be_liberal is set (k/k#74839).
    flt.write("-A", KUBE_FORWARD, "-m conntrack --ctstate INVALID -j DROP")
    flt.write(
        "-A", KUBE_FORWARD, "-m comment --comment", comment("kubernetes forwarding rules"),
        "-m mark --mark", f"{mark}/{mark}", "-j ACCEPT",
    )
    flt.write(
        "-A", KUBE_FORWARD, "-m comment --comment", comment("kubernetes forwarding conntrack rule"),
        "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    )
    lines = ["*filter", *buf.filter_chains.lines, *buf.filter_rules.lines, "COMMIT",
             "*nat", *buf.nat_chains.lines, *buf.nat_rules.lines, "COMMIT"]
    return RenderedRules("\n".join(lines) + "\n", active, deleted)


def _write_service(
    name: ServicePortName,
    svc: ServicePortInfo,
    all_endpoints: list[Endpoint],
    config: IPTablesConfig,
    large_cluster: bool,
    buf: _Buffers,
    target: _Buffers,
    active: set[str],
) -> None:
    """Rules for one service port. Top-level chain rules always go to `buf`; the service's own nat
    chains go to `target` (which is a throw-away buffer for unchanged services in a partial sync)."""
    proto = svc.protocol.lower()
    svc_name = str(name)
    choice = categorize_endpoints(all_endpoints, svc)
    cluster_chain = hashing.service_chain(name)
    local_chain = hashing.local_service_chain(name)
    ext_chain = hashing.external_chain(name)
    fw_chain = hashing.firewall_chain(name)
    uses_cluster_chain = bool(choice.cluster) and svc.uses_cluster_endpoints
    uses_local_chain = bool(choice.local) and svc.uses_local_endpoints
    has_endpoints = choice.has_any

    internal_chain, has_internal = cluster_chain, has_endpoints
    if svc.internal_policy_local:
        internal_chain, has_internal = local_chain, has_endpoints and bool(choice.local)
    external_policy_chain, has_external = cluster_chain, has_endpoints
    if svc.external_policy_local:
        external_policy_chain, has_external = local_chain, has_endpoints and bool(choice.local)
    # The EXT chain exists whenever there are endpoints anywhere: its LOCAL/pod short-circuits still
    # work when this node has no local endpoint.
    uses_ext_chain = has_endpoints and svc.externally_accessible
    uses_fw_chain = has_endpoints and bool(svc.load_balancer_ips) and bool(svc.load_balancer_source_ranges)
    lb_chain = fw_chain if uses_fw_chain else ext_chain

    if not has_endpoints:
        internal_filter = external_filter = ("REJECT", f"{svc_name} has no endpoints")
    else:
        internal_filter = external_filter = ("DROP", f"{svc_name} has no local endpoints")

    flt, nat = buf.filter_rules, buf.nat_rules
    match = f"-m {proto} -p {proto}"
    port = str(svc.port)
    if has_internal:
        nat.write("-A", KUBE_SERVICES, "-m comment --comment", comment(f"{svc_name} cluster IP"),
                  match, "-d", svc.cluster_ip, "--dport", port, "-j", internal_chain)
    else:
        flt.write("-A", KUBE_SERVICES, "-m comment --comment", comment(internal_filter[1]),
                  match, "-d", svc.cluster_ip, "--dport", port, "-j", internal_filter[0])

    for external_ip in svc.external_ips:
        if has_endpoints:
            nat.write("-A", KUBE_SERVICES, "-m comment --comment", comment(f"{svc_name} external IP"),
                      match, "-d", external_ip, "--dport", port, "-j", ext_chain)
        if not has_external:
            flt.write("-A", KUBE_EXTERNAL_SERVICES, "-m comment --comment", comment(external_filter[1]),
                      match, "-d", external_ip, "--dport", port, "-j", external_filter[0])

    for lb_ip in svc.load_balancer_ips:
        if has_endpoints:
            nat.write("-A", KUBE_SERVICES, "-m comment --comment", comment(f"{svc_name} loadbalancer IP"),
                      match, "-d", lb_ip, "--dport", port, "-j", lb_chain)
        if uses_fw_chain:
            flt.write("-A", KUBE_PROXY_FIREWALL, "-m comment --comment",
                      comment(f"{svc_name} traffic not accepted by {fw_chain}"),
                      match, "-d", lb_ip, "--dport", port, "-j DROP")
    if not has_external:
        for lb_ip in svc.load_balancer_ips:
            flt.write("-A", KUBE_EXTERNAL_SERVICES, "-m comment --comment", comment(external_filter[1]),
                      match, "-d", lb_ip, "--dport", port, "-j", external_filter[0])

    if svc.node_port:
        if has_endpoints:
            # NodePorts are not subject to loadBalancerSourceRanges (kube-proxy keeps it that way).
            nat.write("-A", KUBE_NODEPORTS, "-m comment --comment", comment(svc_name),
                      match, "--dport", str(svc.node_port), "-j", ext_chain)
        if not has_external:
            flt.write("-A", KUBE_EXTERNAL_SERVICES, "-m comment --comment", comment(external_filter[1]),
                      "-m addrtype --dst-type LOCAL", match, "--dport", str(svc.node_port),
                      "-j", external_filter[0])

    if svc.health_check_node_port:
        # Open whether or not this node has local endpoints: the LB must be able to ask.
        flt.write("-A", KUBE_NODEPORTS, "-m comment --comment", comment(f"{svc_name} health check node port"),
                  "-m tcp -p tcp --dport", str(svc.health_check_node_port), "-j ACCEPT")

    chains, rules = target.nat_chains, target.nat_rules
    cluster_ip_match = ("-m comment --comment", comment(f"{svc_name} cluster IP"),
                        match, "-d", svc.cluster_ip, "--dport", port)
    if has_internal:
        if config.masquerade_all:
            rules.write("-A", internal_chain, *cluster_ip_match, "-j", KUBE_MARK_MASQ)
        elif config.cluster_cidr:
            # Off-cluster clients reaching a ClusterIP (a static route to a node) must come back through
            # this node, so they are masqueraded.
            rules.write("-A", internal_chain, *cluster_ip_match, "!", "-s", config.cluster_cidr,
                        "-j", KUBE_MARK_MASQ)

    if uses_ext_chain:
        chains.write(chain_line(ext_chain))
        active.add(ext_chain)
        if not svc.external_policy_local:
            # Endpoints may be on other nodes: masquerade so replies come back through this node.
            rules.write("-A", ext_chain, "-m comment --comment",
                        comment(f"masquerade traffic for {svc_name} external destinations"), "-j", KUBE_MARK_MASQ)
        else:
            if config.cluster_cidr:
                # Pods reaching an external IP act as if they went out to the LB and back: Cluster policy.
                rules.write("-A", ext_chain, "-m comment --comment",
                            comment(f"pod traffic for {svc_name} external destinations"),
                            "-s", config.cluster_cidr, "-j", cluster_chain)
            # The node itself picks a local source address, so it must be masqueraded and may use any endpoint.
            rules.write("-A", ext_chain, "-m comment --comment",
                        comment(f"masquerade LOCAL traffic for {svc_name} external destinations"),
                        "-m addrtype --src-type LOCAL -j", KUBE_MARK_MASQ)
            rules.write("-A", ext_chain, "-m comment --comment",
                        comment(f"route LOCAL traffic for {svc_name} external destinations"),
                        "-m addrtype --src-type LOCAL -j", cluster_chain)
        if has_external:
            rules.write("-A", ext_chain, "-j", external_policy_chain)

    if uses_fw_chain:
        chains.write(chain_line(fw_chain))
        active.add(fw_chain)
        fw_comment = ("-A", fw_chain, "-m comment --comment", comment(f"{svc_name} loadbalancer IP"))
        allow_from_node = False
        for cidr in svc.load_balancer_source_ranges:
            rules.write(*fw_comment, "-s", cidr, "-j", ext_chain)
            network = ipaddress.ip_network(cidr, strict=False)
            allow_from_node = allow_from_node or any(
                ipaddress.ip_address(ip) in network for ip in config.node_ips)
        if allow_from_node:
            # A node reaching a VIP-style LB IP it holds locally arrives with the LB IP as source.
            for lb_ip in svc.load_balancer_ips:
                rules.write(*fw_comment, "-s", lb_ip, "-j", ext_chain)
        # Falling off the end means no DNAT happened; KUBE-PROXY-FIREWALL in filter drops it.
        rules.write("-A", fw_chain, "-m comment --comment",
                    comment(f"other traffic to {svc_name} will be dropped by KUBE-PROXY-FIREWALL"))

    if uses_cluster_chain:
        chains.write(chain_line(cluster_chain))
        active.add(cluster_chain)
        _write_endpoint_choice(rules, name, svc, cluster_chain, choice.cluster, large_cluster)
    if uses_local_chain:
        chains.write(chain_line(local_chain))
        active.add(local_chain)
        _write_endpoint_choice(rules, name, svc, local_chain, choice.local, large_cluster)

    for ep in choice.all_reachable:
        sep = hashing.endpoint_chain(name, ep.endpoint)
        chains.write(chain_line(sep))
        active.add(sep)
        head = ("-A", sep) + (() if large_cluster else ("-m comment --comment", comment(svc_name)))
        # Hairpin: a pod reaching itself through the Service must be masqueraded, or it would answer itself.
        rules.write(*head, "-s", ep.ip, "-j", KUBE_MARK_MASQ)
        affinity = ("-m recent --name", sep, "--set") if svc.client_ip_affinity else ()
        rules.write(*head, *affinity, match, "-j DNAT --to-destination", ep.endpoint)


def _write_endpoint_choice(
    rules: _Lines,
    name: ServicePortName,
    svc: ServicePortInfo,
    chain: str,
    endpoints: tuple[Endpoint, ...],
    large_cluster: bool,
) -> None:
    """SVC/SVL chain: affinity checks first, then a uniform random pick (rule i matches 1/(n-i))."""
    def head(ep: Endpoint) -> tuple[str, ...]:
        if large_cluster:
            return ("-A", chain)
        return ("-A", chain, "-m comment --comment", comment(f"{name} -> {ep.endpoint}"))

    if svc.client_ip_affinity:
        for ep in endpoints:
            sep = hashing.endpoint_chain(name, ep.endpoint)
            rules.write(*head(ep), "-m recent --name", sep, "--rcheck --seconds",
                        str(svc.sticky_max_age_seconds), "--reap -j", sep)
    n = len(endpoints)
    for i, ep in enumerate(endpoints):
        statistic = ("-m statistic --mode random --probability", probability(n - i)) if i < n - 1 else ()
        rules.write(*head(ep), *statistic, "-j", hashing.endpoint_chain(name, ep.endpoint))

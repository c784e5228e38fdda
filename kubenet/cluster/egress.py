"""Egress from the cluster to the world, as Docker does for its bridge: the host forwards what Pods and nodes
send outside the cluster and masquerades it behind its own address, so `curl example.com` or CoreDNS's
forwarding to the node's upstream resolvers work from a Pod. Traffic *for* cluster addresses never takes
this path: those ranges are routed into the bridge or are unreachable (topology.HostBridge).

Rules live in chains of our own (`KN-MASQ-<bridge>` in nat, `KN-FWD-<bridge>` in filter), jumped to from
POSTROUTING and FORWARD, so delete() finds and removes all of them.
"""
from __future__ import annotations

from pathlib import Path

from kubenet import kernel
from kubenet.cluster.config import ClusterConfig

IP_FORWARD = "/proc/sys/net/ipv4/ip_forward"


def chain_names(config: ClusterConfig) -> tuple[str, str]:
    """(nat chain, filter chain)."""
    return f"KN-MASQ-{config.bridge}", f"KN-FWD-{config.bridge}"


def _jumps(config: ClusterConfig) -> list[tuple[str, list[str]]]:
    masq, fwd = chain_names(config)
    comment = ["-m", "comment", "--comment", f"kubenet {config.name}: cluster traffic leaving the cluster"]
    return [("nat", ["POSTROUTING", *comment, "-j", masq]), ("filter", ["FORWARD", *comment, "-j", fwd])]


def render(config: ClusterConfig) -> str:
    """The iptables-restore input (--noflush) for the two chains."""
    masq, fwd = chain_names(config)
    b = config.bridge
    return "\n".join([
        "*nat", f":{masq} - [0:0]", f"-F {masq}",
        f"-A {masq} -o {b} -j RETURN",  # into the bridge: cluster traffic keeps its addresses
        f"-A {masq} -s {config.pod_cidr} -j MASQUERADE",
        f"-A {masq} -s {config.node_cidr} -j MASQUERADE",
        "COMMIT",
        "*filter", f":{fwd} - [0:0]", f"-F {fwd}",
        # Defence in depth behind the routes: nothing for a cluster address leaves by another interface.
        *(f"-A {fwd} -d {cidr} ! -o {b} -j DROP" for cidr in (config.pod_cidr, config.service_cidr,
                                                               config.node_cidr)),
        f"-A {fwd} -i {b} -j ACCEPT",
        f"-A {fwd} -o {b} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        f"-A {fwd} -o {b} -j DROP",  # nobody outside opens connections into the cluster
        "COMMIT", ""])


def create(config: ClusterConfig, netns: str | None) -> None:
    kernel.run("iptables-restore", "--noflush", "-w", netns=netns, input=render(config))
    for table, rule in _jumps(config):
        if not _exists(table, rule, netns):
            kernel.run("iptables", "-w", "-t", table, "-A", *rule, netns=netns)
    if netns is None:
        # Remember the host's setting, so delete() can put it back.
        path = config.data / "host-ip-forward"
        if not path.exists():
            path.write_text(Path(IP_FORWARD).read_text().strip())
    kernel.sysctl("net.ipv4.ip_forward", "1", netns)


def _exists(table: str, rule: list[str], netns: str | None) -> bool:
    try:
        kernel.run("iptables", "-w", "-t", table, "-C", *rule, netns=netns)
    except kernel.KernelError:
        return False
    return True


def delete(config: ClusterConfig, netns: str | None) -> None:
    for table, rule in _jumps(config):
        while _exists(table, rule, netns):
            kernel.run("iptables", "-w", "-t", table, "-D", *rule, netns=netns, check=False)
    for table, chain in zip(("nat", "filter"), chain_names(config), strict=True):
        kernel.run("iptables", "-w", "-t", table, "-F", chain, netns=netns, check=False)
        kernel.run("iptables", "-w", "-t", table, "-X", chain, netns=netns, check=False)
    saved = config.data / "host-ip-forward"
    # Put the host's setting back, unless someone else has changed it since we set it.
    if netns is None and saved.exists() and Path(IP_FORWARD).read_text().strip() == "1":
        kernel.sysctl("net.ipv4.ip_forward", saved.read_text().strip() or "0", None)

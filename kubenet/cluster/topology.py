"""The cluster's network in the kernel, one class per real thing (as Mininet models hosts and links).

HostBridge: the "node network" bridge in the host (or sandbox) netns, with safety routes.
NodeNetwork: a node's netns, its uplink veth on the host bridge, forwarding and bridge-netfilter on.
Each has create() and delete(); delete finds everything by name, so it also works after a crash.
Route / read_routes: the kernel's routes as values, the one reader of them (inventory.py, routes.py use it).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from kubenet import kernel
from kubenet.cluster import egress
from kubenet.cluster.config import ClusterConfig


@dataclass(frozen=True)
class Route:
    netns: str | None
    dst: str  # as ip prints it: "10.244.1.0/24", "10.96.0.5" for a host route, "default"
    dev: str = ""
    via: str = ""
    type: str = ""  # "unreachable" for the safety routes; "" for unicast


def read_routes(netns: str | None, dev: str | None = None) -> list[Route]:
    """The IPv4 routes of the main table in netns (on dev only, when given); raises KernelError when the netns
    or the device is not there."""
    found = json.loads(kernel.ip("-j", "-4", "route", "show", *(("dev", dev) if dev else ()), netns=netns) or "[]")
    return [Route(netns, r.get("dst", ""), r.get("dev", dev or ""), r.get("gateway", ""),
                  "" if r.get("type", "unicast") == "unicast" else r["type"]) for r in found]


def ensure_br_netfilter() -> None:
    """Pod → ClusterIP → Pod on one bridge needs bridged packets to pass iptables (kubeadm's prerequisite)."""
    if os.path.exists("/proc/sys/net/bridge/bridge-nf-call-iptables"):
        return
    try:
        kernel.run("modprobe", "br_netfilter", check=False)
    except FileNotFoundError:
        pass  # no modprobe (package kmod): the check below says what is missing
    if not os.path.exists("/proc/sys/net/bridge/bridge-nf-call-iptables"):
        raise kernel.KernelError("the br_netfilter kernel module is not loaded and `modprobe br_netfilter` did not "
                                 "load it: Services would not work between Pods on one node")


@dataclass
class HostBridge:
    config: ClusterConfig

    @property
    def netns(self) -> str | None:
        return self.config.sandbox_netns

    def create(self) -> None:
        c = self.config
        if self.netns:
            kernel.netns_add(self.netns)
            kernel.ip("link", "set", "lo", "up", netns=self.netns)
        cmds = []
        if not kernel.link_exists(c.bridge, self.netns):
            cmds.append(f"link add {c.bridge} type bridge")
        cmds += [f"addr replace {c.host_ip}/{c.prefix_len} dev {c.bridge}", f"link set {c.bridge} up",
                 # Safety: cluster ranges the host does not route more specifically are unreachable, never the
                 # default route (per-node podCIDR routes and the service route are more specific / replace).
                 f"route replace unreachable {c.pod_cidr} metric 4000",
                 f"route replace unreachable {c.service_cidr} metric 4000"]
        kernel.ip_batch(cmds, self.netns)
        egress.create(c, self.netns)

    def delete(self) -> None:
        c = self.config
        if self.netns:
            kernel.netns_delete(self.netns)  # takes the bridge, veth ends, routes and rules with it
            return
        egress.delete(c, None)
        for dst in (c.pod_cidr, c.service_cidr):
            kernel.ip("route", "del", "unreachable", dst, "metric", "4000", check=False)
        for route in read_routes(None, c.bridge) if kernel.link_exists(c.bridge) else []:
            if route.via:
                kernel.ip("route", "del", route.dst, "dev", c.bridge, check=False)
        if kernel.link_exists(c.bridge):
            kernel.ip("link", "del", c.bridge, check=False)


@dataclass
class NodeNetwork:
    config: ClusterConfig
    name: str
    index: int

    @property
    def netns(self) -> str:
        return self.config.node_netns(self.name)

    @property
    def ip(self) -> str:
        return self.config.node_ip(self.index)

    @property
    def uplink(self) -> str:
        return self.config.node_uplink(self.name)

    def create(self) -> None:
        c = self.config
        host_ns = c.sandbox_netns
        kernel.netns_add(self.netns)
        if not kernel.link_exists(self.uplink, host_ns):
            kernel.ip("link", "add", self.uplink, "type", "veth", "peer", "name", "eth0", "netns", self.netns,
                      netns=host_ns)
        kernel.ip_batch([f"link set {self.uplink} master {c.bridge}", f"link set {self.uplink} up"], host_ns)
        kernel.ip_batch(["link set lo up", f"addr replace {self.ip}/{c.prefix_len} dev eth0", "link set eth0 up",
                         f"route replace default via {c.host_ip} dev eth0"], self.netns)
        ensure_br_netfilter()
        for key, value in (("net.ipv4.ip_forward", "1"), ("net.bridge.bridge-nf-call-iptables", "1"),
                           ("net.ipv4.conf.all.route_localnet", "1")):
            kernel.sysctl(key, value, self.netns)

    def delete(self) -> None:
        if kernel.netns_exists(self.netns):
            kernel.kill_pids(kernel.netns_pids(self.netns))
        kernel.netns_delete(self.netns)
        if kernel.link_exists(self.uplink, self.config.sandbox_netns):
            kernel.ip("link", "del", self.uplink, netns=self.config.sandbox_netns, check=False)

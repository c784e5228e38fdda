"""A cluster's kernel objects, read-only: its network namespaces, links, routes, iptables chains and IP leases.

Built on the topology classes (HostBridge, NodeNetwork) and the names in ClusterConfig, so what is listed is
exactly what `kubenet down` removes: `down` and `status` find netns through it, and labs or a packet trace can
ask it where a Pod's veth, a node's routes or a Service's chains are. Nothing here changes the kernel; each
kind of object is read only when asked for (`netns()` lists /run/netns, `links()` etc. run `ip -j` and
`iptables-save` in each of the cluster's netns).

In a sandboxed cluster everything in the sandbox netns is the cluster's. On the host's own network only what
the cluster made is listed: its bridge and the node uplinks on it, the routes through the bridge and its
"unreachable" safety routes, and its egress chains (topology.py, egress.py).

`python -m kubenet.cluster.inventory --name C` prints the inventory as JSON.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass

from cni.hostlocal import LeaseStore
from kubenet import kernel
from kubenet.cluster import egress
from kubenet.cluster.config import ClusterConfig
from kubenet.cluster.topology import HostBridge, NodeNetwork, Route, read_routes
from kubenet.proxy.iptables import SavedTables

POD_NETNS_SUFFIX = re.compile(r"[0-9a-f]{12}")  # a Pod sandbox netns: <cluster>-pod-<12 hex of the Pod UID>


@dataclass(frozen=True)
class Netns:
    name: str
    role: str  # "sandbox", "node" or "pod"
    node: str = ""  # the node, for a node netns


@dataclass(frozen=True)
class Link:
    netns: str | None
    name: str
    kind: str  # "bridge", "veth", ... ("" for a plain device such as lo)
    master: str = ""  # the bridge it is a port of
    state: str = ""


@dataclass(frozen=True)
class Chain:
    netns: str | None
    table: str
    name: str


@dataclass(frozen=True)
class Lease:
    node: str
    network: str
    ip: str
    container_id: str
    ifname: str


class Inventory:
    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.host = HostBridge(config)
        self.nodes = [NodeNetwork(config, name, i) for i, name in enumerate(config.node_names)]

    def netns(self) -> list[Netns]:
        """The cluster's network namespaces that exist, by exact name (another cluster may be `<name>-b`)."""
        c = self.config
        nodes = {n.netns: n.name for n in self.nodes}
        prefix = c.pod_netns_prefix()
        found = []
        for name in kernel.netns_list():
            if name == c.sandbox_netns:
                found.append(Netns(name, "sandbox"))
            elif name in nodes:
                found.append(Netns(name, "node", nodes[name]))
            elif name.startswith(prefix) and POD_NETNS_SUFFIX.fullmatch(name[len(prefix):]):
                found.append(Netns(name, "pod"))
        return found

    def missing_node_netns(self) -> list[NodeNetwork]:
        present = {ns.name for ns in self.netns() if ns.role == "node"}
        return [n for n in self.nodes if n.netns not in present]

    def _places(self) -> list[tuple[str | None, bool]]:
        """(netns, whether everything in it is ours) for the host context, then each existing node/Pod netns."""
        spaces = [ns.name for ns in self.netns() if ns.role != "sandbox"]
        return [(self.host.netns, self.host.netns is not None), *((ns, True) for ns in spaces)]

    def links(self) -> list[Link]:
        bridge = self.config.bridge
        out = []
        for netns, all_ours in self._places():
            for link in json.loads(kernel.ip("-j", "-d", "link", "show", netns=netns, check=False) or "[]"):
                name, master = link.get("ifname", ""), link.get("master", "")
                if all_ours or name == bridge or master == bridge:
                    out.append(Link(netns, name, (link.get("linkinfo") or {}).get("info_kind", ""), master,
                                    link.get("operstate", "")))
        return out

    def routes(self) -> list[Route]:
        c = self.config
        safety = {c.pod_cidr, c.service_cidr}
        out = []
        for netns, all_ours in self._places():
            try:
                routes = read_routes(netns)
            except kernel.KernelError:
                continue  # the netns went meanwhile (a Pod deleted)
            out += [r for r in routes
                    if all_ours or r.dev == c.bridge or (r.type == "unreachable" and r.dst in safety)]
        return out

    def chains(self) -> list[Chain]:
        """User-defined chains (built-in ones like PREROUTING are the kernel's, not the cluster's)."""
        ours_on_host = dict(zip(("nat", "filter"), egress.chain_names(self.config), strict=True))
        out = []
        for netns, all_ours in self._places():
            saved = SavedTables.parse(kernel.run("iptables-save", netns=netns, check=False))
            for table, chains in sorted(saved.chains.items()):
                for chain in sorted(chains):
                    if chain in BUILTIN_CHAINS.get(table, ()):
                        continue
                    if all_ours or ours_on_host.get(table) == chain:
                        out.append(Chain(netns, table, chain))
        return out

    def leases(self) -> list[Lease]:
        """host-local's IP leases, per node and CNI network (the files in the node's IPAM data dir)."""
        out = []
        for node in self.nodes:
            for network in sorted((self.config.data / "nodes" / node.name / "cni" / "networks").glob("*")):
                for lease in LeaseStore(str(network)).leases():
                    out.append(Lease(node.name, network.name, str(lease.ip), lease.container_id, lease.ifname))
        return sorted(out, key=lambda le: (le.node, le.network, le.ip))

    def to_dict(self) -> dict:
        return {"netns": [asdict(x) for x in self.netns()], "links": [asdict(x) for x in self.links()],
                "routes": [asdict(x) for x in self.routes()], "chains": [asdict(x) for x in self.chains()],
                "leases": [asdict(x) for x in self.leases()]}


BUILTIN_CHAINS = {"filter": ("INPUT", "FORWARD", "OUTPUT"), "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
                  "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
                  "raw": ("PREROUTING", "OUTPUT"), "security": ("INPUT", "FORWARD", "OUTPUT")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubenet.cluster.inventory",
                                     description="Print a cluster's kernel objects as JSON (read-only).")
    parser.add_argument("--name", default="kubenet")
    parser.add_argument("--data-dir", default="")
    args = parser.parse_args(argv)
    try:
        config = ClusterConfig.load(args.name, args.data_dir)
    except (OSError, ValueError, TypeError):
        print(f'no cluster named "{args.name}"', file=sys.stderr)
        return 1
    json.dump(Inventory(config).to_dict(), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())


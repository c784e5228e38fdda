"""kube-proxy's iptables mode for one node: IPTablesProxier turns tracker snapshots into one atomic
`iptables-restore --noflush --counters -w` per sync, inside the node's network namespace.

Sync rules (kube-proxy 1.28+, KEP-3453): a full sync at start, after a failed sync, when the
KUBE-PROXY-CANARY chain has vanished (someone flushed the tables) and hourly; otherwise a partial sync that
rewrites the top-level chains and only the chains of Services whose Service or EndpointSlices changed.

Each sync reads the kernel's tables with iptables-save (canaries, stale service chains to delete), except in a
large cluster (over 1000 endpoints): there kube-proxy skips that save, which costs as much as the restore
itself, and sweeps stale chains once per sync period; here a partial sync then checks the canaries with three
cheap `iptables -S KUBE-PROXY-CANARY` and deletes the stale chains it knows of from its own last sync.

`python -m kubenet.proxy.iptables --dry-run services.json slices.json` prints the restore input.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kubenet.kernel.netns_exec import CommandError, NetnsExec
from kubenet.proxy import hashing
from kubenet.proxy.backend import ProxyConfig, SyncResult
from kubenet.proxy.iptables_rules import (
    FILTER_TOP_CHAINS,
    KUBE_EXTERNAL_SERVICES,
    KUBE_FORWARD,
    KUBE_NODEPORTS,
    KUBE_POSTROUTING,
    KUBE_PROXY_CANARY,
    KUBE_PROXY_FIREWALL,
    KUBE_SERVICES,
    NAT_TOP_CHAINS,
    IPTablesConfig,
    chain_line,
    is_large_cluster,
    render_restore,
)
from kubenet.proxy.iptables_save import parse_save
from kubenet.proxy.tracker import ProxyState, Snapshot

log = logging.getLogger(__name__)

CANARY_TABLES = ("mangle", "nat", "filter")
RESTORE_ARGV = ["iptables-restore", "--noflush", "--counters", "-w"]


class SyncError(RuntimeError):
    """A sync could not be written; the next sync will be a full one."""


@dataclass(frozen=True)
class JumpRule:
    """A rule in a built-in chain leading into one of our chains (kube-proxy's iptablesJumpChains)."""

    table: str
    src_chain: str
    dst_chain: str
    comment: str
    extra: tuple[str, ...] = ()

    @property
    def spec(self) -> str:
        # Written in the order the kernel prints it back, so presence is a plain text match on iptables-save.
        return " ".join((*self.extra, "-m", "comment", "--comment", f'"{self.comment}"', "-j", self.dst_chain))


_NEW = ("-m", "conntrack", "--ctstate", "NEW")
# Each is inserted at position 1 in this order, so in the kernel the last of a chain's rules comes first.
JUMP_RULES = (
    JumpRule("filter", "INPUT", KUBE_EXTERNAL_SERVICES, "kubernetes externally-visible service portals", _NEW),
    JumpRule("filter", "FORWARD", KUBE_EXTERNAL_SERVICES, "kubernetes externally-visible service portals", _NEW),
    JumpRule("filter", "INPUT", KUBE_NODEPORTS, "kubernetes health check service ports"),
    JumpRule("filter", "FORWARD", KUBE_SERVICES, "kubernetes service portals", _NEW),
    JumpRule("filter", "OUTPUT", KUBE_SERVICES, "kubernetes service portals", _NEW),
    JumpRule("filter", "FORWARD", KUBE_FORWARD, "kubernetes forwarding rules"),
    JumpRule("filter", "INPUT", KUBE_PROXY_FIREWALL, "kubernetes load balancer firewall", _NEW),
    JumpRule("filter", "OUTPUT", KUBE_PROXY_FIREWALL, "kubernetes load balancer firewall", _NEW),
    JumpRule("filter", "FORWARD", KUBE_PROXY_FIREWALL, "kubernetes load balancer firewall", _NEW),
    JumpRule("nat", "OUTPUT", KUBE_SERVICES, "kubernetes service portals"),
    JumpRule("nat", "PREROUTING", KUBE_SERVICES, "kubernetes service portals"),
    JumpRule("nat", "POSTROUTING", KUBE_POSTROUTING, "kubernetes postrouting rules"),
)
# Chains that are ours by name in each table (besides KUBE-SVC-/SEP-/... service chains in nat).
OWN_CHAINS = {
    "filter": (*FILTER_TOP_CHAINS, KUBE_PROXY_CANARY),
    "nat": (*NAT_TOP_CHAINS, KUBE_PROXY_CANARY),
    "mangle": (KUBE_PROXY_CANARY,),
}


@dataclass
class SavedTables:
    """Chain names and rule lines per table, from iptables-save."""

    chains: dict[str, set[str]] = field(default_factory=dict)
    rules: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> SavedTables:
        tables = parse_save(text)
        return cls({name: t.chains for name, t in tables.items()}, {name: t.rule_lines() for name, t in tables.items()})

    def has_chain(self, table: str, chain: str) -> bool:
        return chain in self.chains.get(table, ())

    def has_rule(self, table: str, rule: str) -> bool:
        return rule in self.rules.get(table, ())


class IPTablesProxier:
    """One node's iptables-mode backend (a ProxyBackend): turns tracker snapshots into iptables-restore input
    and writes it. kube_proxy.Proxier feeds it snapshots and does the conntrack clean-up after each sync."""

    def __init__(self, config: ProxyConfig, tools: NetnsExec | None = None, *, random_fully: bool = True) -> None:
        if config.node_port_addresses:
            # kube-proxy's --nodeport-addresses filter is not written yet: refuse it rather than ignore it.
            raise ValueError("the iptables backend accepts NodePorts on every local address only "
                             f"(node_port_addresses={list(config.node_port_addresses)} is not implemented)")
        self.config = config
        self.node_name = config.node_name
        self.rules = IPTablesConfig(cluster_cidr=config.cluster_cidr, masquerade_all=config.masquerade_all,
                                    masquerade_bit=config.masquerade_bit, random_fully=random_fully,
                                    node_ips=tuple(config.node_ips))
        self.netns = tools if tools is not None else NetnsExec(config.netns)
        self.full_sync_period = config.full_sync_period
        self.cleanup_period = config.sync_period  # kube-proxy sweeps a large cluster's tables once per syncPeriod
        self.need_full_sync = True
        self.last_full_sync = 0.0
        self.last_kernel_read = 0.0  # the last iptables-save (kube-proxy's lastIPTablesCleanup)
        self._known_chains: set[str] = set()  # nat service chains as of the last successful sync
        self._lock = threading.Lock()  # one sync at a time, whatever thread calls it

    def render(self, snapshot: Snapshot, full: bool = True) -> str:
        """The restore input a sync of snapshot would write (full, or partial over snapshot.changed),
        without touching the kernel."""
        return render_restore(snapshot.services, snapshot.endpoints, self.rules,
                              None if full else snapshot.changed, self._known_chains).text

    def sync(self, snap: Snapshot) -> SyncResult:
        """Write the rules; raises SyncError (and schedules a full resync) when the kernel refuses them. The
        snapshot's changes are consumed already, so any failure forces the next sync to be full."""
        with self._lock:
            start = time.monotonic()
            try:
                saved = self._read_tables(is_large_cluster(snap.services, snap.endpoints))
                full = self.need_full_sync or time.monotonic() - self.last_full_sync > self.full_sync_period
                if full:
                    saved = saved or self._save()
                    self._ensure_base(saved)
                existing_nat_chains = saved.chains.get("nat", set()) if saved else self._known_chains
                read = time.monotonic()
                rendered = render_restore(snap.services, snap.endpoints, self.rules,
                                          None if full else snap.changed, existing_nat_chains)
                render = time.monotonic()
                self.netns.run(RESTORE_ARGV, input_text=rendered.text)
                restored = time.monotonic()
            except CommandError as err:
                self.need_full_sync = True
                raise SyncError(f"iptables-restore failed: {err}") from err
            except BaseException:
                self.need_full_sync = True
                raise
            if full:
                self.need_full_sync = False
                self.last_full_sync = time.monotonic()
            self._known_chains = rendered.active_nat_chains
            phases = {"read": read - start, "render": render - read, "restore": restored - render}
            return SyncResult(full, rendered.text, rendered.deleted_chains, restored - start, phases)

    def _save(self) -> SavedTables:
        try:
            saved = SavedTables.parse(self.netns.run(["iptables-save"]).stdout)
        except CommandError as err:
            raise SyncError(f"iptables-save failed: {err}") from err
        self.last_kernel_read = time.monotonic()
        return saved

    def _read_tables(self, large_cluster: bool) -> SavedTables | None:
        """The kernel's tables (None when a large cluster's partial sync skips reading them); a missing canary
        chain marks the sync as full."""
        skip = (large_cluster and not self.need_full_sync
                and time.monotonic() - self.last_kernel_read < self.cleanup_period)
        if skip and all(self._canary_present(t) for t in CANARY_TABLES):
            return None
        saved = self._save()
        if not all(saved.has_chain(t, KUBE_PROXY_CANARY) for t in CANARY_TABLES):
            if not self.need_full_sync:
                log.info("%s: KUBE-PROXY-CANARY is gone, the tables were flushed: full resync", self.node_name)
            self.need_full_sync = True
        return saved

    def _canary_present(self, table: str) -> bool:
        # Any failure (not only "No chain/target/match by that name", exit 1) counts as missing: the full
        # sync that follows reads the tables and reports a broken tool properly.
        try:
            return self.netns.run(["iptables", "-w", "-t", table, "-S", KUBE_PROXY_CANARY],
                                  ok_codes=tuple(range(256))).returncode == 0
        except CommandError:
            return False

    def _ensure_base(self, saved: SavedTables) -> None:
        """Canary chains, our top-level chains and the jumps from the built-in chains, created where missing
        in one restore (kube-proxy does the same with EnsureChain/EnsureRule at each full sync)."""
        lines: list[str] = []
        for table in ("mangle", "filter", "nat"):
            wanted = [KUBE_PROXY_CANARY] + [j.dst_chain for j in JUMP_RULES if j.table == table]
            missing_chains = dict.fromkeys(c for c in wanted if not saved.has_chain(table, c))
            missing_jumps = [j for j in JUMP_RULES if j.table == table
                             and not saved.has_rule(table, f"-A {j.src_chain} {j.spec}")]
            if missing_chains or missing_jumps:
                lines += [f"*{table}", *map(chain_line, missing_chains),
                          *(f"-I {j.src_chain} 1 {j.spec}" for j in missing_jumps), "COMMIT"]
        if lines:
            self.netns.run(RESTORE_ARGV, input_text="\n".join(lines) + "\n")

    def cleanup(self) -> None:
        """Remove every jump rule and chain this proxier (or a crashed one) made in the node's netns."""
        with self._lock:
            saved = SavedTables.parse(self.netns.run(["iptables-save"]).stdout)
            lines: list[str] = []
            for table, own in OWN_CHAINS.items():
                chains = [c for c in own if saved.has_chain(table, c)]
                if table == "nat":
                    chains += sorted(c for c in saved.chains.get("nat", ()) if hashing.is_service_chain(c))
                jumps = [j for j in JUMP_RULES if j.table == table
                         and saved.has_rule(table, f"-A {j.src_chain} {j.spec}")]
                if not chains and not jumps:
                    continue
                # Declaring a chain flushes it, which drops the references between our chains before -X.
                lines += [f"*{table}", *map(chain_line, chains), *(f"-D {j.src_chain} {j.spec}" for j in jumps),
                          *(f"-X {c}" for c in chains), "COMMIT"]
            if lines:
                self.netns.run(RESTORE_ARGV, input_text="\n".join(lines) + "\n")
            self.need_full_sync = True
            self._known_chains = set()


def _load_items(path: str) -> list[dict[str, Any]]:
    """A JSON file holding a List (items), a bare array, or a single object."""
    with open(path) as f:
        data = json.load(f)
    if isinstance(data, dict):
        return list(data["items"]) if "items" in data else [data]
    return list(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubenet.proxy.iptables",
                                     description="Print the iptables-restore input kube-proxy would write.")
    parser.add_argument("--dry-run", action="store_true", required=True, help="print, do not apply")
    parser.add_argument("services", help="JSON file: Service list (kubectl get svc -A -o json)")
    parser.add_argument("slices", help="JSON file: EndpointSlice list")
    parser.add_argument("--node-name", default="kind-worker")
    parser.add_argument("--node-ip", action="append", default=[])
    parser.add_argument("--cluster-cidr", default="10.244.0.0/16")
    parser.add_argument("--masquerade-all", action="store_true")
    args = parser.parse_args(argv)
    proxier = IPTablesProxier(ProxyConfig(args.node_name, tuple(args.node_ip), args.cluster_cidr,
                                          masquerade_all=args.masquerade_all))
    state = ProxyState(args.node_name)
    for svc in _load_items(args.services):
        state.on_service("ADDED", svc)
    for endpoint_slice in _load_items(args.slices):
        state.on_endpoint_slice("ADDED", endpoint_slice)
    sys.stdout.write(proxier.render(state.snapshot(), full=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

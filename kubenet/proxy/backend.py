"""The seam between kube-proxy's shared part and the backend that programs one datapath mode.

kube-proxy (pkg/proxy) splits the same way: the change trackers, the rate-limited sync loop and the UDP
conntrack clean-up are shared (here `tracker.py`, `runner.py`, `conntrack.py`, driven by `kube_proxy.Proxier`);
each mode (pkg/proxy/iptables, nftables, ipvs) only turns the desired state into kernel objects.

How to add a backend (nftables and IPVS are next):
1. Write `kubenet/proxy/<mode>.py` with a class built as `Backend(config: ProxyConfig, tools: NetnsExec)` that
   implements `ProxyBackend`: `sync(snapshot)` writes the snapshot's state into the node's netns (through
   `tools`, so unit tests can fake the kernel) and returns a `SyncResult`; `render(snapshot, full)` returns the
   text the next sync would write without touching the kernel (a dry run); `cleanup()` removes every kernel
   object the mode ever made, also those of a crashed run. Deciding full or partial is the backend's (only it
   can tell whether the kernel still holds its last state); the shared part never looks inside the kernel.
2. Name its kernel objects after kube-proxy's own for that mode (shared hashing in `hashing.py`), so a
   learner sees on a kubenet node what a real node shows.
3. Add one `BackendInfo` line to `_REGISTRY` below. `kubenet up --proxy-mode <mode>` can then pick it, and
   `tests/integration/test_proxy_conformance.py` runs its user-visible checks against it with no edit.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from kubenet.kernel.netns_exec import NetnsExec
from kubenet.proxy.tracker import Snapshot

# Modes upstream kube-proxy has on Linux (its --proxy-mode): an unregistered one is refused as unimplemented.
UPSTREAM_MODES = ("iptables", "ipvs", "nftables")


@dataclass(frozen=True)
class ProxyConfig:
    """What every backend is configured from (kube-proxy's KubeProxyConfiguration, the part we use)."""

    node_name: str
    node_ips: tuple[str, ...]
    cluster_cidr: str  # the "local detector": traffic from here is pod traffic
    netns: str | None = None  # the node's network namespace; None for the current one
    mode: str = "iptables"
    # --nodeport-addresses; empty means every local address, the only choice implemented so far.
    node_port_addresses: tuple[str, ...] = ()
    masquerade_all: bool = False
    masquerade_bit: int = 14  # --iptables-masquerade-bit; 14 gives mark 0x4000
    min_sync_period: float = 1.0  # --*-min-sync-period: syncs coalesce to at most one per this
    sync_period: float = 30.0  # --*-sync-period: a sync at least this often; large-cluster table reads too
    full_sync_period: float = 3600.0  # proxyutil.FullSyncPeriod: a partial-sync backend resyncs fully this often
    conntrack_cleanup: bool = True  # delete stale UDP flows after a sync (pkg/proxy/conntrack)


@dataclass
class SyncResult:
    full: bool
    text: str  # what was written (iptables-restore input, an nft script, ...)
    deleted_chains: list[str]  # stale per-service objects this sync removed
    seconds: float
    # Seconds per phase: "read" (snapshot, reading the kernel), "render", "restore", "after" (conntrack
    # clean-up): where a sync's time goes (bench/proxy_latency_bench.py prints them).
    phases: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class ProxyBackend(Protocol):
    config: ProxyConfig

    def sync(self, snapshot: Snapshot) -> SyncResult:
        """Make the kernel match snapshot (services, endpoints; `changed` says which ports moved since the last
        snapshot); raise on failure, after which the next sync must be full."""
        ...

    def render(self, snapshot: Snapshot, full: bool = True) -> str:
        """What sync(snapshot) would write, full or partial over snapshot.changed; touches nothing."""
        ...

    def cleanup(self) -> None:
        """Remove every kernel object of this mode in the node's netns."""
        ...


@dataclass(frozen=True)
class BackendInfo:
    mode: str
    factory: str  # "module:Class", imported on first use so an unused mode costs nothing at start-up
    # A command that prints the mode's kernel state in the node's netns (what a user would look at).
    show_argv: tuple[str, ...]


_REGISTRY = {info.mode: info for info in (
    BackendInfo("iptables", "kubenet.proxy.iptables:IPTablesProxier", ("iptables-save",)),
)}


class UnknownProxyMode(ValueError):
    pass


def registered_modes() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def backend_info(mode: str) -> BackendInfo:
    """The registry entry for mode; UnknownProxyMode says whether the mode is unknown or not written yet."""
    info = _REGISTRY.get(mode)
    if info is not None:
        return info
    available = ", ".join(_REGISTRY)
    if mode in UPSTREAM_MODES:
        raise UnknownProxyMode(f'proxy mode "{mode}" is not implemented in kubenet yet (available: {available})')
    # kube-proxy's validation message for --proxy-mode, with kubenet's list of modes.
    raise UnknownProxyMode(f'invalid proxy mode "{mode}": must be {available}')


def new_backend(config: ProxyConfig, tools: NetnsExec | None = None) -> ProxyBackend:
    module, _, name = backend_info(config.mode).factory.partition(":")
    cls = getattr(importlib.import_module(module), name)
    return cls(config, tools if tools is not None else NetnsExec(config.netns))

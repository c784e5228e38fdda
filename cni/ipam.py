"""IPAM for the main plugins: host-local in-process, any other IPAM type by exec (SPEC section 4).

Also the `host-local` type as a plugin of its own, so our executable can be installed as host-local.
"""
from __future__ import annotations

from . import hostlocal
from .errors import CHECK_FAILED, INVALID_CONFIG, NOT_AVAILABLE, CNIError
from .spec import Invocation, valid_attachments

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _ipam(conf: dict[str, Any]) -> dict[str, Any]:
    ipam = conf.get("ipam")
    if not isinstance(ipam, dict) or not isinstance(ipam.get("type"), str):
        raise CNIError(INVALID_CONFIG, "ipam with a type is required")
    return ipam


def exec_plugin(conf: dict[str, Any], inv: Invocation) -> dict[str, Any] | None:
    from .delegate import exec_plugin as run_binary  # only other IPAM types pay for subprocess

    return run_binary(conf, inv)


def _delegated(conf: dict[str, Any]) -> dict[str, Any]:
    # SPEC section 4: the IPAM plugin receives the whole network config; only `type` changes meaning.
    sub = dict(conf)
    sub["type"] = conf["ipam"]["type"]
    return sub


def is_host_local(conf: dict[str, Any]) -> bool:
    return _ipam(conf)["type"] == "host-local"


def host_local_config(conf: dict[str, Any]) -> hostlocal.IPAMConfig:
    return hostlocal.parse_ipam_config(conf["name"], _ipam(conf))


def validate(conf: dict[str, Any]) -> None:
    """Fail with error 7 before anything is made when the IPAM section is unusable."""
    if is_host_local(conf):
        host_local_config(conf)


def ipam_add(conf: dict[str, Any], inv: Invocation) -> dict[str, Any]:
    if is_host_local(conf):
        return hostlocal.allocate(host_local_config(conf), inv.container_id, inv.ifname)
    return exec_plugin(_delegated(conf), inv) or {}


def ipam_del(conf: dict[str, Any], inv: Invocation) -> list[str]:
    """Release; returns the released addresses when we know them (host-local)."""
    if is_host_local(conf):
        return [str(ip) for ip in hostlocal.release(host_local_config(conf), inv.container_id, inv.ifname)]
    exec_plugin(_delegated(conf), inv)
    return []


def ipam_check(conf: dict[str, Any], inv: Invocation, addresses: list[str]) -> list[str]:
    """CHECK: the addresses from prevResult that IPAM does not hold for this attachment."""
    if is_host_local(conf):
        held = {str(ip) for ip in hostlocal.leased(host_local_config(conf), inv.container_id, inv.ifname)}
        return [a for a in addresses if a.split("/")[0] not in held]
    exec_plugin(_delegated(conf), inv)
    return []


def ipam_gc(conf: dict[str, Any], inv: Invocation) -> None:
    if is_host_local(conf):
        hostlocal.gc(host_local_config(conf), valid_attachments(conf))
    else:
        exec_plugin(_delegated(conf), inv)


def ipam_status(conf: dict[str, Any], inv: Invocation) -> None:
    """STATUS (SPEC 1.1): error 50 when ADD could not get an address."""
    if not is_host_local(conf):
        exec_plugin(_delegated(conf), inv)
        return
    import os  # STATUS only: ADD and DEL run without os (cni/main.py says why)

    cfg = host_local_config(conf)
    try:
        os.makedirs(cfg.store_dir, exist_ok=True)
        writable = os.access(cfg.store_dir, os.W_OK)
    except OSError as e:
        raise CNIError(NOT_AVAILABLE, "host-local: lease store unusable", str(e)) from None
    if not writable:
        raise CNIError(NOT_AVAILABLE, "host-local: lease store not writable", cfg.store_dir)
    if hostlocal.free_count(cfg) <= 0:
        raise CNIError(NOT_AVAILABLE, "host-local: no free addresses left", cfg.store_dir)


# --- `host-local` as a standalone IPAM plugin (what a main plugin would exec) -----------------------
def cmd_add(conf: dict[str, Any], inv: Invocation) -> dict[str, Any]:
    return hostlocal.allocate(host_local_config(conf), inv.container_id, inv.ifname)


def cmd_del(conf: dict[str, Any], inv: Invocation) -> None:
    hostlocal.release(host_local_config(conf), inv.container_id, inv.ifname)


def cmd_check(conf: dict[str, Any], inv: Invocation) -> None:
    if not hostlocal.leased(host_local_config(conf), inv.container_id, inv.ifname):
        raise CNIError(CHECK_FAILED, f"host-local: no lease for {inv.container_id}/{inv.ifname}")


def cmd_gc(conf: dict[str, Any], inv: Invocation) -> None:
    ipam_gc(conf, inv)


def cmd_status(conf: dict[str, Any], inv: Invocation) -> None:
    ipam_status(conf, inv)

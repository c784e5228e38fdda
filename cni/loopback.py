"""The loopback plugin: `lo` up in the pod netns (containernetworking/plugins loopback behaviour)."""
from __future__ import annotations

from .errors import CHECK_FAILED, NETLINK_FAILURE, UNKNOWN_CONTAINER, CNIError
from .netlink import IFF_UP, NetlinkError, RtNetlink
from .netns import netns_exists
from .spec import Invocation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LO_INDEX = 1  # lo is always the first link of a netns


def cmd_add(conf: dict[str, Any], inv: Invocation) -> dict[str, Any]:
    if not netns_exists(inv.netns):
        raise CNIError(UNKNOWN_CONTAINER, f"netns {inv.netns!r} does not exist")
    try:
        with RtNetlink(inv.netns) as pod:
            pod.set_flags(LO_INDEX, IFF_UP, IFF_UP)
    except NetlinkError as e:
        raise CNIError(NETLINK_FAILURE, "failed to bring lo up", str(e)) from None
    prev = conf.get("prevResult")
    if isinstance(prev, dict):  # in a chain: pass the result on (SPEC section 3)
        return dict(prev, cniVersion=conf["cniVersion"])
    return {"cniVersion": conf["cniVersion"],
            "interfaces": [{"name": "lo", "mac": "00:00:00:00:00:00", "sandbox": inv.netns}],
            "ips": [{"address": "127.0.0.1/8", "interface": 0}, {"address": "::1/128", "interface": 0}],
            "dns": {}}


def cmd_del(conf: dict[str, Any], inv: Invocation) -> None:
    if not inv.netns or not netns_exists(inv.netns):
        return  # nothing left to undo (SPEC "DEL" must succeed)
    try:
        with RtNetlink(inv.netns) as pod:
            pod.set_flags(LO_INDEX, 0, IFF_UP)
    except NetlinkError as e:
        raise CNIError(NETLINK_FAILURE, "failed to bring lo down", str(e)) from None


def cmd_check(conf: dict[str, Any], inv: Invocation) -> None:
    if not netns_exists(inv.netns):
        raise CNIError(UNKNOWN_CONTAINER, f"netns {inv.netns!r} does not exist")
    with RtNetlink(inv.netns) as pod:
        lo = pod.get_link_by_index(LO_INDEX)
    if lo is None or not lo.flags & IFF_UP:
        raise CNIError(CHECK_FAILED, "lo is down")


def cmd_status(conf: dict[str, Any], inv: Invocation) -> None:
    return None


def cmd_gc(conf: dict[str, Any], inv: Invocation) -> None:
    return None

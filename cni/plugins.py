"""Type name → in-process plugin, and one call per command: the seam both doors share.

Both doors (api.py in-process, main.py as an executable) end here, in the netns where the bridge,
host veths and iptables live; anything of another type is exec'ed (delegate.py).
"""
from __future__ import annotations

from .spec import Invocation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Modules are imported on first use, so an executable run for one type loads only that plugin.
PLUGINS: dict[str, str] = {
    "kubenet-bridge": "cni.bridge",
    "bridge": "cni.bridge",
    "host-local": "cni.ipam",
    "portmap": "cni.portmap",
    "loopback": "cni.loopback",
}


def run_plugin(conf: dict[str, Any], inv: Invocation) -> dict[str, Any] | None:
    """Run inv.command for one plugin config; ADD returns a result, the rest None (or raise CNIError)."""
    module = PLUGINS.get(conf["type"])
    if module is None:
        from .delegate import exec_plugin

        return exec_plugin(conf, inv)
    plugin = __import__(module, fromlist=["cmd_add"])  # the submodule itself; importlib would load warnings
    handler = {"ADD": plugin.cmd_add, "DEL": plugin.cmd_del, "CHECK": plugin.cmd_check,
               "STATUS": plugin.cmd_status, "GC": plugin.cmd_gc}[inv.command]
    return handler(conf, inv)

"""The library door: what the kubelet calls in-process (libcni's *NetworkList functions, in Python).

Each call runs the whole plugin chain on one short-lived thread inside `host_netns` (the node netns
that holds cni0, the host veths and the iptables rules), so the kubelet's own netns and threads are
never touched. Chains follow SPEC section 3 and libcni: ADD in order with prevResult flowing, the
final result cached at `<cacheDir>/results/<network>-<containerID>-<ifname>`, DEL in reverse order
with that cached result as prevResult, CHECK in order with it.
"""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any

from .errors import INVALID_CONFIG, IO_FAILURE, CNIError
from .netns import run_in_netns
from .plugins import run_plugin
from .spec import (
    SUPPORTED_VERSIONS,
    Invocation,
    convert_result,
    decode_config,
    validate_container_id,
    validate_ifname,
    validate_plugin_config,
    version_key,
)

__all__ = [
    "CNIError",
    "RuntimeConf",
    "add_network_list",
    "check_network_list",
    "del_network_list",
    "gc_network_list",
    "load_conflist",
    "status_network_list",
]

DEFAULT_CACHE_DIR = "/var/lib/cni"


@dataclass
class RuntimeConf:
    """One attachment: container, its netns path (/run/netns/NAME), interface, CNI_ARGS, capability args."""
    container_id: str
    netns: str
    ifname: str = "eth0"
    args: dict[str, str] = field(default_factory=dict)
    capability_args: dict[str, Any] = field(default_factory=dict)


def load_conflist(path_or_dict: str | os.PathLike | dict[str, Any]) -> dict[str, Any]:
    """Read a .conflist (or a single-plugin .conf, wrapped into a list) and validate it (SPEC section 1)."""
    if isinstance(path_or_dict, dict):
        raw = json.loads(json.dumps(path_or_dict))  # a private deep copy
    else:
        try:
            with open(path_or_dict, "rb") as f:
                raw = decode_config(f.read())
        except OSError as e:
            raise CNIError(IO_FAILURE, f"cannot read {path_or_dict}", str(e)) from None
    if "plugins" not in raw and "type" in raw:  # a .conf file: one plugin
        plugin = {k: v for k, v in raw.items() if k not in ("cniVersion", "cniVersions", "name")}
        raw = {k: raw[k] for k in ("cniVersion", "cniVersions", "name", "cacheDir") if k in raw} | {"plugins": [plugin]}
    versions = raw.get("cniVersions")
    if isinstance(versions, list) and versions:
        # SPEC 1.1: pick the highest version both sides support.
        common = [v for v in versions if v in SUPPORTED_VERSIONS]
        if not common:
            raise CNIError(1, "no supported version in cniVersions", ", ".join(map(str, versions)))
        raw["cniVersion"] = max(common, key=version_key)
    if not isinstance(raw.get("name"), str) or not raw["name"]:
        raise CNIError(INVALID_CONFIG, "network configuration list has no name")
    if not isinstance(raw.get("cniVersion"), str):
        raise CNIError(INVALID_CONFIG, "network configuration list has no cniVersion")
    plugins = raw.get("plugins")
    if not isinstance(plugins, list) or not plugins or not all(isinstance(p, dict) and p.get("type") for p in plugins):
        raise CNIError(INVALID_CONFIG, "plugins must be a non-empty list of objects with a type")
    return raw


def _plugin_conf(conflist: dict[str, Any], plugin: dict[str, Any], rt: RuntimeConf | None,
                 prev: dict[str, Any] | None) -> dict[str, Any]:
    # libcni buildOneConfig: name and version come from the list; runtimeConfig only carries the
    # capabilities the plugin declared (CONVENTIONS.md "Dynamic plugin specific fields").
    conf = dict(plugin, name=conflist["name"], cniVersion=conflist["cniVersion"])
    caps = plugin.get("capabilities") or {}
    if rt is not None:
        runtime = {k: v for k, v in rt.capability_args.items() if caps.get(k)}
        if runtime:
            conf["runtimeConfig"] = runtime
    if prev is not None:
        conf["prevResult"] = prev
    return conf


def _invocation(command: str, rt: RuntimeConf) -> Invocation:
    validate_container_id(rt.container_id)
    validate_ifname(rt.ifname)
    return Invocation(command, rt.container_id, rt.netns, rt.ifname, dict(rt.args))


def _cache_path(conflist: dict[str, Any], rt: RuntimeConf) -> str:
    base = conflist.get("cacheDir") or DEFAULT_CACHE_DIR
    return os.path.join(base, "results", f"{conflist['name']}-{rt.container_id}-{rt.ifname}")


def _write_cache(conflist: dict[str, Any], rt: RuntimeConf, result: dict[str, Any]) -> None:
    # libcni's cachedInfo ("cniCacheV1"), so tools that read libcni's cache understand ours.
    path = _cache_path(conflist, rt)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    entry = {"kind": "cniCacheV1", "containerId": rt.container_id, "ifName": rt.ifname,
             "networkName": conflist["name"], "netns": rt.netns,
             "config": base64.b64encode(json.dumps(conflist).encode()).decode(),
             "cniArgs": [[k, v] for k, v in rt.args.items()], "capabilityArgs": rt.capability_args,
             "result": result}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(entry, f)
    os.replace(tmp, path)


def _read_cache(conflist: dict[str, Any], rt: RuntimeConf) -> dict[str, Any] | None:
    try:
        with open(_cache_path(conflist, rt)) as f:
            return json.load(f).get("result")
    except (FileNotFoundError, ValueError):
        return None


def add_network_list(conflist: dict[str, Any], rt: RuntimeConf, host_netns: str | None = None) -> dict[str, Any]:
    """ADD every plugin in order (SPEC section 3); returns the final result in the list's version."""
    conflist = load_conflist(conflist)
    inv = _invocation("ADD", rt)

    def chain() -> dict[str, Any]:
        prev: dict[str, Any] | None = None
        for plugin in conflist["plugins"]:
            conf = _plugin_conf(conflist, plugin, rt, prev)
            validate_plugin_config(conf, "ADD")
            prev = run_plugin(conf, inv)
        result = convert_result(prev or {}, conflist["cniVersion"])
        _write_cache(conflist, rt, result)
        return result

    return run_in_netns(host_netns, chain)


def del_network_list(conflist: dict[str, Any], rt: RuntimeConf, host_netns: str | None = None) -> None:
    """DEL every plugin in reverse order with the cached result; fine to call twice (SPEC "DEL")."""
    conflist = load_conflist(conflist)
    inv = _invocation("DEL", rt)
    cached = _read_cache(conflist, rt)
    with_prev = version_key(conflist["cniVersion"]) >= (0, 4, 0)  # prevResult on DEL since 0.4.0

    def chain() -> None:
        for plugin in reversed(conflist["plugins"]):
            conf = _plugin_conf(conflist, plugin, rt, cached if with_prev else None)
            validate_plugin_config(conf, "DEL")
            run_plugin(conf, inv)
        try:
            os.remove(_cache_path(conflist, rt))
        except FileNotFoundError:
            pass

    run_in_netns(host_netns, chain)


def check_network_list(conflist: dict[str, Any], rt: RuntimeConf, host_netns: str | None = None) -> None:
    """CHECK every plugin in order against the cached ADD result (SPEC "CHECK")."""
    conflist = load_conflist(conflist)
    inv = _invocation("CHECK", rt)
    cached = _read_cache(conflist, rt)
    if cached is None:
        raise CNIError(INVALID_CONFIG, "no cached result for this attachment", _cache_path(conflist, rt))

    def chain() -> None:
        for plugin in conflist["plugins"]:
            conf = _plugin_conf(conflist, plugin, rt, cached)
            validate_plugin_config(conf, "CHECK")
            run_plugin(conf, inv)

    run_in_netns(host_netns, chain)


def gc_network_list(conflist: dict[str, Any], valid_attachments: list[dict[str, Any]],
                    host_netns: str | None = None) -> None:
    """GC (SPEC 1.1): every plugin releases what is not in valid_attachments; stale cache entries go too."""
    conflist = load_conflist(conflist)
    valid = [{"containerID": a["containerID"], "ifname": a["ifname"]} for a in valid_attachments]
    keep = {f"{conflist['name']}-{a['containerID']}-{a['ifname']}" for a in valid}
    results = os.path.join(conflist.get("cacheDir") or DEFAULT_CACHE_DIR, "results")
    inv = Invocation("GC")

    def chain() -> None:
        if version_key(conflist["cniVersion"]) >= (1, 1, 0):  # older plugins know no GC (libcni skips them)
            for plugin in conflist["plugins"]:
                conf = _plugin_conf(conflist, plugin, None, None)
                conf["cni.dev/valid-attachments"] = valid
                validate_plugin_config(conf, "GC")
                run_plugin(conf, inv)
        if os.path.isdir(results):
            for name in os.listdir(results):
                if name.startswith(conflist["name"] + "-") and name not in keep:
                    os.remove(os.path.join(results, name))

    run_in_netns(host_netns, chain)


def status_network_list(conflist: dict[str, Any], host_netns: str | None = None) -> None:
    """STATUS (SPEC 1.1): raises CNIError 50/51 when ADD would not work now."""
    conflist = load_conflist(conflist)
    if version_key(conflist["cniVersion"]) < (1, 1, 0):
        return
    inv = Invocation("STATUS")

    def chain() -> None:
        for plugin in conflist["plugins"]:
            conf = _plugin_conf(conflist, plugin, None, None)
            validate_plugin_config(conf, "STATUS")
            run_plugin(conf, inv)

    run_in_netns(host_netns, chain)

"""The CNI protocol itself: versions, the environment of one invocation, config decoding, result shapes.

References are to the CNI SPEC (containernetworking/cni SPEC.md, versions 1.0.0 and 1.1.0).
"""
from __future__ import annotations

from . import jsonio
from .errors import DECODE_FAILURE, INCOMPATIBLE_VERSION, INVALID_CONFIG, INVALID_ENV, CNIError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

SUPPORTED_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]
LATEST = SUPPORTED_VERSIONS[-1]
COMMANDS = ("ADD", "DEL", "CHECK", "VERSION", "STATUS", "GC")
# SPEC "Parameters": CNI_CONTAINERID is alphanumeric first, then alphanumerics, underscore, dot, hyphen (libcni's
# `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`; checked without re, which the executable does not otherwise import).
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_CONTAINER_ID_CHARS = _ALNUM | frozenset("_.-")
# Commands added by a spec version; asking an older config for them is an incompatibility (SPEC 1.1 STATUS/GC).
_SINCE = {"CHECK": "0.4.0", "STATUS": "1.1.0", "GC": "1.1.0"}


def version_key(v: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in v.split("."))
    except ValueError:
        return (-1,)


class Invocation:
    """What the runtime tells a plugin through its environment (SPEC section 2, "Parameters").

    A plain class, as are the other records of the executable's modules: dataclasses imports inspect, ast and
    dis, about a fifth of a plugin start-up (cni/jsonio.py says why that matters).
    """
    __slots__ = ("args", "command", "container_id", "ifname", "netns", "path")

    def __init__(self, command: str, container_id: str = "", netns: str = "", ifname: str = "",
                 args: dict[str, str] | None = None, path: list[str] | None = None) -> None:
        self.command = command
        self.container_id = container_id
        self.netns = netns
        self.ifname = ifname
        self.args = {} if args is None else args
        self.path = [] if path is None else path

    def env(self) -> dict[str, str]:
        """The same invocation as environment variables, to exec another plugin (delegation)."""
        return {"CNI_COMMAND": self.command, "CNI_CONTAINERID": self.container_id, "CNI_NETNS": self.netns,
                "CNI_IFNAME": self.ifname, "CNI_ARGS": ";".join(f"{k}={v}" for k, v in self.args.items()),
                "CNI_PATH": ":".join(self.path)}


def validate_ifname(name: str) -> None:
    # SPEC "Parameters" CNI_IFNAME: a valid Linux interface name (IFNAMSIZ 16 with NUL).
    if not name or len(name) > 15 or name in (".", "..") or any(c in name for c in "/:") or any(
            c.isspace() for c in name):
        raise CNIError(INVALID_ENV, f"invalid CNI_IFNAME {name!r}", "1-15 chars, not . or .., no / : or spaces")


def validate_container_id(cid: str) -> None:
    if not cid or cid[0] not in _ALNUM or not _CONTAINER_ID_CHARS.issuperset(cid):
        raise CNIError(INVALID_ENV, f"invalid CNI_CONTAINERID {cid!r}",
                       "must start with an alphanumeric and contain only alphanumerics, _ . -")


def parse_cni_args(raw: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, raw.split(";")):
        k, sep, v = part.partition("=")
        if not sep:
            raise CNIError(INVALID_ENV, f"invalid CNI_ARGS pair {part!r}", "expected K=V;K=V")
        out[k] = v
    return out


def invocation_from_env(env: Mapping[str, str]) -> Invocation:
    """Read and validate the environment; every problem is error 4 (SPEC "Errors")."""
    command = env.get("CNI_COMMAND", "")
    if command not in COMMANDS:
        raise CNIError(INVALID_ENV, f"unknown CNI_COMMAND {command!r}", "one of " + ", ".join(COMMANDS))
    inv = Invocation(command, env.get("CNI_CONTAINERID", ""), env.get("CNI_NETNS", ""), env.get("CNI_IFNAME", ""),
                     parse_cni_args(env.get("CNI_ARGS", "")),
                     [p for p in env.get("CNI_PATH", "").split(":") if p])
    # SPEC: ADD and CHECK need CONTAINERID, NETNS, IFNAME; DEL needs CONTAINERID and IFNAME.
    required = {"ADD": ("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"),
                "CHECK": ("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"),
                "DEL": ("CNI_CONTAINERID", "CNI_IFNAME")}.get(command, ())
    missing = [k for k in required if not env.get(k)]
    if missing:
        raise CNIError(INVALID_ENV, f"required env variables [{','.join(missing)}] missing")
    if command in ("ADD", "CHECK", "DEL"):
        validate_container_id(inv.container_id)
        validate_ifname(inv.ifname)
    return inv


def decode_config(raw: bytes | str) -> dict[str, Any]:
    """stdin → dict: undecodable JSON is error 6, a JSON value that is not a config is error 7."""
    try:
        conf = jsonio.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise CNIError(DECODE_FAILURE, "failed to decode network configuration", str(e)) from None
    if not isinstance(conf, dict):
        raise CNIError(INVALID_CONFIG, "network configuration must be a JSON object")
    return conf


def validate_plugin_config(conf: dict[str, Any], command: str) -> str:
    """Check the fields every plugin config has (SPEC section 1); return its cniVersion."""
    version = conf.get("cniVersion")
    if not isinstance(version, str) or not version:
        raise CNIError(INVALID_CONFIG, "cniVersion missing from network configuration")
    if version not in SUPPORTED_VERSIONS:
        raise CNIError(INCOMPATIBLE_VERSION, f"incompatible CNI versions: config is {version!r}",
                       "plugin supports " + ", ".join(SUPPORTED_VERSIONS))
    since = _SINCE.get(command)
    if since and version_key(version) < version_key(since):
        raise CNIError(INCOMPATIBLE_VERSION, f"config version {version} does not allow {command}",
                       f"{command} needs cniVersion >= {since}")
    if not isinstance(conf.get("name"), str) or not conf["name"]:
        raise CNIError(INVALID_CONFIG, "network name missing from configuration")
    if not isinstance(conf.get("type"), str) or not conf["type"]:
        raise CNIError(INVALID_CONFIG, "plugin type missing from configuration")
    if "prevResult" in conf and not isinstance(conf["prevResult"], dict):
        raise CNIError(INVALID_CONFIG, "prevResult must be an object")
    return version


def convert_result(result: dict[str, Any], version: str) -> dict[str, Any]:
    """Shape a result for the config's version (SPEC "Result"; 0.3.x/0.4.0 ips carry "version")."""
    out = dict(result)
    out["cniVersion"] = version
    if version_key(version) < (1, 1, 0):  # interface mtu/socketPath/pciID arrived with 1.1.0
        out["interfaces"] = [{k: v for k, v in i.items() if k in ("name", "mac", "sandbox")}
                             for i in result.get("interfaces", [])]
        if not out["interfaces"]:
            del out["interfaces"]
    if version_key(version) < (1, 0, 0):
        out["ips"] = [dict(ip, version="6" if ":" in ip["address"] else "4") for ip in result.get("ips", [])]
    return out


def version_result(version: str = LATEST) -> dict[str, Any]:
    return {"cniVersion": version, "supportedVersions": list(SUPPORTED_VERSIONS)}


def valid_attachments(conf: dict[str, Any]) -> set[tuple[str, str]]:
    """GC input (SPEC 1.1 "GC"): `cni.dev/valid-attachments`, older name `cni.dev/attachments`."""
    raw = conf.get("cni.dev/valid-attachments", conf.get("cni.dev/attachments"))
    if raw is None:
        raise CNIError(INVALID_CONFIG, "GC needs cni.dev/valid-attachments")
    if not isinstance(raw, list):
        raise CNIError(INVALID_CONFIG, "cni.dev/valid-attachments must be a list")
    try:
        return {(str(a["containerID"]), str(a["ifname"])) for a in raw}
    except (KeyError, TypeError):
        raise CNIError(INVALID_CONFIG, "each valid attachment needs containerID and ifname") from None

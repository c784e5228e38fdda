"""Discovery documents: /version, /api, /apis and one APIResourceList per group-version."""
from __future__ import annotations

import platform

from kubenet.api.kinds import GROUP_ORDER, Kind, kinds_in
from kubenet.api.version import GIT_VERSION

# Subresource → (kind, verbs, group, version) as a real server lists them; group/version only when they differ.
_SUB = {
    "status": (None, ["get", "patch", "update"], None, None),
    "scale": ("Scale", ["get", "patch", "update"], "autoscaling", "v1"),
    "binding": ("Binding", ["create"], None, None),
    "log": ("Pod", ["get"], None, None),
    "exec": ("PodExecOptions", ["create", "get"], None, None),
    "attach": ("PodAttachOptions", ["create", "get"], None, None),
    "portforward": ("PodPortForwardOptions", ["create", "get"], None, None),
    "eviction": ("Eviction", ["create"], "policy", "v1"),
    "ephemeralcontainers": (None, ["get", "patch", "update"], None, None),
    "proxy": (None, ["create", "delete", "get", "patch", "update"], None, None),
    "finalize": (None, ["update"], None, None),
    "token": ("TokenRequest", ["create"], "authentication.k8s.io", "v1"),
}

_PROXY_KIND = {"pods": "PodProxyOptions", "services": "ServiceProxyOptions", "nodes": "NodeProxyOptions"}


def version() -> dict:
    return {"major": "1", "minor": GIT_VERSION.split(".")[1], "gitVersion": GIT_VERSION + "+kubenet",
            "gitCommit": "kubenet", "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "kubenet (python " + platform.python_version() + ")", "compiler": "gc",
            "platform": "linux/amd64"}


def api_versions(server_address: str) -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def api_group_list() -> dict:
    groups = []
    for group in GROUP_ORDER[1:]:
        gv = {"groupVersion": f"{group}/v1", "version": "v1"}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> dict | None:
    if group not in GROUP_ORDER[1:]:
        return None
    gv = {"groupVersion": f"{group}/v1", "version": "v1"}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": [gv], "preferredVersion": gv}


def _entry(kind: Kind) -> dict:
    entry = {"name": kind.plural, "singularName": kind.singular_name, "namespaced": kind.namespaced,
             "kind": kind.kind, "verbs": list(kind.verbs)}
    if kind.short_names:
        entry["shortNames"] = list(kind.short_names)
    if kind.categories:
        entry["categories"] = list(kind.categories)
    return entry


def resource_list(group_version: str) -> dict | None:
    kinds = kinds_in(group_version)
    if not kinds:
        return None
    resources = []
    for kind in kinds:
        resources.append(_entry(kind))
        for sub in kind.subresources:
            sub_kind, verbs, group, ver = _SUB[sub]
            if sub == "proxy":
                sub_kind = _PROXY_KIND.get(kind.plural)
            e = {"name": f"{kind.plural}/{sub}", "singularName": "", "namespaced": kind.namespaced,
                 "kind": sub_kind or kind.kind, "verbs": verbs}
            if group:
                e["group"], e["version"] = group, ver
            resources.append(e)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}

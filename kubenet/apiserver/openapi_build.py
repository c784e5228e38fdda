"""Builds the OpenAPI documents into a cache directory (run in a subprocess: it imports `kubernetes`).

Layout of the directory it fills:
  v2.json                    /openapi/v2 (swagger 2.0)
  v3/<api__v1>.json          /openapi/v3/api/v1, /openapi/v3/apis/apps/v1 (`/` → `__`)
  index.json                 /openapi/v3 discovery, with each document's hash
  fields.json                compact field tree for strict field validation (unknown_fields)
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile

from kubenet.api.kinds import GROUP_ORDER, KINDS, Kind
from kubenet.apiserver.openapi_paths import PathBuilder
from kubenet.apiserver.openapi_schema import INT_OR_STRING, META, QUANTITY, SchemaBuilder, kind_class

SERVER_VERSION = "v1.32.4"
_SECURITY_V2 = {"BearerToken": {"type": "apiKey", "name": "authorization", "in": "header",
                                "description": "Bearer Token authentication"}}
_SECURITY_V3 = {"BearerToken": {"type": "apiKey", "name": "authorization", "in": "header",
                                "description": "Bearer Token authentication"}}


def _with_refs(value, v3: bool):
    """Turn bare `$ref` names into document references; in v3, a described ref becomes allOf as kube-openapi does."""
    if isinstance(value, list):
        return [_with_refs(v, v3) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _with_refs(v, v3) for k, v in value.items()}
    if "$ref" in out and not out["$ref"].startswith("#"):
        target = ("#/components/schemas/" if v3 else "#/definitions/") + out["$ref"]
        if v3 and len(out) > 1:
            out.pop("$ref")
            out["allOf"] = [{"$ref": target}]
        else:
            out["$ref"] = target
    return out


def _closure(definitions: dict[str, dict], start: list[str]) -> list[str]:
    seen: list[str] = []
    stack = list(start)
    while stack:
        name = stack.pop()
        if name in seen or name not in definitions:
            continue
        seen.append(name)
        stack.extend(_refs(definitions[name]))
    return sorted(seen)


def _refs(value) -> list[str]:
    if isinstance(value, dict):
        ref = value.get("$ref")
        # paths already hold document references; definitions hold bare names
        found = [ref.rpartition("/")[2]] if isinstance(ref, str) else []
        for v in value.values():
            found.extend(_refs(v))
        return found
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def _gv_path(group_version: str) -> str:
    return "api/v1" if group_version == "v1" else f"apis/{group_version}"


def _served() -> list[Kind]:
    return [k for k in KINDS if k.kind != "Binding"]


def build_documents() -> dict[str, bytes]:
    """All documents, keyed by their file name inside the cache directory."""
    roots: dict[str, list[str]] = {}
    for group in GROUP_ORDER + ["autoscaling"]:
        kinds = [k for k in KINDS if k.group == group]
        roots[group] = [kind_class(k.group, k.kind) for k in kinds]
        roots[group] += [kind_class(k.group, k.kind) + "List" for k in kinds if "list" in k.verbs]
    schemas = SchemaBuilder(roots)
    definitions, tree = schemas.definitions()

    kinds_index: dict[str, str] = {}
    gvk_defs: dict[str, dict] = {}
    for kind in KINDS:
        type_name = schemas.definition_name(kind_class(kind.group, kind.kind))
        gvk = {"group": kind.group, "kind": kind.kind, "version": kind.version}
        gvk_defs[type_name] = gvk
        list_class = kind_class(kind.group, kind.kind) + "List"
        if list_class in schemas.names:  # Binding has no list
            gvk_defs[schemas.definition_name(list_class)] = {**gvk, "kind": kind.kind + "List"}
        kinds_index[f"{kind.api_version}/{kind.kind}"] = type_name
    gvk_defs[schemas.definition_name("V1Scale")] = {"group": "autoscaling", "kind": "Scale", "version": "v1"}
    for name, gvk in gvk_defs.items():
        definitions[name]["x-kubernetes-group-version-kind"] = [gvk]
    # Status and DeleteOptions are served by every group-version (kubectl reads them for errors and deletes).
    definitions[f"{META}.Status"]["x-kubernetes-group-version-kind"] = [{"group": "", "kind": "Status",
                                                                         "version": "v1"}]

    paths_by_gv: dict[str, tuple[dict, dict]] = {}
    for kind in _served():
        type_name = kinds_index[f"{kind.api_version}/{kind.kind}"]
        list_name = schemas.definition_name(kind_class(kind.group, kind.kind) + "List") if "list" in kind.verbs \
            else ""  # reviews are create-only: no list type
        extra = {}
        if "status" in kind.subresources:
            extra["status"] = type_name
        if "scale" in kind.subresources:
            extra["scale"] = schemas.definition_name("V1Scale")
        v2_paths, v3_paths = paths_by_gv.setdefault(kind.api_version, ({}, {}))
        v2_paths.update(PathBuilder(2).paths(kind, type_name, list_name, extra))
        v3_paths.update(PathBuilder(3).paths(kind, type_name, list_name, extra))

    info = {"title": "Kubernetes", "version": SERVER_VERSION}
    documents: dict[str, bytes] = {}
    all_v2_paths = {p: item for v2_paths, _ in paths_by_gv.values() for p, item in v2_paths.items()}
    v2 = {"swagger": "2.0", "info": info, "paths": all_v2_paths,
          "definitions": _with_refs(definitions, v3=False), "securityDefinitions": _SECURITY_V2,
          "security": [{"BearerToken": []}]}
    documents["v2.json"] = json.dumps(v2, sort_keys=True, separators=(",", ":")).encode()

    # OpenAPI v3 can say what v2 could not: these two accept either JSON type (kube-openapi's V3 definitions).
    definitions[INT_OR_STRING] = {**definitions[INT_OR_STRING], "oneOf": [{"type": "integer"}, {"type": "string"}]}
    definitions[INT_OR_STRING].pop("type")
    definitions[QUANTITY] = {**definitions[QUANTITY], "oneOf": [{"type": "string"}, {"type": "number"}]}
    definitions[QUANTITY].pop("type")
    index: dict[str, dict] = {"paths": {}}
    for group_version, (_, v3_paths) in sorted(paths_by_gv.items()):
        used = _closure(definitions, _refs(v3_paths) + [f"{META}.Status", f"{META}.DeleteOptions"])
        doc = {"openapi": "3.0.0", "info": info, "paths": v3_paths,
               "components": {"schemas": _with_refs({n: definitions[n] for n in used}, v3=True),
                              "securitySchemes": _SECURITY_V3}}
        body = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
        gv_path = _gv_path(group_version)
        documents[f"v3/{gv_path.replace('/', '__')}.json"] = body
        digest = hashlib.sha512(body).hexdigest().upper()
        index["paths"][gv_path] = {"serverRelativeURL": f"/openapi/v3/{gv_path}?hash={digest}"}
    documents["index.json"] = json.dumps(index, sort_keys=True).encode()
    documents["fields.json"] = json.dumps({"kinds": kinds_index, "types": tree}, sort_keys=True,
                                          separators=(",", ":")).encode()
    return documents


def build(target: str) -> None:
    """Write every document into `target`, atomically: a half-built cache is never visible."""
    parent = os.path.dirname(os.path.abspath(target)) or "."
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".openapi-build-", dir=parent)
    try:
        for name, body in build_documents().items():
            path = os.path.join(staging, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as out:
                out.write(body)
        try:
            os.rename(staging, target)
        except OSError:
            if not os.path.exists(os.path.join(target, "index.json")):  # lost a race to another builder: fine
                raise
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)

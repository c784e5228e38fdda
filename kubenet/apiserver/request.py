"""Reading a request: which resource a URL names and what it asks to do (for authorization), the decoded body,
delete options, content negotiation."""
from __future__ import annotations

import json
from dataclasses import dataclass

import yaml
from aiohttp import web

from kubenet.api import kinds, protobuf
from kubenet.api.kinds import Kind
from kubenet.apiserver import errors
from kubenet.apiserver.rbac import Attributes


@dataclass
class Target:
    group_version: str
    kind: Kind | None = None
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    watch: bool = False


def parse_target(request: web.Request) -> Target:
    """/api/v1[/watch][/namespaces/NS]/PLURAL[/NAME[/SUB]] and the /apis/GROUP/VERSION/... equivalents."""
    group = request.match_info.get("group", "")
    version = request.match_info.get("version", "v1")
    gv = f"{group}/{version}" if group else version
    segs = [s for s in request.match_info.get("rest", "").split("/") if s]
    t = Target(gv)
    if not segs:
        return t
    if segs[0] == "watch":
        t.watch = True
        segs = segs[1:]
    if len(segs) >= 3 and segs[0] == "namespaces" and not group and segs[2] in ("status", "finalize"):
        segs = ["namespaces", segs[1], segs[2]]  # a Namespace's own subresource
    elif len(segs) >= 3 and segs[0] == "namespaces":
        t.namespace = segs[1]
        segs = segs[2:]
    if len(segs) > 3:
        raise errors.resource_not_found()
    kind = kinds.by_resource(group, segs[0])
    if kind is None or kind.version != version:
        raise errors.resource_not_found()
    if kind.namespaced != (t.namespace is not None) and len(segs) > 1 and kind.namespaced:
        raise errors.resource_not_found()
    if not kind.namespaced and t.namespace is not None:
        raise errors.resource_not_found()
    t.kind = kind
    t.name = segs[1] if len(segs) > 1 else None
    t.subresource = segs[2] if len(segs) > 2 else None
    if t.subresource and t.subresource not in kind.subresources:
        raise errors.resource_not_found()
    return t


class _JSONCompatibleLoader(yaml.SafeLoader):
    """YAML as Kubernetes reads it (sigs.k8s.io/yaml converts to JSON): timestamps stay strings."""


_JSONCompatibleLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_yaml(raw: bytes | str):
    return yaml.load(raw, Loader=_JSONCompatibleLoader)


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise errors.bad_request(f'json: duplicate field "{k}"')
        out[k] = v
    return out


async def body_object(request: web.Request) -> dict:
    raw = await request.read()
    ctype = request.headers.get("Content-Type", "application/json").split(";")[0].strip()
    try:
        if ctype in ("application/yaml", "application/apply-patch+yaml"):
            obj = load_yaml(raw)
        elif ctype == "application/vnd.kubernetes.protobuf":
            obj = protobuf.decode_object(raw)  # what kubectl's typed clients (create configmap, ...) send
        else:
            obj = json.loads(raw, object_pairs_hook=_no_duplicates)
    except errors.APIError:
        raise
    except protobuf.ProtobufError as exc:
        raise errors.bad_request(str(exc)) from None
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"the body of the request was in an unknown format: {exc}") from None
    if not isinstance(obj, dict):
        raise errors.bad_request("the body of the request was in an unknown format - it must be a JSON object")
    return obj


async def delete_options(request: web.Request) -> dict:
    options: dict = {}
    raw = await request.read()
    if raw.strip():
        if request.headers.get("Content-Type", "").startswith("application/vnd.kubernetes.protobuf"):
            options = await body_object(request)  # typed clients send DeleteOptions as protobuf
            options.pop("kind", None)
            options.pop("apiVersion", None)
        else:
            try:
                options = json.loads(raw)
            except ValueError as exc:
                raise errors.bad_request(f"the body of the request was in an unknown format: {exc}") from None
        if not isinstance(options, dict):
            raise errors.bad_request("DeleteOptions must be an object")
    q = request.query
    if q.get("propagationPolicy"):
        options["propagationPolicy"] = q["propagationPolicy"]
    if q.get("gracePeriodSeconds"):
        try:
            options["gracePeriodSeconds"] = int(q["gracePeriodSeconds"])
        except ValueError:
            raise errors.bad_request("gracePeriodSeconds must be an integer") from None
    policy = options.get("propagationPolicy")
    if policy not in (None, "Foreground", "Background", "Orphan"):
        raise errors.bad_request(f'propagationPolicy: Unsupported value: "{policy}": supported values: '
                                 '"Foreground", "Background", "Orphan"')
    return options


def wants_table(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    first = accept.split(",")[0]
    return "as=Table" in first and "g=meta.k8s.io" in first


def strict_check(request: web.Request, kind: Kind, obj: dict) -> list[str]:
    """fieldValidation=Strict (kubectl's default) rejects unknown fields; Warn returns them as warnings."""
    mode = request.query.get("fieldValidation", "Warn")  # the server's default when the client names none
    if mode == "Ignore":
        return []
    from kubenet.apiserver import openapi
    unknown = openapi.unknown_fields(kind, obj)
    if not unknown:
        return []
    if mode == "Strict":
        detail = ", ".join(f'unknown field "{u.lstrip(".")}"' for u in unknown)
        raise errors.bad_request(f'{kind.kind} in version "{kind.version}" cannot be handled as a {kind.kind}: '
                                 f"strict decoding error: {detail}")
    return [f'unknown field "{u.lstrip(".")}"' for u in unknown]


def resource_attributes(request: web.Request, t: Target) -> Attributes:
    """What a resource request asks to do, as the real RequestInfo names it (apiserver pkg/endpoints/request)."""
    method, q = request.method, request.query
    name = t.name or ""
    if method in ("GET", "HEAD"):
        if t.watch:
            verb = "watch"
        elif t.name:
            verb = "get"
        else:
            verb = "watch" if q.get("watch") in ("true", "1") else "list"
            name = _exact_name(q.get("fieldSelector") or "")  # a list of one object may be granted by name
    elif method == "DELETE":
        verb = "delete" if t.name else "deletecollection"
    else:
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, method.lower())
    namespace = t.namespace or ""
    if t.kind.kind == "Namespace" and t.name:
        namespace = t.name  # a Namespace is in itself: a RoleBinding there may grant reading it
    return Attributes(verb=verb, api_group=t.kind.group, resource=t.kind.plural, subresource=t.subresource or "",
                      namespace=namespace, name=name)


def _exact_name(field_selector: str) -> str:
    for part in field_selector.split(","):
        key, eq, value = part.partition("=")
        if eq and key.strip() == "metadata.name":  # "metadata.name!=x" leaves the key "metadata.name!"
            return value.lstrip("=").strip()
    return ""

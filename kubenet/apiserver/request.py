"""Reading a request: which resource a URL names and what it asks to do (for authorization), the decoded body,
delete options, content negotiation."""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from kubenet.api import errors, kinds
from kubenet.api.kinds import Kind
from kubenet.api.validation_field import go_quote
from kubenet.apiserver import request_body
from kubenet.apiserver.rbac import Attributes

# DeleteOptions as a body decodes it (meta/v1; every group-version serves it).
DELETE_OPTIONS = Kind("", "v1", "DeleteOptions", "deleteoptions", verbs=())


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


async def body_object(request: web.Request, kind: Kind) -> dict:
    """A request body that is one object of `kind` (a review, DeleteOptions in protobuf), decoded into its Go type
    as a create decodes it (kubenet/apiserver/request_body.py)."""
    obj, _ = await request_body.read_object(request, kind, "CreateOptions")
    return obj


async def delete_options(request: web.Request) -> dict:
    options: dict = {}
    raw = await request.read()
    if raw.strip():
        mtype = request_body.body_media_type(request)  # typed clients send DeleteOptions as protobuf
        options = request_body.interpret(request_body.parse(raw, mtype, DELETE_OPTIONS), DELETE_OPTIONS, raw)
        if (options.get("kind") or "DeleteOptions") == "DeleteOptions":
            request_body.decode_typed(DELETE_OPTIONS, options, "Ignore")
        options.pop("kind", None)
        options.pop("apiVersion", None)
    q = request.query
    if q.get("propagationPolicy"):
        options["propagationPolicy"] = q["propagationPolicy"]
    if q.get("gracePeriodSeconds"):
        options["gracePeriodSeconds"] = request_body.query_int(request, "gracePeriodSeconds")
    policy = options.get("propagationPolicy")
    if policy not in (None, "Foreground", "Background", "Orphan"):
        raise errors.bad_request(f'propagationPolicy: Unsupported value: "{policy}": supported values: '
                                 '"Foreground", "Background", "Orphan"')
    return options


def wants_table(request: web.Request) -> bool:
    """Whether the client asks for a Table; its TableOptions are checked as optionsForTransform checks them."""
    accept = request.headers.get("Accept", "")
    first = accept.split(",")[0]
    if not ("as=Table" in first and "g=meta.k8s.io" in first):
        return False
    include = request.query.get("includeObject", "")
    if include not in ("", "None", "Metadata", "Object"):
        raise errors.bad_request(f"Unable to convert to Table as requested: includeObject: Invalid value: "
                                 f"{go_quote(include)}: must be 'Metadata', 'Object', 'None', or empty")
    return True


# What a resource endpoint can write (the serializers NegotiateOutputMediaType chooses from, CBOR being off in 1.32),
# in the order the 406 message lists them; and the `as=` transforms a client may ask for (meta.k8s.io).
OUTPUT_MEDIA_TYPES = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")
_TRANSFORMS = ("Table", "PartialObjectMetadata", "PartialObjectMetadataList")


def negotiate_output(request: web.Request) -> None:
    """Refuse an Accept header naming nothing the API writes, as NegotiateOutputMediaType does (406 NotAcceptable).

    No Accept, `*/*` or `application/*` accept anything; a media type with an `as=` transform is acceptable only for
    a transform meta.k8s.io serves (an unknown one is skipped, as acceptMediaTypeOptions skips it).
    """
    accept = request.headers.get("Accept", "").strip()
    if not accept:
        return
    for clause in accept.split(","):
        media, *params = [part.strip() for part in clause.split(";")]
        media = media.lower()
        if not media:
            continue
        if media in ("*/*", "application/*"):
            return
        if media not in OUTPUT_MEDIA_TYPES:
            continue
        options = dict(p.partition("=")[::2] for p in params)
        if "as" not in options or (options["as"] in _TRANSFORMS and options.get("g") == "meta.k8s.io"
                                   and options.get("v") in ("v1", "v1beta1")):
            return
    raise errors.not_acceptable(list(OUTPUT_MEDIA_TYPES))


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

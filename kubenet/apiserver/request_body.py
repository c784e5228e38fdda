"""A write's body and options, read in the order the real handlers read them (apiserver
pkg/endpoints/handlers/create.go, update.go, patch.go): the media type (415), the options in the query
(CreateOptions/UpdateOptions/PatchOptions validation, 422), then the body, decoded into the kind's Go types
(400 with the decoder's text, wrapped as the handler's transformDecodeError wraps it).
"""
from __future__ import annotations

import asyncio
import re
import types

from aiohttp import web

from kubenet.api import errors, protobuf, validation
from kubenet.api.kinds import Kind
from kubenet.api.validation_field import (
    FieldError,
    forbidden,
    go_quote,
    go_string_slice,
    invalid,
    not_supported,
    required,
    too_long,
)
from kubenet.apiserver import typed
from kubenet.apiserver.body import DecodeError, decode_json, decode_yaml

JSON, YAML, PROTOBUF = "application/json", "application/yaml", "application/vnd.kubernetes.protobuf"
BODY_TYPES = (JSON, YAML, PROTOBUF)
FIELD_VALIDATION = ("", "Ignore", "Strict", "Warn")  # sorted, as sets.List prints them
FIELD_MANAGER_MAX = 128
# PyYAML's pure-Python reader takes seconds for a few MB (libyaml's composer recurses in C and crashes on deep
# nesting, so it is not used): past this size a YAML body is decoded in a thread, and the event loop keeps answering.
BIG_YAML = 64 * 1024
FIND_KIND = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'


def media_type(request: web.Request) -> str:
    return request.headers.get("Content-Type", "").split(";")[0].strip().lower()


def unsupported_media_type(accepted: tuple[str, ...]) -> errors.APIError:
    return errors.APIError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                           f"accepted media types include: {', '.join(accepted)}")


def body_media_type(request: web.Request) -> str:
    """NegotiateInputSerializer: no Content-Type means JSON; anything but JSON, YAML or protobuf is a 415."""
    mtype = media_type(request) or JSON
    if mtype not in BODY_TYPES:
        raise unsupported_media_type(BODY_TYPES)
    return mtype


# --- options -----------------------------------------------------------------------------------------------

def check_options(request: web.Request, options_kind: str, patch_type: str | None = None) -> None:
    """ValidateCreateOptions / ValidateUpdateOptions / ValidatePatchOptions on the query's options."""
    q = request.query
    errs: list[FieldError] = []
    if options_kind == "PatchOptions":
        if patch_type != "application/apply-patch+yaml":
            if "force" in q:
                errs.append(forbidden("force", "may not be specified for non-apply patch"))
        elif not q.get("fieldManager"):
            # kubectl defaults it; controllers must set it (validation.go ValidatePatchOptions)
            errs.append(required("fieldManager", "is required for apply patch"))
    if len(q.get("fieldManager", "")) > FIELD_MANAGER_MAX:
        errs.append(too_long("fieldManager", FIELD_MANAGER_MAX))
    dry = q.getall("dryRun", [])
    if any(d != "All" for d in dry):
        errs.append(not_supported("dryRun", go_string_slice(dry), ["All"]))
    if q.get("fieldValidation", "") not in FIELD_VALIDATION:
        errs.append(not_supported("fieldValidation", q["fieldValidation"], list(FIELD_VALIDATION)))
    if errs:
        status = validation.invalid_status(types.SimpleNamespace(kind=options_kind, group="meta.k8s.io"), "", errs)
        del status["details"]["name"]  # omitempty
        raise errors.APIError.from_status(status)


def field_validation(request: web.Request) -> str:
    return request.query.get("fieldValidation") or "Warn"  # the server's default when the client names none


# --- the body ----------------------------------------------------------------------------------------------

def summarize(raw: bytes) -> str:
    """summarizeData(body, 30): the start of a JSON body as text, of anything else in hex."""
    if not raw:
        return "<empty>"
    if raw[:1] == b"{":
        return raw.decode("utf-8", "replace") if len(raw) <= 30 else raw[:30].decode("utf-8", "replace") + " ..."
    return raw.hex() if len(raw) <= 30 else raw[:30].hex() + " ..."


def unrecognized(kind: Kind, message: str, raw: bytes) -> errors.APIError:
    """transformDecodeError when the body's kind could not be read."""
    return errors.bad_request(f"the object provided is unrecognized (must be of type {kind.kind}): {message} "
                              f"({summarize(raw)})")


def parse(raw: bytes, mtype: str, kind: Kind, duplicates: list[str] | None = None) -> object:
    """Bytes → JSON value (None for an empty YAML document), with the errors a create's decoder gives."""
    try:
        if mtype == PROTOBUF:
            return protobuf.decode_object(raw)
        if mtype in (YAML, "application/apply-patch+yaml"):
            return decode_yaml(raw)
        return decode_json(raw, duplicates)
    except protobuf.ProtobufError as exc:
        raise errors.bad_request(str(exc)) from None
    except DecodeError as exc:
        if exc.too_large:
            raise errors.APIError(413, "RequestEntityTooLarge", exc.message) from None
        prefix = "" if mtype != JSON else "couldn't get version/kind; json parse error: "
        raise unrecognized(kind, prefix + exc.message, raw) from None


def interpret(obj: object, kind: Kind, raw: bytes) -> dict:
    """SimpleMetaFactory.Interpret: the body must be an object whose apiVersion and kind are strings."""
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise unrecognized(kind, "couldn't get version/kind; json parse error: json: cannot unmarshal "
                                 f"{typed.json_kind(obj)} into Go value of type {FIND_KIND}", raw)
    for field in ("apiVersion", "kind"):
        value = obj.get(field)
        if value is not None and not isinstance(value, str):
            raise unrecognized(kind, "couldn't get version/kind; json parse error: json: cannot unmarshal "
                                     f"{typed.json_kind(value)} into Go struct field .{field} of type string", raw)
    api_version = obj.get("apiVersion") or ""
    if api_version.count("/") > 1:
        raise unrecognized(kind, f"unexpected GroupVersion string: {api_version}", raw)
    return obj


def check_kind(kind: Kind, obj: dict) -> None:
    """A body of another kind than the endpoint's (for */scale, which the registry does not check)."""
    api_version, body_kind = obj.get("apiVersion") or kind.api_version, obj.get("kind") or kind.kind
    if api_version != kind.api_version:
        raise errors.bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                                 f"version ({kind.api_version})")
    if body_kind != kind.kind:
        raise errors.bad_request(f"the kind in the data ({body_kind}) does not match the expected kind ({kind.kind})")


def decode_typed(kind: Kind, obj: dict, mode: str, duplicates: list[str] | None = None) -> list[str]:
    """Decode `obj` (in place) into the kind's Go type; returns the warnings fieldValidation=Warn gives.
    Raises the 400 a type error or (Strict) an unknown or duplicate field gives."""
    body_kind = obj.get("kind") or kind.kind
    if body_kind != kind.kind or (obj.get("apiVersion") or kind.api_version) != kind.api_version:
        return []  # another kind: the registry answers that the kinds differ
    root = typed.schema().for_kind(kind.api_version, kind.kind)
    if root is None:
        return []
    version = (obj.get("apiVersion") or kind.api_version).rpartition("/")[2]
    try:
        unknown = typed.decode(root, obj)
    except typed.TypeMismatch as exc:
        raise errors.bad_request(f'{obj.get("kind") or kind.kind} in version "{version}" cannot be handled as a '
                                 f"{kind.kind}: {exc.go_message()}") from None
    if not (unknown or duplicates) or mode == "Ignore":
        return []
    texts = [f'unknown field "{u}"' for u in unknown] + [f'duplicate field "{d}"' for d in duplicates or ()]
    if mode == "Strict":
        raise errors.bad_request(f'{kind.kind} in version "{kind.version}" cannot be handled as a {kind.kind}: '
                                 f"strict decoding error: {', '.join(texts)}")
    return texts


async def read_object(request: web.Request, kind: Kind, options_kind: str) -> tuple[dict, list[str]]:
    """The body of a create or update as the handler decodes it: (object, warnings)."""
    mtype = body_media_type(request)
    raw = await request.read()
    check_options(request, options_kind)
    duplicates: list[str] = []
    if mtype == YAML and len(raw) > BIG_YAML:
        value = await asyncio.to_thread(parse, raw, mtype, kind, duplicates)
    else:
        value = parse(raw, mtype, kind, duplicates)
    obj = interpret(value, kind, raw)
    return obj, decode_typed(kind, obj, field_validation(request), duplicates=duplicates)


# --- numbers in the query ----------------------------------------------------------------------------------

_DIGITS = re.compile(r"[+-]?[0-9]+")
_UDIGITS = re.compile(r"[0-9]+")


def query_int(request: web.Request, name: str, bits: int = 64) -> int | None:
    """An integer query parameter as the parameter codec reads it (strconv.ParseInt): 400 with its text."""
    text = request.query.get(name)
    if not text:
        return None
    if not _DIGITS.fullmatch(text):
        raise errors.bad_request(f'strconv.ParseInt: parsing {go_quote(text)}: invalid syntax')
    value = int(text)
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise errors.bad_request(f'strconv.ParseInt: parsing {go_quote(text)}: value out of range')
    return value


STORE_MAX_REVISION = 2**63 - 1  # SQLite integers are int64


def watch_resource_version(kind: Kind, text: str | None) -> str | None:
    """A watch's resourceVersion, parsed as APIObjectVersioner.ParseResourceVersion does (a uint64; else the 422
    InterpretWatchError gives). A version past what the store can hold is one no event will ever reach."""
    if not text or text == "0":
        return text
    detail = None
    if not _UDIGITS.fullmatch(text):
        detail = f"strconv.ParseUint: parsing {go_quote(text)}: invalid syntax"
    elif int(text) >= 2**64:
        detail = f"strconv.ParseUint: parsing {go_quote(text)}: value out of range"
    if detail:
        qualified = types.SimpleNamespace(kind=kind.plural, group=kind.group)
        status = validation.invalid_status(qualified, "", [invalid("resourceVersion", text, detail)])
        del status["details"]["name"]
        raise errors.APIError.from_status(status)
    return str(min(int(text), STORE_MAX_REVISION))

"""Verbs beyond plain CRUD: patch (four content types), pods/binding, */scale."""
from __future__ import annotations

import json

from kubenet.api import errors
from kubenet.api import patch as patches
from kubenet.api.kinds import Kind, by_resource
from kubenet.api.meta import now_rfc3339
from kubenet.api.patch_errors import compact_json, go_value
from kubenet.api.selectors import selector_string
from kubenet.apiserver import typed
from kubenet.apiserver.body import DecodeError, decode_json, decode_yaml
from kubenet.apiserver.registry import Registry
from kubenet.apiserver.request_body import FIND_KIND, unsupported_media_type

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
PATCH_CONTENT_TYPES = (JSON_PATCH, MERGE, STRATEGIC, APPLY)  # the order the 415 lists them in
SCALE_KIND = "io.k8s.api.autoscaling.v1.Scale"


def patch_media_type(content_type: str) -> str:
    """The patch type a Content-Type names ("; charset=..." dropped), or the 415 patch.go gives."""
    content_type = content_type.split(";")[0].strip()
    if content_type not in PATCH_CONTENT_TYPES:
        raise unsupported_media_type(PATCH_CONTENT_TYPES)
    return content_type


def decode_patch(body: bytes | str, content_type: str):
    """The patch document, bounded as every body is (kubenet/apiserver/body.py), with patch.go's texts."""
    try:
        if content_type == APPLY:
            return decode_yaml(body)
        return decode_json(body)
    except DecodeError as exc:
        if exc.too_large:
            raise errors.APIError(413, "RequestEntityTooLarge", exc.message) from None
        if content_type == APPLY:
            raise errors.bad_request(f"error decoding YAML: error converting YAML to JSON: {exc}") from None
        raise errors.bad_request(f"error decoding patch: {exc}") from None


def patch_object(registry: Registry, kind: Kind, namespace: str | None, name: str, body: bytes | str,
                 content_type: str, subresource: str | None = None, field_manager: str | None = None,
                 force: bool = False, dry_run: bool = False, field_validation: str = "Warn",
                 decode_types: bool = True, decoded: object = None) -> tuple[dict, list[str]]:
    """Apply a patch of an already checked `content_type`; returns the stored object and the warnings.
    In-process clients (decode_types=False) write well-typed objects: their patches skip the Go-type decoding.
    `decoded`: the patch document, already decoded from `body` (the server does big YAML in a thread)."""
    patch = decoded if decoded is not None else decode_patch(body, content_type)
    if subresource == "scale":
        return _patch_scale(registry, kind, namespace, name, patch, content_type, dry_run, decode_types), []
    try:
        live = registry.get(kind, namespace, name)
    except errors.APIError:
        if content_type != APPLY:
            raise
        live = None
    root = typed.schema().for_kind(kind.api_version, kind.kind) if decode_types else None
    _check_shape(patch, content_type)
    try:
        if content_type == MERGE:
            new = patches.json_merge_patch(live, patch)
        elif content_type == JSON_PATCH:
            new = patches.json_patch(live, patch)
        elif content_type == STRATEGIC:
            new = patches.strategic_merge_patch(live, patch, kind.kind)
        else:
            _check_apply_patch(root, kind, namespace, name, patch)
            new = patches.server_side_apply(live, patch, kind.kind, field_manager, force, now_rfc3339())
    except patches.PatchError as exc:
        raise patch_error(exc, kind, name) from None
    warnings = _decode_result(root, new, patch, content_type, field_validation, kind)
    if live is None:
        new.setdefault("metadata", {})["name"] = name
        return registry.create(kind, namespace, new, dry_run), warnings
    # A patch applies to the version it read unless the patch itself pins another resourceVersion.
    if not (isinstance(patch, dict) and (patch.get("metadata") or {}).get("resourceVersion")):
        new.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
    manager = None if content_type == APPLY else field_manager
    return registry.update(kind, namespace, name, new, subresource, dry_run, manager), warnings


def _check_shape(patch: object, content_type: str) -> None:
    """A JSON patch is a list, the others an object (decoding into jsonpatch.Patch / map[string]interface{})."""
    if content_type == JSON_PATCH:
        if not isinstance(patch, list):
            raise errors.bad_request(f"json: cannot unmarshal {typed.json_kind(patch)} into Go value of type "
                                     "jsonpatch.Patch")
    elif not isinstance(patch, dict):
        text = f"json: cannot unmarshal {typed.json_kind(patch)} into Go value of type map[string]interface {{}}"
        raise errors.bad_request({MERGE: "error decoding patch: ",
                                  APPLY: "error decoding YAML: error unmarshaling JSON: while decoding JSON: "}.get(
            content_type, "") + text)


def _decode_result(root, new: object, patch: object, content_type: str, field_validation: str,
                   kind: Kind) -> list[str]:
    """Decode the patched object into the kind's Go type, as patch.go does after applying a patch: a value the
    type cannot hold is a 422 on field "patch" (quoting the patched JSON, or for a strategic patch the patch and
    the unstructured converter's text); unknown fields are dropped, refused (Strict) or warned about."""
    if root is None:
        return []
    if not isinstance(new, dict):  # a JSON patch replaced the whole document
        raise _invalid_patch(compact_json(new), "couldn't get version/kind; json parse error: json: cannot unmarshal "
                             f"{typed.json_kind(new)} into Go value of type {FIND_KIND}")
    try:
        unknown = typed.decode(root, new)
    except typed.TypeMismatch as exc:
        if content_type == STRATEGIC:
            shown, why = go_value(patch), exc.converter_message()
        else:
            shown, why = compact_json(new), exc.go_message()
        raise _invalid_patch(shown, why) from None
    if not unknown or field_validation == "Ignore":
        return []
    texts = [f'unknown field "{u}"' for u in unknown]
    if field_validation == "Strict":
        raise errors.bad_request(f"strict decoding error: {', '.join(texts)}")
    return texts


def _invalid_patch(shown: str, why: str) -> errors.APIError:
    cause = f"Invalid value: {json.dumps(shown, ensure_ascii=False)}: {why}"
    return errors.APIError(422, "Invalid", f' "" is invalid: patch: {cause}',
                           {"causes": [{"reason": "FieldValueInvalid", "message": cause, "field": "patch"}]})


def _check_apply_patch(root, kind: Kind, namespace: str | None, name: str, patch: dict) -> None:
    """The typed patch object server-side apply builds first (structuredmerge.go): a value its schema type
    cannot hold is `failed to create typed patch object (...)`. Upstream answers it with a 500 (an untyped
    error); we answer 400, as kubernetes/kubernetes#139255 proposes."""
    if root is None:
        return
    try:
        typed.decode(root, json.loads(json.dumps(patch)))
    except typed.TypeMismatch as exc:
        where = f"{namespace or ''}/{name}; {kind.group}/{kind.version}, Kind={kind.kind}"
        raise errors.bad_request(f"failed to create typed patch object ({where}): .{exc.path}: "
                                 f"{exc.apply_message()}") from None


def patch_error(exc: patches.PatchError, kind: Kind, name: str) -> errors.APIError:
    details = {"name": name, "kind": kind.plural, **({"group": kind.group} if kind.group else {})}
    if exc.causes:
        details["causes"] = exc.causes
    return errors.APIError(exc.code, exc.reason, exc.message, details if (exc.causes or exc.code == 422) else None)


# --- pods/binding --------------------------------------------------------------------------------------

def bind_pod(registry: Registry, namespace: str, name: str, binding: dict) -> dict:
    """POST pods/<name>/binding (and the bindings resource): the Pod storage's BindingREST."""
    return registry.storage(by_resource("", "pods")).bind(namespace, name, binding)


# --- */scale (autoscaling/v1 Scale) ----------------------------------------------------------------------

def get_scale(registry: Registry, kind: Kind, namespace: str, name: str) -> dict:
    obj = registry.get(kind, namespace, name)
    return _scale_of(registry, kind, obj)


def _scale_of(registry: Registry, kind: Kind, obj: dict) -> dict:
    meta = obj["metadata"]
    selector = registry.storage(kind).strategy.scale_selector(obj)
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": meta["name"], "namespace": meta.get("namespace"), "uid": meta.get("uid"),
                         "resourceVersion": meta.get("resourceVersion"),
                         "creationTimestamp": meta.get("creationTimestamp")},
            "spec": {"replicas": obj["spec"].get("replicas", 1)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0),
                       "selector": selector_string(selector)}}


def update_scale(registry: Registry, kind: Kind, namespace: str, name: str, scale: dict,
                 dry_run: bool = False) -> dict:
    obj = registry.get(kind, namespace, name)
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    if rv and rv != obj["metadata"]["resourceVersion"]:
        raise errors.conflict(kind, name)
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise errors.APIError(422, "Invalid", f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid '
                              f"value: {replicas}: must be greater than or equal to 0",
                              {"name": name, "group": "autoscaling", "kind": "Scale", "causes": [
                                  {"reason": "FieldValueInvalid", "field": "spec.replicas",
                                   "message": f"Invalid value: {replicas}: must be greater than or equal to 0"}]})
    obj["spec"]["replicas"] = replicas
    return _scale_of(registry, kind, registry.update(kind, namespace, name, obj, dry_run=dry_run))


def _patch_scale(registry, kind, namespace, name, patch, content_type, dry_run, decode_types=True):
    scale = get_scale(registry, kind, namespace, name)
    _check_shape(patch, content_type)
    try:
        if content_type == JSON_PATCH:
            new = patches.json_patch(scale, patch)
        else:
            new = patches.json_merge_patch(scale, patch)
    except patches.PatchError as exc:
        raise patch_error(exc, kind, name) from None
    if decode_types:
        _decode_result(typed.schema().by_name(SCALE_KIND), new, patch, content_type, "Ignore", kind)
    return update_scale(registry, kind, namespace, name, new, dry_run)

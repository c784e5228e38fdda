"""Verbs beyond plain CRUD: patch (four content types), pods/binding, */scale."""
from __future__ import annotations

import json

from yaml import YAMLError

from kubenet.api import patch as patches
from kubenet.api.kinds import Kind, by_resource
from kubenet.api.selectors import selector_string
from kubenet.apiserver import errors
from kubenet.apiserver.registry import Registry, now_rfc3339
from kubenet.apiserver.request import load_yaml

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
PATCH_CONTENT_TYPES = (MERGE, JSON_PATCH, STRATEGIC, APPLY)


def _decode(body: bytes | str, content_type: str):
    try:
        if content_type == APPLY:
            return load_yaml(body)
        return json.loads(body)
    except (ValueError, YAMLError) as exc:
        raise errors.bad_request(f"error decoding patch: {exc}") from None


def patch_object(registry: Registry, kind: Kind, namespace: str | None, name: str, body: bytes | str,
                 content_type: str, subresource: str | None = None, field_manager: str | None = None,
                 force: bool = False, dry_run: bool = False) -> dict:
    content_type = content_type.split(";")[0].strip()
    if content_type not in PATCH_CONTENT_TYPES:
        raise errors.APIError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - "
                              f"accepted media types include: {', '.join(PATCH_CONTENT_TYPES)}")
    patch = _decode(body, content_type)
    if subresource == "scale":
        return _patch_scale(registry, kind, namespace, name, patch, content_type, dry_run)
    try:
        live = registry.get(kind, namespace, name)
    except errors.APIError:
        if content_type != APPLY:
            raise
        live = None
    try:
        if content_type == MERGE:
            if not isinstance(patch, dict):
                raise errors.bad_request("json: cannot unmarshal into Go value of type map[string]interface {}")
            new = patches.json_merge_patch(live, patch)
        elif content_type == JSON_PATCH:
            if not isinstance(patch, list):
                raise errors.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
            new = patches.json_patch(live, patch)
        elif content_type == STRATEGIC:
            if not isinstance(patch, dict):
                raise errors.bad_request("json: cannot unmarshal into Go value of type map[string]interface {}")
            new = patches.strategic_merge_patch(live, patch, kind.kind)
        else:
            if not field_manager:
                raise errors.bad_request("PATCH /apply requests require a fieldManager query parameter")
            if not isinstance(patch, dict):
                raise errors.bad_request("error decoding YAML: the apply patch must be an object")
            new = patches.server_side_apply(live, patch, kind.kind, field_manager, force, now_rfc3339())
    except patches.PatchError as exc:
        raise patch_error(exc, kind, name) from None
    if live is None:
        new.setdefault("metadata", {})["name"] = name
        return registry.create(kind, namespace, new, dry_run)
    # A patch applies to the version it read unless the patch itself pins another resourceVersion.
    if not (isinstance(patch, dict) and (patch.get("metadata") or {}).get("resourceVersion")):
        new.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
    manager = None if content_type == APPLY else field_manager
    return registry.update(kind, namespace, name, new, subresource, dry_run, manager)


def patch_error(exc: patches.PatchError, kind: Kind, name: str) -> errors.APIError:
    details = {"name": name, "kind": kind.plural, **({"group": kind.group} if kind.group else {})}
    if exc.causes:
        details["causes"] = exc.causes
    return errors.APIError(exc.code, exc.reason, exc.message, details if (exc.causes or exc.code == 422) else None)


# --- pods/binding --------------------------------------------------------------------------------------

def bind_pod(registry: Registry, namespace: str, name: str, binding: dict) -> dict:
    pods = by_resource("", "pods")
    target = (binding.get("target") or {})
    node = target.get("name")
    if not node:
        raise errors.APIError(422, "Invalid", f'Binding "{name}" is invalid: target.name: Required value')
    pod = registry.get(pods, namespace, name)
    if pod["metadata"].get("deletionTimestamp"):
        raise errors.conflict(pods, name, "pod is being deleted, cannot be assigned to a host")
    current = pod["spec"].get("nodeName")
    if current:
        raise errors.conflict(pods, name, f"pod {name} is already assigned to node \"{current}\"")
    pod["spec"]["nodeName"] = node
    conditions = [c for c in pod.setdefault("status", {}).get("conditions", []) if c.get("type") != "PodScheduled"]
    conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                       "lastTransitionTime": now_rfc3339()})
    pod["status"]["conditions"] = conditions
    # Binding writes spec.nodeName and the status condition in one step; bypass the status reset.
    registry.store.update(registry.key(pods, namespace, name), pod, pod["metadata"]["resourceVersion"])
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


# --- */scale (autoscaling/v1 Scale) ----------------------------------------------------------------------

def get_scale(registry: Registry, kind: Kind, namespace: str, name: str) -> dict:
    obj = registry.get(kind, namespace, name)
    return _scale_of(obj)


def _scale_of(obj: dict) -> dict:
    meta = obj["metadata"]
    selector = obj["spec"].get("selector")
    if obj.get("kind") == "ReplicationController":  # a map of labels, not a LabelSelector
        selector = {"matchLabels": selector or {}}
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
    return _scale_of(registry.update(kind, namespace, name, obj, dry_run=dry_run))


def _patch_scale(registry, kind, namespace, name, patch, content_type, dry_run):
    scale = get_scale(registry, kind, namespace, name)
    try:
        if content_type == JSON_PATCH:
            new = patches.json_patch(scale, patch)
        else:
            new = patches.json_merge_patch(scale, patch)
    except patches.PatchError as exc:
        raise patch_error(exc, kind, name) from None
    return update_scale(registry, kind, namespace, name, new, dry_run)

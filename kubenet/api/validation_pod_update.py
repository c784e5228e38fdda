"""Pod updates (ValidatePodUpdate): a running Pod's spec is fixed except for a few fields.

The Forbidden message ends with a diff of the spec; the real one is go-cmp's rendering of Go structs,
ours names the same fields with their JSON values (the first line, which users search for, is exact).
"""
from __future__ import annotations

import json

from kubenet.api.validation_field import FieldError, forbidden, invalid, required
from kubenet.api.validation_meta import inclusive_range_error, validate_object_meta_update
from kubenet.api.validation_pod import MAX_INT32, validate_pod

UPDATABLE_POD_SPEC_FIELDS = [
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
]


def _container_updates(new: list, old: list, path: str) -> tuple[list[FieldError], bool]:
    if len(new) != len(old):
        return [forbidden(path, "pod updates may not add or remove containers")], True
    errs = [required(f"{path}[{i}].image") for i, c in enumerate(new) if not c.get("image")]
    return errs, False


def _spec_diff(old: dict, new: dict) -> str:
    """A field-level diff in the spirit of cmp.Diff's output (not byte-identical to Go's)."""
    lines = ["  core.PodSpec{"]
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            label = key[:1].upper() + key[1:]
            lines.append(f"- \t{label}: {json.dumps(old.get(key), sort_keys=True)},")
            lines.append(f"+ \t{label}: {json.dumps(new.get(key), sort_keys=True)},")
    lines.append("  }")
    return "\n".join(lines) + "\n"


def validate_pod_update(pod: dict, old: dict) -> list[FieldError]:
    errs = validate_object_meta_update(pod.get("metadata") or {}, old.get("metadata") or {})
    errs += validate_pod(pod)
    spec, old_spec = pod.get("spec") or {}, old.get("spec") or {}
    for field_name in ("containers", "initContainers"):
        more, stop = _container_updates(spec.get(field_name) or [], old_spec.get(field_name) or [],
                                        f"spec.{field_name}")
        errs += more
        if stop:
            return errs
    new_deadline, old_deadline = spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds")
    if new_deadline is not None:
        if new_deadline < 0 or new_deadline > MAX_INT32:
            return errs + [invalid("spec.activeDeadlineSeconds", new_deadline, inclusive_range_error(0, MAX_INT32))]
        if old_deadline is not None and old_deadline < new_deadline:
            return errs + [invalid("spec.activeDeadlineSeconds", new_deadline,
                                   "must be less than or equal to previous value")]
    elif old_deadline is not None:
        errs.append(invalid("spec.activeDeadlineSeconds", None, "must not update from a positive integer to nil value"))
    new_tols = spec.get("tolerations") or []
    for old_tol in old_spec.get("tolerations") or []:
        trimmed = {k: v for k, v in old_tol.items() if k != "tolerationSeconds"}
        if not any({k: v for k, v in t.items() if k != "tolerationSeconds"} == trimmed for t in new_tols):
            errs.append(forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"))
            break
    if spec == old_spec:
        return errs
    munged = json.loads(json.dumps(spec))
    for field_name in ("containers", "initContainers"):
        for i, ctr in enumerate(munged.get(field_name) or []):
            ctr["image"] = old_spec[field_name][i].get("image")
    for key in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        munged.pop(key, None)
        if key in old_spec:
            munged[key] = old_spec[key]
    old_grace = old_spec.get("terminationGracePeriodSeconds")
    if old_grace is not None and old_grace < 0 and munged.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    if munged != old_spec:
        errs.append(forbidden("spec", "pod updates may not change fields other than "
                              + ",".join(UPDATABLE_POD_SPEC_FIELDS) + "\n" + _spec_diff(old_spec, munged)))
    return errs

"""Server-side apply (application/apply-patch+yaml) and the managedFields bookkeeping of every write.

Follows structured-merge-diff's Updater (merge, prune, conflicts) and the apiserver's fieldmanager chain
(strip server metadata, one entry per manager+operation+apiVersion(for Update)+subresource, timestamps,
sorted entries). Docs: https://kubernetes.io/docs/reference/using-api/server-side-apply/
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from kubenet.api.merge_keys import KINDS_WITH_STATUS, empty_object
from kubenet.api.patch_errors import PatchError, json_equal
from kubenet.api.patch_fieldset import (
    FieldsV1Error,
    Path,
    decode_fields_v1,
    encode_fields_v1,
    owned_fields,
    path_string,
    schema,
)

APPLY, UPDATE = "Apply", "Update"
# An object written before anyone tracked fields: its existing fields are attributed to this manager when it
# is first applied to (fieldmanager's "before-first-apply").
BEFORE_FIRST_APPLY = "before-first-apply"


@dataclass
class _Entry:
    manager: str
    operation: str
    api_version: str
    subresource: str = ""
    time: str | None = None
    fields: set[Path] = field(default_factory=set)

    def identity(self) -> tuple:
        # Appliers are one manager whatever version they apply; updaters are per apiVersion
        # (fieldmanager BuildManagerIdentifier).
        return (self.manager, self.operation, "" if self.operation == APPLY else self.api_version, self.subresource)

    def describe(self) -> str:
        """How conflict messages name a manager (fieldmanager printManager, without the time)."""
        text = f'"{self.manager}"'
        if self.subresource:
            text += f' with subresource "{self.subresource}"'
        if self.operation == UPDATE:
            text += f" using {self.api_version}"
        return text


def _decode(entries: list | None) -> list[_Entry]:
    out = []
    for raw in entries or []:
        if not isinstance(raw, dict):
            continue
        out.append(_Entry(raw.get("manager", ""), raw.get("operation", ""), raw.get("apiVersion", ""),
                          raw.get("subresource", ""), raw.get("time"),
                          decode_fields_v1(raw.get("fieldsV1") or {})))
    return out


def _encode(entries: list[_Entry]) -> list[dict]:
    # fieldmanager sortEncodedManagedFields: operation, then time, then manager, apiVersion, subresource.
    ordered = sorted(entries, key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource))
    out = []
    for entry in ordered:
        raw = {"manager": entry.manager, "operation": entry.operation, "apiVersion": entry.api_version}
        if entry.time:
            raw["time"] = entry.time
        raw["fieldsType"] = "FieldsV1"
        raw["fieldsV1"] = encode_fields_v1(entry.fields)
        if entry.subresource:
            raw["subresource"] = entry.subresource
        out.append(raw)
    return out


def _without_managed_fields(obj: dict) -> dict:
    stripped = copy.deepcopy(obj)
    stripped.setdefault("metadata", {}).pop("managedFields", None)
    return stripped


def _metadata_view(obj: dict) -> dict:
    """`obj` without metadata.managedFields, for reading only: it shares everything else with `obj`.

    update_managed_fields runs on every write; deep copies of the whole object were most of its cost.
    """
    view = dict(obj)
    meta = obj.get("metadata", {})
    view["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return view


def _as_go_object(kind: str, obj: dict) -> dict:
    """`obj` as the server holds it once decoded: structs every object of the kind has are there, if empty.

    Comparing such objects keeps those structs from counting as "added" by whoever first fills them.
    The result is for reading (compare) only: maps on the skeleton's paths are copied, the rest is shared
    with `obj`, which is left unchanged (no deep copy: this runs on every write).
    """
    def fill(target: dict, skeleton: dict) -> dict:
        out = dict(target)
        for key, value in skeleton.items():
            if key not in out:
                out[key] = value  # empty_object() is a fresh object: nobody else holds it
            elif isinstance(value, dict) and isinstance(out[key], dict):
                out[key] = fill(out[key], value)
        return out

    return fill(obj, empty_object(kind))


def _store(obj: dict, entries: list[_Entry]) -> None:
    kept = [e for e in entries if e.fields]
    if kept:
        obj.setdefault("metadata", {})["managedFields"] = _encode(kept)
    else:
        obj.setdefault("metadata", {}).pop("managedFields", None)


def _find(entries: list[_Entry], probe: _Entry) -> _Entry | None:
    return next((e for e in entries if e.identity() == probe.identity()), None)


def server_side_apply(live: dict | None, applied: dict, kind: str, manager: str, force: bool, now: str) -> dict:
    """Apply `applied` as `manager`; the merged object with metadata.managedFields updated.

    Raises PatchError 409 when a field the config sets to a new value is owned by another manager (unless
    `force`, which takes the field over), 400 for configs the server refuses outright.
    """
    if not isinstance(applied, dict):
        raise PatchError("error decoding YAML: the apply patch must be an object")
    if (applied.get("metadata") or {}).get("managedFields") is not None:
        raise PatchError("metadata.managedFields must be nil")
    api_version = applied.get("apiVersion", "")
    if live is not None and api_version != live.get("apiVersion", api_version):
        raise PatchError("Incorrect version specified in apply patch. Specified patch version: "
                         f"{api_version or '/'}, expected: {live.get('apiVersion')}")
    config = copy.deepcopy(applied)
    if kind in KINDS_WITH_STATUS:
        config.pop("status", None)  # status is written through the status subresource only
    walker = schema(kind)
    entries = _decode((live or {}).get("metadata", {}).get("managedFields"))
    live_obj = _without_managed_fields(live) if live is not None else {}
    if live is not None and not entries:
        existing = owned_fields(schema(kind, lenient=True).field_set(live_obj), kind)
        if existing:
            entries.append(_Entry(BEFORE_FIRST_APPLY, UPDATE, live_obj.get("apiVersion", ""), fields=existing))

    merged = walker.merge(live_obj, config)
    applied_fields = owned_fields(walker.field_set(config), kind)
    mine = _find(entries, _Entry(manager, APPLY, api_version))
    is_new = mine is None
    if mine is None:
        mine = _Entry(manager, APPLY, api_version)
        entries.append(mine)
    last_applied, mine.fields, mine.api_version = mine.fields, applied_fields, api_version
    others = [e for e in entries if e is not mine]

    # Prune: what this manager applied last time, no longer applies, and nobody else owns, goes away.
    owned_by_anyone = set().union(*(e.fields for e in entries))
    for path in sorted(last_applied - owned_by_anyone, key=len, reverse=True):
        if not any(p[:len(path)] == path for p in owned_by_anyone):
            _remove_path(merged, path, walker)

    added, removed, modified = walker.compare(_as_go_object(kind, live_obj), _as_go_object(kind, merged))
    changed = added | modified
    conflicts = [(other, path) for other in sorted(others, key=lambda e: e.describe())
                 for path in sorted(other.fields & changed, key=path_string)]
    if conflicts and not force:
        raise _conflict_error(conflicts)
    for other in others:
        other.fields -= changed | removed
    if is_new or mine.fields != last_applied or not json_equal(live_obj, merged):
        mine.time = now
    _store(merged, entries)
    return merged


def _conflict_error(conflicts: list[tuple[_Entry, Path]]) -> PatchError:
    """The message and causes of apiserver fieldmanager NewConflictError."""
    causes = [{"type": "FieldManagerConflict", "message": f"conflict with {e.describe()}", "field": path_string(p)}
              for e, p in conflicts]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {entry.describe()}: {path_string(path)}"
    else:
        lines: list[str] = []
        for described in sorted({e.describe() for e, _ in conflicts}):
            lines.append(f"conflicts with {described}:")
            lines.extend(f"- {path_string(p)}" for e, p in conflicts if e.describe() == described)
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return PatchError(message, 409, causes=causes)


def _remove_path(obj: dict, path: Path, walker) -> None:
    """Remove the field or list item at `path`; maps and lists this empties are dropped too."""
    trail: list[tuple[object, object]] = []  # (container, key or index) down to the target
    node: object = obj
    spath: tuple[str, ...] = ()
    for element in path:
        kind, body = element[:2], element[2:]
        if kind == "f:" and isinstance(node, dict) and body in node:
            trail.append((node, body))
            node, spath = node[body], spath + (body,)
        elif kind in ("k:", "v:") and isinstance(node, list):
            items = [i for i, item in enumerate(node) if _element(walker, spath, item, i) == element]
            if not items:
                return
            trail.append((node, items[0]))
            node = node[items[0]]
        else:
            return
    while trail:
        container, key = trail.pop()
        del container[key]
        if container or len(trail) <= 1:  # stop at a non-empty parent; top-level fields (spec, ...) stay
            break


def _element(walker, spath, item, index) -> str:
    try:
        return walker.item_element(spath, item, index)
    except PatchError:
        return f"i:{index}"


def update_managed_fields(old: dict | None, new: dict, manager: str, operation: str, now: str,
                          subresource: str = "") -> None:
    """Record in new.metadata.managedFields what a create/update/patch by `manager` changed.

    The manager gains the fields this write added or changed (they leave every other manager), and fields
    the write removed leave everyone. `subresource` is "status" for status writes. A client may replace
    managedFields explicitly; `[{}]` strips them all (the documented way to reset field ownership).
    """
    kind = new.get("kind", "")
    new_entries = (new.get("metadata") or {}).get("managedFields")
    old_entries = ((old or {}).get("metadata") or {}).get("managedFields")
    if new_entries and new_entries != old_entries and not subresource:
        if all(entry == {} for entry in new_entries):
            new["metadata"].pop("managedFields", None)
            return
        try:
            entries = _decode(new_entries)
        except FieldsV1Error:
            # FieldManager.Update upstream: managedFields in the request that do not decode give way to the live
            # object's (a 500 here before).
            entries = _decode(old_entries)
    else:
        entries = _decode(old_entries)
    before = _metadata_view(old) if old is not None else {}
    after = _metadata_view(new)
    walker = schema(kind, lenient=True)
    added, removed, modified = walker.compare(_as_go_object(kind, before), _as_go_object(kind, after))
    changed = owned_fields(added | modified, kind, subresource)
    removed = owned_fields(removed, kind, subresource)
    for entry in entries:
        entry.fields -= changed | removed
    probe = _Entry(manager, operation, new.get("apiVersion", ""), subresource)
    mine = _find(entries, probe)
    if changed:
        if mine is None:
            mine = probe
            entries.append(mine)
        mine.fields |= changed
        mine.time = now
    _store(new, entries)

"""The four PATCH content types of the API server, as pure functions over JSON dicts.

- application/merge-patch+json       json_merge_patch (RFC 7386)
- application/json-patch+json        json_patch (RFC 6902, with the wording of evanphx/json-patch v4 that the
                                     apiserver vendors)
- application/strategic-merge-patch+json   strategic_merge_patch (patch_strategic.py)
- application/apply-patch+yaml       server_side_apply, and update_managed_fields for other writers
                                     (patch_apply.py)
None of them mutates its arguments.
"""
from __future__ import annotations

import copy
import re

from kubenet.api.patch_apply import server_side_apply, update_managed_fields
from kubenet.api.patch_errors import PatchError, json_equal, json_type
from kubenet.api.patch_strategic import strategic_merge_patch

__all__ = [
    "PatchError",
    "json_merge_patch",
    "json_patch",
    "server_side_apply",
    "strategic_merge_patch",
    "update_managed_fields",
]

# A JSON patch that does not apply is a 422 whose message is this generic text: the apiserver builds it with
# NewGenericServerResponse(422, ...), which drops the library's own words (kept here in PatchError.detail).
JSON_PATCH_REJECTED = "the server rejected our request due to an error in our request"


def json_merge_patch(original: dict, patch: dict) -> dict:
    """RFC 7386: objects merge recursively, null deletes a member, anything else replaces."""
    if not isinstance(patch, dict):
        # evanphx/json-patch MergePatch refuses a null patch and keeps non-object ones whole.
        if patch is None:
            raise PatchError("Invalid JSON Patch", 400)
        return copy.deepcopy(patch)
    return _merge_object(copy.deepcopy(original) if isinstance(original, dict) else {}, patch)


def _merge_object(target: dict, patch: dict) -> dict:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key] = _merge_object(target[key], value)
        else:
            target[key] = _prune_nulls(copy.deepcopy(value))
    return target


def _prune_nulls(value: object) -> object:
    """A new member's nested nulls are dropped too (RFC 7386 §2: nulls in the patch mean removal)."""
    if isinstance(value, dict):
        return {k: _prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune_nulls(v) for v in value]
    return value


# --- RFC 6902 ------------------------------------------------------------------------------------------------

class _OpFailed(Exception):
    """An operation that does not apply; the text is evanphx/json-patch's (errors.Wrapf joins with ': ')."""


_MISSING = "missing value"
_BAD_INDEX = "invalid index referenced"


def json_patch(original: dict, operations: list) -> dict:
    """Apply RFC 6902 operations in order, all or nothing."""
    if not isinstance(operations, list):
        raise PatchError(f"json: cannot unmarshal {json_type(operations)} into Go value of type jsonpatch.Patch")
    for op in operations:
        if not isinstance(op, dict):
            raise PatchError(f"json: cannot unmarshal {json_type(op)} into Go value of type jsonpatch.Operation")
    doc = copy.deepcopy(original)
    for op in operations:
        try:
            doc = _apply_operation(doc, op)
        except _OpFailed as exc:
            raise PatchError(JSON_PATCH_REJECTED, 422, detail=str(exc)) from None
    return doc


def _apply_operation(doc: object, op: dict) -> object:
    kind = op.get("op") if isinstance(op.get("op"), str) else "unknown"
    path = op.get("path")
    if kind in ("add", "remove", "replace", "move", "copy", "test") and not isinstance(path, str):
        raise _OpFailed(f"{kind} operation failed to decode path: operation missing path field: {_MISSING}")
    value = copy.deepcopy(op.get("value"))
    if kind == "add":
        container, key = _find(doc, path)
        if container is None:
            raise _OpFailed(f'add operation does not apply: doc is missing path: "{path}": {_MISSING}')
        _add(container, key, value, f"error in add for path: '{path}'")
    elif kind == "remove":
        container, key = _find(doc, path)
        if container is None:
            raise _OpFailed(f'remove operation does not apply: doc is missing path: "{path}": {_MISSING}')
        _remove(container, key, f"error in remove for path: '{path}'")
    elif kind == "replace":
        if path == "":
            if not isinstance(value, (dict, list)):
                raise _OpFailed("replace operation value must be object or array")
            return value
        container, key = _find(doc, path)
        if container is None:
            raise _OpFailed(f"replace operation does not apply: doc is missing path: {path}: {_MISSING}")
        try:
            _get(container, key)
        except _OpFailed:
            raise _OpFailed(f"replace operation does not apply: doc is missing key: {path}: {_MISSING}") from None
        _set(container, key, value)
    elif kind in ("move", "copy"):
        source = op.get("from")
        if not isinstance(source, str):
            raise _OpFailed(f"{kind} operation failed to decode from: operation missing from field: {_MISSING}")
        container, key = _find(doc, source)
        if container is None:
            raise _OpFailed(f"{kind} operation does not apply: doc is missing from path: {source}: {_MISSING}")
        where = f"error in move for path: '{key}'" if kind == "move" else f"error in copy for from: '{source}'"
        moved = _get(container, key, where)
        if kind == "move":
            _remove(container, key, where)
        else:
            moved = copy.deepcopy(moved)
        container, key = _find(doc, path)
        if container is None:
            raise _OpFailed(f"{kind} operation does not apply: doc is missing destination path: {path}: {_MISSING}")
        _add(container, key, moved, f"error in move for path: '{path}'" if kind == "move"
             else "error while adding value during copy")
    elif kind == "test":
        if path == "":
            current = doc
        else:
            container, key = _find(doc, path)
            if container is None:
                raise _OpFailed(f"test operation does not apply: is missing path: {path}: {_MISSING}")
            try:
                current = _get(container, key)
            except _OpFailed:
                current = None  # a missing member tests equal to null, as in the library
        if not json_equal(current, value):
            raise _OpFailed(f"testing value {path} failed: test failed")
    else:
        raise _OpFailed(f"Unexpected kind: {kind}")
    return doc


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")  # RFC 6901 §4: ~1 first, then ~0


def _find(doc: object, path: str) -> tuple[object, str]:
    """The container holding the last token of `path`, and that token; (None, "") if a parent is missing."""
    tokens = path.split("/")
    if len(tokens) < 2:
        return None, ""
    current = doc
    for token in tokens[1:-1]:
        try:
            current = _get(current, _unescape(token))
        except _OpFailed:
            return None, ""
        if not isinstance(current, (dict, list)):
            return None, ""
    return current, _unescape(tokens[-1])


def _index(key: str, where: str = "") -> int:
    if not re.fullmatch(r"[+-]?\d+", key):
        raise _OpFailed(f'{where + ": " if where else ""}strconv.Atoi: parsing "{key}": invalid syntax')
    return int(key)


def _get(container: object, key: str, where: str = "") -> object:
    prefix = where + ": " if where else ""
    if isinstance(container, dict):
        if key not in container:
            raise _OpFailed(f"{prefix}unable to get nonexistent key: {key}: {_MISSING}")
        return container[key]
    index = _index(key, where)
    if index < 0:  # the apiserver's json-patch keeps SupportNegativeIndices on
        index += len(container)
    if not 0 <= index < len(container):
        raise _OpFailed(f"{prefix}Unable to access invalid index: {_index(key)}: {_BAD_INDEX}")
    return container[index]


def _set(container: object, key: str, value: object) -> None:
    if isinstance(container, dict):
        container[key] = value
    else:
        index = _index(key)
        container[index + len(container) if index < 0 else index] = value


def _add(container: object, key: str, value: object, where: str) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    if not re.fullmatch(r"[+-]?\d+", key):
        raise _OpFailed(f"{where}: value was not a proper array index: '{key}': "
                        f'strconv.Atoi: parsing "{key}": invalid syntax')
    index = int(key)
    size = len(container) + 1
    if index >= size or index < -size:
        raise _OpFailed(f"{where}: Unable to access invalid index: {index}: {_BAD_INDEX}")
    container.insert(index + size if index < 0 else index, value)


def _remove(container: object, key: str, where: str) -> None:
    if isinstance(container, dict):
        if key not in container:
            raise _OpFailed(f"{where}: Unable to remove nonexistent key: {key}: {_MISSING}")
        del container[key]
        return
    index = _index(key, where)
    if index >= len(container) or index < -len(container):
        raise _OpFailed(f"{where}: Unable to access invalid index: {index}: {_BAD_INDEX}")
    del container[index]


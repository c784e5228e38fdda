"""Strategic merge patch (application/strategic-merge-patch+json), as the API server applies it.

Follows k8s.io/apimachinery/pkg/util/strategicpatch with the server's options (MergeParallelList,
IgnoreUnmatchedNulls): lists with patchStrategy merge are merged on their patchMergeKey, other lists are
replaced; directives: `$patch: replace|delete` on maps, `{"$patch": "replace"|"delete", <key>}` list items,
`$retainKeys`, `$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`; null deletes a key.
Design: design-proposals-archive cli/preserve-order-in-strategic-merge-patch.md (ordering),
api-machinery/strategic-merge-patch.md (directives).
"""
from __future__ import annotations

import copy

from kubenet.api.merge_keys import field_meta
from kubenet.api.patch_errors import PatchError, go_type, go_value, json_equal

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ELEMENT_ORDER = "$setElementOrder/"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"

# mergepatch errors the apiserver maps to 400 (interpretStrategicMergePatchError); the rest are plain errors
# that upstream answers with a 500 (ErrorToAPIStatus). They are the client's mistake, and no input may get a
# 5xx here: we answer them 400 with the same text.
BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"
NO_LIST_OF_LISTS = "lists of lists are not supported"  # a 422


def strategic_merge_patch(original: dict, patch: dict, kind: str) -> dict:
    """Apply a strategic merge patch for a built-in `kind` ("Deployment", "Pod", ...)."""
    if not isinstance(patch, dict):
        raise PatchError(f"json: cannot unmarshal {go_type(patch)} into Go value of type map[string]interface {{}}")
    return _Merger(kind).merge_map(copy.deepcopy(original or {}), copy.deepcopy(patch), ())


def _error(message: str) -> PatchError:
    return PatchError(message, 400)


def _bad_patch_type(directive: object, where: dict) -> PatchError:
    return _error(f"unknown patch type: {go_value(directive)} in map: {go_value(where)}")


def _no_merge_key(item: dict, merge_key: str) -> PatchError:
    return _error(f"map: {go_value(item)} does not contain declared merge key: {merge_key}")


def _clean(value: object) -> object:
    """A patch value taken whole: directives and nulls go, as decoding into the Go type would drop them."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None and not k.startswith("$")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


class _Merger:
    def __init__(self, kind: str):
        self.kind = kind

    def meta(self, path: tuple[str, ...]):
        return field_meta(self.kind, path)

    # --- maps -----------------------------------------------------------------------------------------------

    def merge_map(self, original: dict, patch: dict, path: tuple[str, ...]) -> dict:
        if DIRECTIVE in patch:
            directive = patch[DIRECTIVE]
            if directive == "replace":
                return _clean(patch)  # the map becomes exactly the patch
            if directive == "delete":
                return {}
            raise _bad_patch_type(directive, patch)
        self._retain_keys(original, patch)
        self._set_element_orders(original, patch, path)
        # Deletions from primitive lists first: they never overlap with what the same patch adds.
        for key in [k for k in patch if k.startswith(DELETE_FROM_PRIMITIVE_LIST)]:
            field = key[len(DELETE_FROM_PRIMITIVE_LIST):]
            to_delete = patch.pop(key)
            if not isinstance(to_delete, list):
                raise _error(f"expected a []interface {{}}, but received a {go_type(to_delete)}")
            if isinstance(original.get(field), list):
                original[field] = [v for v in original[field] if not any(json_equal(v, d) for d in to_delete)]
        for key, value in patch.items():
            if key.startswith("$"):
                continue  # unknown directives: decoding into the Go type would drop them
            if value is None:
                original.pop(key, None)
                continue
            child = path + (key,)
            current = original.get(key)
            if key not in original or current is None:
                original[key] = self._new_value(value, child)
            elif isinstance(current, dict) and isinstance(value, dict):
                original[key] = self.merge_map(current, value, child)
            elif isinstance(current, list) and isinstance(value, list):
                meta = self.meta(child)
                if meta is not None and meta.merges:
                    original[key] = self.merge_list(current, value, meta.patch_merge_key, child)
                else:
                    original[key] = _clean(value)
            else:
                original[key] = _clean(value)
        return original

    def _new_value(self, value: object, path: tuple[str, ...]) -> object:
        """A key the original lacks: the patch value, with its directives applied to nothing."""
        if isinstance(value, dict):
            return self.merge_map({}, value, path)
        if isinstance(value, list):
            meta = self.meta(path)
            if meta is not None and meta.merges:
                return self.merge_list([], value, meta.patch_merge_key, path)
        return _clean(value)

    def _retain_keys(self, original: dict, patch: dict) -> None:
        """`$retainKeys`: keep only the listed keys of the original (union types, e.g. a volume's source)."""
        if RETAIN_KEYS not in patch:
            return
        retained = patch.pop(RETAIN_KEYS)
        if not isinstance(retained, list):
            raise PatchError(BAD_RETAIN_KEYS, 400)
        for key, value in patch.items():
            if value is None or key.startswith((DELETE_FROM_PRIMITIVE_LIST, SET_ELEMENT_ORDER)):
                continue
            if key not in retained:
                raise PatchError(BAD_RETAIN_KEYS, 400)
        for key in [k for k in original if k not in retained]:
            del original[key]

    def _set_element_orders(self, original: dict, patch: dict, path: tuple[str, ...]) -> None:
        """`$setElementOrder/<field>`: merge that list now and order it as the directive says."""
        for key in [k for k in patch if k.startswith(SET_ELEMENT_ORDER)]:
            order = patch.pop(key)
            field = key[len(SET_ELEMENT_ORDER):]
            if not isinstance(order, list):
                raise _error(f"expected a []interface {{}}, but received a {go_type(order)}")
            original_list, patch_list = original.get(field), patch.get(field)
            for value in (original_list, patch_list):
                if value is not None and not isinstance(value, list):
                    raise _error(f"expected a []interface {{}}, but received a {go_type(value)}")
            meta = self.meta(path + (field,))
            merge_key = meta.patch_merge_key if meta else ""
            _validate_order(patch_list or [], order, merge_key)
            if original_list is None and patch_list is None:
                continue
            if meta is not None and meta.merges:
                merged = self.merge_list(original_list or [], patch_list or [], merge_key, path + (field,))
            else:
                merged = _clean(patch_list or [])
            original[field] = _sort_by_order(merged, order, merge_key)
            patch.pop(field, None)

    # --- lists ----------------------------------------------------------------------------------------------

    def merge_list(self, original: list, patch: list, merge_key: str, path: tuple[str, ...]) -> list:
        if not original and not patch:
            return original
        element_kind = _element_kind(original, patch)
        if element_kind != "map":
            # Lists of primitives with strategy merge: a de-duplicated union.
            merged: list = []
            for value in original + patch:
                if not any(json_equal(value, seen) for seen in merged):
                    merged.append(value)
            return _normalize_order(merged, patch, original, "")
        if not merge_key:
            raise _error(f"cannot merge lists without merge key for {'.'.join(path)}")
        original, patch = self._special_items(original, patch, merge_key)
        live_order = list(original)  # new items have no live position (see _normalize_order)
        for item in patch:
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            index = _find_item(original, merge_key, item[merge_key])
            if index is None:
                original.append(self.merge_map({}, item, path))
            else:
                original[index] = self.merge_map(original[index], item, path)
        return _normalize_order(original, patch, live_order, merge_key)

    def _special_items(self, original: list, patch: list, merge_key: str) -> tuple[list, list]:
        """List items carrying `$patch`: delete the matching original item, or replace the whole list."""
        plain, replace = [], False
        for item in patch:
            if DIRECTIVE not in item:
                plain.append(item)
                continue
            directive = item[DIRECTIVE]
            if directive == "delete":
                if merge_key not in item:
                    raise _no_merge_key(item, merge_key)
                original = [o for o in original if not json_equal(o.get(merge_key), item[merge_key])]
            elif directive == "replace":
                replace = True
            elif directive == "merge":
                raise _error("merging lists cannot yet be specified in the patch")
            else:
                raise _bad_patch_type(directive, item)
        if replace:
            return [_clean(item) for item in plain], []
        return original, plain


def _element_kind(*lists: list) -> str:
    kinds = set()
    for values in lists:
        for value in values:
            if isinstance(value, list):
                raise PatchError(NO_LIST_OF_LISTS, 422)
            kinds.add("map" if isinstance(value, dict) else go_type(value))
    if len(kinds) > 1:
        raise _error(f"list element types are not identical: {go_value(list(lists))}")
    return kinds.pop() if kinds else ""


def _find_item(items: list, merge_key: str, value: object) -> int | None:
    for index, item in enumerate(items):
        if isinstance(item, dict) and merge_key in item and json_equal(item[merge_key], value):
            return index
    return None


def _index_in(order: list, item: object, merge_key: str) -> int:
    for index, candidate in enumerate(order):
        if merge_key:
            if isinstance(candidate, dict) and isinstance(item, dict) and merge_key in candidate \
                    and json_equal(candidate[merge_key], item.get(merge_key)):
                return index
        elif json_equal(candidate, item):
            return index
    return -1


def _sort_by_order(items: list, order: list, merge_key: str) -> list:
    """Stable sort of `items` by their place in `order`.

    Reproduces sort.SliceStable (an insertion sort at these sizes) with strategicpatch's comparator, which
    calls an item missing from `order` "less" than anything, so such items drift to the front.
    """
    if merge_key:
        for value in items + order:
            if not isinstance(value, dict) or merge_key not in value:
                raise _no_merge_key(value if isinstance(value, dict) else {}, merge_key)

    def less(a: object, b: object) -> bool:
        ia, ib = _index_in(order, a, merge_key), _index_in(order, b, merge_key)
        return ia < ib if ia >= 0 and ib >= 0 else True

    result = list(items)
    for i in range(1, len(result)):
        j = i
        while j > 0 and less(result[j], result[j - 1]):
            result[j], result[j - 1] = result[j - 1], result[j]
            j -= 1
    return result


def _normalize_order(merged: list, patch: list, original: list, merge_key: str) -> list:
    """Patch items in patch order, server-only items in live order, interleaved by their live positions.

    An item new to the list has no live position, so it is placed before the server-only items that follow
    (strategicpatch mergeSortedSlice): a plain `kubectl patch` that adds a container puts it first; kubectl
    apply sends $setElementOrder to say where it goes.
    """
    in_patch = [m for m in merged if _index_in(patch, m, merge_key) >= 0]
    server_only = [m for m in merged if _index_in(patch, m, merge_key) < 0]
    right = _sort_by_order(in_patch, patch, merge_key)
    left = _sort_by_order(server_only, original, merge_key)
    result: list = []
    i = j = 0
    while i < len(left) or j < len(right):
        if j >= len(right):
            result.append(left[i])
            i += 1
        elif i >= len(left):
            result.append(right[j])
            j += 1
        else:
            li, ri = _index_in(original, left[i], merge_key), _index_in(original, right[j], merge_key)
            if li >= 0 and ri >= 0 and li < ri:
                result.append(left[i])
                i += 1
            else:
                result.append(right[j])
                j += 1
    return result


def _validate_order(patch_list: list, order: list, merge_key: str) -> None:
    """The patch list must follow the $setElementOrder list's relative order (deletions aside)."""
    if not patch_list or not order:
        return
    items = [p for p in patch_list if not (isinstance(p, dict) and DIRECTIVE in p)]
    p = o = 0
    while p < len(items) and o < len(order):
        if merge_key:
            if not isinstance(items[p], dict) or merge_key not in items[p]:
                raise _no_merge_key(items[p] if isinstance(items[p], dict) else {}, merge_key)
            if not isinstance(order[o], dict) or merge_key not in order[o]:
                raise _no_merge_key(order[o] if isinstance(order[o], dict) else {}, merge_key)
            same = json_equal(items[p][merge_key], order[o][merge_key])
        else:
            same = json_equal(items[p], order[o])
        if same:
            p += 1
        o += 1
    if p < len(items):
        raise _error(f"The order in patch list:\n{go_value(patch_list)}\n doesn't match {SET_ELEMENT_ORDER} "
                     f"list:\n{go_value(order)}\n")

"""Field sets for managedFields: the paths an object sets, how two objects differ, the fieldsV1 encoding.

A path is a tuple of fieldsV1 path elements, as structured-merge-diff spells them:
`f:<field>` a field or map key, `k:{"name":"nginx"}` the item of an associative list (its key fields,
compact JSON with sorted keys), `v:"x"` a member of a set list, `i:<n>` a list index.
"""
from __future__ import annotations

import copy
import json

from kubenet.api.merge_keys import KINDS_WITH_STATUS, field_meta
from kubenet.api.patch_errors import PatchError, compact_json, json_equal

Path = tuple[str, ...]
_ABSENT = object()  # a field not present at all, as opposed to present and null

# Paths no manager owns (fieldmanager stripMetaManager): identity and bookkeeping the server sets.
STRIPPED: frozenset[Path] = frozenset({("f:apiVersion",), ("f:kind",), ("f:metadata",)} | {
    ("f:metadata", f"f:{name}") for name in ("name", "namespace", "creationTimestamp", "selfLink", "uid",
                                             "clusterName", "generation", "managedFields", "resourceVersion")})


class _Schema:
    """Walks one kind's objects with the field metadata of merge_keys."""

    def __init__(self, kind: str, lenient: bool = False):
        self.kind = kind
        self.lenient = lenient  # Update bookkeeping keys an item without its key fields by index

    def meta(self, spath: Path):
        return field_meta(self.kind, spath)

    def list_type(self, spath: Path) -> str:
        meta = self.meta(spath)
        return meta.list_type if meta else "atomic"

    def is_atomic_map(self, spath: Path) -> bool:
        meta = self.meta(spath)
        return bool(meta and meta.atomic)

    def item_element(self, spath: Path, item: object, index: int) -> str:
        """The path element naming `item` of the list at `spath`."""
        meta = self.meta(spath)
        if meta.list_type == "set":
            return "v:" + compact_json(item)
        key = {}
        defaults = dict(meta.key_defaults)
        for name in meta.list_map_keys:
            if isinstance(item, dict) and item.get(name) is not None:
                key[name] = item[name]
            elif name in defaults:
                key[name] = defaults[name]
            elif self.lenient:
                return f"i:{index}"
            else:
                raise PatchError(f".{'.'.join(spath)}: element {index}: associative list with keys has an element "
                                 f'that omits key field "{name}" (and doesn\'t have default value)', 400)
        return "k:" + compact_json(key)

    def items(self, spath: Path, values: object) -> dict[str, object]:
        """The items of a keyed list by path element (the first wins on duplicates)."""
        out: dict[str, object] = {}
        for index, item in enumerate(values if isinstance(values, list) else []):
            out.setdefault(self.item_element(spath, item, index), item)
        return out

    # --- the fields an object sets (typed.ToFieldSet) --------------------------------------------------------

    def field_set(self, obj: dict) -> set[Path]:
        out: set[Path] = set()
        self._fields_of(obj, (), (), out)
        return out

    def _fields_of(self, value: object, path: Path, spath: Path, out: set[Path]) -> None:
        if isinstance(value, dict) and not (path and self.is_atomic_map(spath)):
            if not value and path:
                out.add(path)
            for key, child in value.items():
                self._fields_of(child, path + (f"f:{key}",), spath + (key,), out)
        elif isinstance(value, list) and value and self.list_type(spath) != "atomic":
            for index, item in enumerate(value):
                element = self.item_element(spath, item, index)
                out.add(path + (element,))
                if isinstance(item, dict) and not element.startswith("v:"):
                    for key, child in item.items():
                        self._fields_of(child, path + (element, f"f:{key}"), spath + (key,), out)
        else:
            out.add(path)

    # --- how two objects differ (typed.Compare) ---------------------------------------------------------------

    def compare(self, old: object, new: object) -> tuple[set[Path], set[Path], set[Path]]:
        """(added, removed, modified) paths from `old` to `new`."""
        added: set[Path] = set()
        removed: set[Path] = set()
        modified: set[Path] = set()
        self._compare(old, new, (), (), added, removed, modified)
        return added, removed, modified

    def _compare(self, old, new, path, spath, added, removed, modified) -> None:
        # This runs for every field of every write (managedFields), so the type tests are spelled out.
        old_map, new_map = isinstance(old, dict), isinstance(new, dict)
        old_list, new_list = isinstance(old, list), isinstance(new, list)
        if self.lenient and old_map == new_map and old_list == new_list and (old_map or old_list) \
                and _same_json(old, new):
            return  # an unchanged subtree: nothing added, removed or modified below it
        granular_map = granular_list = False
        if old_map or new_map:
            granular_map = (old_map or old is _ABSENT or old is None) and (new_map or new is _ABSENT or new is None)
            granular_map = granular_map and not (path and self.is_atomic_map(spath))
        elif old_list or new_list:  # (a granular map has no list on either side)
            granular_list = self.list_type(spath) != "atomic"
            granular_list = granular_list and (old_list or old is _ABSENT or old is None) and \
                (new_list or new is _ABSENT or new is None)
        if (granular_map or granular_list) and not (_empty(old) and _empty(new)):
            if path and old is _ABSENT:
                added.add(path)  # a map or list that did not exist: the manager creates it (the `.` member)
            if path and new is _ABSENT:
                removed.add(path)
            if granular_map:
                self._compare_fields(old, new, path, spath, added, removed, modified)
                return
            old_items, new_items = self.items(spath, old), self.items(spath, new)
            for element in list(old_items) + [e for e in new_items if e not in old_items]:
                before, after = old_items.get(element, _ABSENT), new_items.get(element, _ABSENT)
                child = path + (element,)
                if element.startswith("v:") or not (isinstance(before, dict) or isinstance(after, dict)):
                    self._leaf(before, after, child, added, removed, modified)
                    continue
                if before is _ABSENT:
                    added.add(child)
                elif after is _ABSENT:
                    removed.add(child)
                self._compare_fields(before, after, child, spath, added, removed, modified)
            return
        self._leaf(old, new, path, added, removed, modified)

    def _compare_fields(self, old, new, path, spath, added, removed, modified) -> None:
        """Compare two maps field by field (old's keys in order, then new's new ones); either may be absent."""
        old_map = old if isinstance(old, dict) else {}
        new_map = new if isinstance(new, dict) else {}
        for key in list(old_map) + [k for k in new_map if k not in old_map]:
            self._compare(old_map.get(key, _ABSENT), new_map.get(key, _ABSENT), path + (f"f:{key}",),
                          spath + (key,), added, removed, modified)

    @staticmethod
    def _leaf(old, new, path, added, removed, modified) -> None:
        if old is _ABSENT and new is _ABSENT:
            return
        if old is _ABSENT:
            added.add(path)
        elif new is _ABSENT:
            removed.add(path)
        elif not json_equal(old, new):
            modified.add(path)

    # --- live.merge(config) (typed.Merge) ---------------------------------------------------------------------

    def merge(self, live: object, config: object, spath: Path = ()) -> object:
        if isinstance(live, dict) and isinstance(config, dict) and not (spath and self.is_atomic_map(spath)):
            merged = dict(live)
            for key, value in config.items():
                if value is None:
                    merged.pop(key, None)  # null in an apply config: owned, and unset
                elif key in merged:
                    merged[key] = self.merge(merged[key], value, spath + (key,))
                else:
                    merged[key] = copy.deepcopy(value)
            return merged
        if isinstance(live, list) and isinstance(config, list) and self.list_type(spath) != "atomic":
            return self._merge_list(live, config, spath)
        return copy.deepcopy(config)

    def _merge_list(self, live: list, config: list, spath: Path) -> list:
        """Config items in config order; live-only items keep their place between them."""
        live_items, config_items = self.items(spath, live), self.items(spath, config)
        live_keys, config_keys = list(live_items), list(config_items)

        def merged_item(element):
            if element.startswith("v:") or element not in live_items:
                return copy.deepcopy(config_items[element])
            return self.merge(live_items[element], config_items[element], spath)

        shared = [e for e in config_keys if e in live_items]
        out, done = [], set()
        li = ci = 0
        while li < len(live_keys) or ci < len(config_keys):
            if li < len(live_keys) and ci < len(config_keys):
                if live_keys[li] == config_keys[ci]:
                    out.append(merged_item(config_keys[ci]))
                    done.add(config_keys[ci])
                    shared = shared[1:] if shared and shared[0] == config_keys[ci] else shared
                    li, ci = li + 1, ci + 1
                    continue
                if live_keys[li] in config_items and shared and shared[0] != live_keys[li]:
                    li += 1  # a shared item, but not the next one the config wants
                    continue
            if li < len(live_keys):
                if live_keys[li] not in config_items:
                    out.append(live_items[live_keys[li]])
                    li += 1
                    continue
                if live_keys[li] in done:
                    li += 1
                    continue
            if ci < len(config_keys):
                element = config_keys[ci]
                out.append(merged_item(element))
                done.add(element)
                if shared and shared[0] == element:
                    shared = shared[1:]
                ci += 1
        return out


def _empty(v: object) -> bool:
    return v is _ABSENT or v is None or (isinstance(v, (dict, list)) and not v)


def _same_json(old: dict | list, new: dict | list) -> bool:
    """Certainly the same JSON value (C-speed tests): == alone would take true for 1 and 1.0 for 1, so the
    canonical encodings must match too. False means "compare field by field", never "different"."""
    if old != new:
        return False
    try:
        return json.dumps(old, sort_keys=True, allow_nan=False) == json.dumps(new, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):  # NaN, or something that is not JSON: leave it to the field-by-field walk
        return False


def schema(kind: str, lenient: bool = False) -> _Schema:
    return _Schema(kind, lenient)


def owned_fields(paths: set[Path], kind: str, subresource: str = "") -> set[Path]:
    """Drop what no manager can own through this endpoint: server-set metadata, and status or everything
    but status depending on the subresource (the strategies' ResetFields)."""
    kept = {p for p in paths if p not in STRIPPED}
    if subresource == "status":
        return {p for p in kept if p[:1] == ("f:status",)}
    if kind in KINDS_WITH_STATUS:
        return {p for p in kept if p[:1] != ("f:status",)}
    return kept


# --- fieldsV1 ----------------------------------------------------------------------------------------------------

def encode_fields_v1(paths: set[Path]) -> dict:
    """A set of paths as the fieldsV1 tree; `.` marks a path that is itself in the set and has children."""
    tree: dict = {}
    for path in paths:
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    return _order(tree, paths, ())


def _order(node: dict, paths: set[Path], prefix: Path) -> dict:
    out: dict = {}
    if prefix and node and prefix in paths:
        out["."] = {}
    for element in sorted(node, key=_element_order):
        out[element] = _order(node[element], paths, prefix + (element,))
    return out


def _element_order(element: str) -> tuple[int, str]:
    return ("fkvi".index(element[0]) if element[:1] in ("f", "k", "v", "i") else 4, element[2:])


class FieldsV1Error(ValueError):
    """A fieldsV1 that is not a tree of objects (a client may send anything in managedFields)."""


def decode_fields_v1(tree: dict, prefix: Path = ()) -> set[Path]:
    if not isinstance(tree or {}, dict):
        raise FieldsV1Error(f"expected an object at {path_string(prefix) or '.'}, got {type(tree).__name__}")
    paths: set[Path] = set()
    for element, child in (tree or {}).items():
        if element == ".":
            paths.add(prefix)
            continue
        path = prefix + (element,)
        if child:
            paths |= decode_fields_v1(child, path)
        else:
            paths.add(path)
    return paths


def path_string(path: Path) -> str:
    """fieldpath.Path.String(): .spec.containers[name="nginx"].image, .metadata.finalizers[="x"]."""
    out = []
    for element in path:
        kind, body = element[:2], element[2:]
        if kind == "f:":
            out.append("." + body)
        elif kind == "k:":
            key = json.loads(body)
            out.append("[" + ",".join(f"{name}={_value_string(key[name])}" for name in sorted(key)) + "]")
        elif kind == "v:":
            out.append(f"[={_value_string(json.loads(body))}]")
        else:
            out.append(f"[{body}]")
    return "".join(out)


def _value_string(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # Go %q
    return compact_json(value)

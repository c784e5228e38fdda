"""Decoding a JSON value into a kind's Go types, as the API server's decoder does (sigs.k8s.io/json, a fork of
encoding/json), from the field tree built out of the `kubernetes` client's models (openapi_schema.py).

What Go's decoding does and this module does too:
- a value of the wrong JSON type, an integer out of its int32/int64 range, or a number with a fraction or an
  exponent in an integer field is refused with encoding/json's UnmarshalTypeError text:
  `json: cannot unmarshal number 1e30 into Go struct field DeploymentSpec.spec.replicas of type int32`
  (the struct is the innermost one, the path names struct fields only; the first error in document order);
- types with their own UnmarshalJSON give their own texts without a path (Quantity, IntOrString, Time, []byte);
- unknown fields are collected (fieldValidation Strict/Warn) and dropped, as decoding into a struct drops them;
- null leaves the zero value: a null struct field is removed (what re-encoding an omitempty field gives), a null
  list item or map value becomes the zero value of its type.

The tree is compiled once into node objects whose `decode(value, walk)` returns the value to keep.
"""
from __future__ import annotations

import threading

from kubenet.apiserver.typed_leaves import (  # noqa: F401 (TypeMismatch and json_kind are this module's API too)
    DROP,
    LEAVES,
    STRING,
    TypeMismatch,
    Walk,
    base64_error_offset,
    json_kind,
    parse_rfc3339_error,
)

# --- containers ------------------------------------------------------------------------------------------

class _Each:
    """A list ([]X) or a map (map[string]X) of one item type; a null item is the item type's zero value."""

    __slots__ = ("go", "is_map", "item")

    def __init__(self, item, is_map: bool):
        self.item = item
        self.is_map = is_map
        self.go = ("map[string]" if is_map else "[]") + item.go

    def decode(self, value, walk):
        if type(value) is not (dict if self.is_map else list):
            if value is None:
                return DROP
            raise TypeMismatch(json_kind(value), self.go, value)
        item, path, is_map = self.item, walk.path, self.is_map
        for key, element in (value.items() if is_map else enumerate(value)):
            path.append(f".{key}" if is_map else f"[{key}]")
            new = item.decode(element, walk) if element is not None else _zero(item)
            path.pop()
            if new is DROP:
                new = _zero(item)
            if new is not element:
                value[key] = new  # a new value for an existing key: safe while iterating
        return value


class _Struct:
    __slots__ = ("fields", "go", "name")

    def __init__(self, definition: str):
        self.name = definition.rpartition(".")[2]
        self.go = "v1." + self.name
        self.fields: dict[str, object] = {}

    def decode(self, value, walk):
        if type(value) is not dict:
            if value is None:
                return DROP
            raise TypeMismatch(json_kind(value), self.go, value)
        fields, path = self.fields, walk.path
        drop: list[str] | None = None
        for key, element in value.items():
            node = fields.get(key)
            if node is None:
                walk.unknown.append("".join(path) + ("." if path else "") + key)
                drop = [key] if drop is None else drop + [key]
                continue
            if element is None:
                drop = [key] if drop is None else drop + [key]
                continue
            if node is STRING and type(element) is str:
                continue  # most fields: nothing to check, nothing beneath
            path.append(f".{key}" if path else key)
            try:
                new = node.decode(element, walk)
            except TypeMismatch as exc:
                if exc.path is None:
                    exc.path = "".join(path)
                if exc.raw is None:
                    exc.fields.append(key)
                    if exc.struct is None:
                        exc.struct = self.name
                raise
            finally:
                path.pop()
            if new is DROP:
                drop = [key] if drop is None else drop + [key]
            elif new is not element:
                value[key] = new
        if drop:
            for key in drop:
                del value[key]
        return value


def _zero(node) -> object:
    if isinstance(node, _Struct):
        return {}
    if isinstance(node, _Each):
        return None
    return node.zero


# Types a request body may be that are not served kinds of their own.
_OTHER_KINDS = {"autoscaling/v1/Scale": "io.k8s.api.autoscaling.v1.Scale",
                "v1/DeleteOptions": "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"}


# --- the compiled tree -----------------------------------------------------------------------------------

class Schema:
    """The field tree compiled into nodes: `root(type name)` gives a struct node to decode with."""

    def __init__(self, tree: dict):
        self.kinds: dict[str, str] = tree.get("kinds", {})
        types: dict[str, dict[str, str]] = tree.get("types", {})
        self.structs = {name: _Struct(name) for name in types}
        for name, fields in types.items():
            self.structs[name].fields = {field: self._node(code) for field, code in fields.items()}

    def _node(self, code: str):
        if code.startswith("["):
            return _Each(self._node(code[1:]), is_map=False)
        if code.startswith("{"):
            return _Each(self._node(code[1:]), is_map=True)
        if code in LEAVES:
            return LEAVES[code]
        return self.structs.get(code, LEAVES["*"])  # a type outside what we serve: free-form

    def for_kind(self, api_version: str, kind: str) -> _Struct | None:
        name = self.kinds.get(f"{api_version}/{kind}") or _OTHER_KINDS.get(f"{api_version}/{kind}")
        return self.structs.get(name) if name else None

    def by_name(self, definition: str) -> _Struct | None:
        return self.structs.get(definition)


def decode(root: _Struct, obj: dict) -> list[str]:
    """Decode `obj` in place against `root`; returns the unknown fields (dropped). Raises TypeMismatch."""
    walk = Walk()
    root.decode(obj, walk)
    return walk.unknown


_lock = threading.Lock()
_schema: Schema | None = None


def schema() -> Schema:
    """The compiled schema of the served kinds (built from the OpenAPI cache on first use)."""
    global _schema
    if _schema is None:
        from kubenet.apiserver import openapi
        tree = openapi.field_tree()
        with _lock:
            if _schema is None:
                _schema = Schema(tree)
    return _schema


def forget() -> None:
    """Drop the compiled schema (the OpenAPI cache moved)."""
    global _schema
    with _lock:
        _schema = None

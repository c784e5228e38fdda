"""The leaf types of the Go-type decoder (typed.py): strings, numbers, booleans, and the types with their own
UnmarshalJSON (resource.Quantity, intstr.IntOrString, metav1.Time, []byte), with the texts their Go decoders give;
and TypeMismatch, encoding/json's UnmarshalTypeError, with the other texts the same mismatch gets elsewhere (the
unstructured converter a strategic merge patch meets, structured-merge-diff for server-side apply).
"""
from __future__ import annotations

import functools
import json
import re

from kubenet.api.patch_errors import json_type as json_kind  # encoding/json's names: "number", "object"...
from kubenet.apiserver.body import GoNumber, number_text

INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
DROP = object()  # returned for a null struct field: remove the key


class TypeMismatch(Exception):
    """encoding/json's UnmarshalTypeError: `value` ("number 1e30", "string", ...) into Go type `go_type`.
    `fields` is the struct-field path (innermost first while unwinding), `struct` the innermost struct."""

    def __init__(self, value: str, go_type: str, json_value: object):
        super().__init__(value)
        self.value = value
        self.go_type = go_type
        self.json_value = json_value
        self.fields: list[str] = []
        self.struct: str | None = None
        self.path: str | None = None  # the full path, list indexes included ("spec.ports[0].port")
        self.raw: str | None = None  # set for errors from a type's own UnmarshalJSON (no path in Go's text)

    def field_path(self) -> str:
        return ".".join(reversed(self.fields))

    def go_message(self) -> str:
        if self.raw is not None:
            return self.raw
        if self.struct is None:
            return f"json: cannot unmarshal {self.value} into Go value of type {self.go_type}"
        return (f"json: cannot unmarshal {self.value} into Go struct field {self.struct}.{self.field_path()} "
                f"of type {self.go_type}")

    def converter_message(self) -> str:
        """The text runtime.DefaultUnstructuredConverter gives (what a strategic merge patch result meets)."""
        if self.raw is not None:
            return self.raw
        kind = _GO_KINDS[json_kind(self.json_value)] if not isinstance(self.json_value, float) else "float64"
        if self.go_type.startswith("[]") and self.go_type != "[]uint8":
            return f"cannot restore slice from {kind}"
        if self.go_type.startswith("map["):
            return f"cannot restore map from {kind}"
        if self.go_type.startswith("v1.") and self.go_type not in ("v1.Time", "v1.MicroTime"):
            return f"cannot restore struct from: {kind}"
        return f"cannot convert {_GO_TYPES[json_kind(self.json_value)] if kind != 'float64' else kind} to " \
               f"{self.go_type}"

    def apply_message(self) -> str:
        """structured-merge-diff's text for a value its schema type cannot hold (a server-side apply patch)."""
        if self.raw is not None or self.value.startswith("number "):
            return self.go_message()
        value = self.json_value
        if self.go_type in ("int32", "int64", "float64"):
            return f"expected numeric (int or float), got {_GO_TYPES[json_kind(value)]}"
        if self.go_type == "bool":
            return f"expected boolean, got {_go_v(value)}"
        if self.go_type in ("string", "[]uint8", "v1.Time", "v1.MicroTime"):
            return f"expected string, got &value.valueUnstructured{{Value:{_go_v(value)}}}"
        if self.go_type.startswith("[]"):
            return f"expected list, got &{{{_go_v(value)}}}"
        return f"expected map, got &{{{_go_v(value)}}}"


_GO_KINDS = {"string": "string", "bool": "bool", "number": "int64", "array": "slice", "object": "map", "null": "ptr"}
_GO_TYPES = {"string": "string", "bool": "bool", "number": "int64", "array": "[]interface {}",
             "object": "map[string]interface {}", "null": "<nil>"}


def _go_v(value: object) -> str:
    from kubenet.api.patch_errors import go_value
    return go_value(value)


def _raw(message: str, json_value: object) -> TypeMismatch:
    exc = TypeMismatch("", "", json_value)
    exc.raw = message
    return exc


class Walk:
    """One decode: the unknown fields found, and the path to where the walk is (for their names)."""

    __slots__ = ("path", "unknown")

    def __init__(self) -> None:
        self.unknown: list[str] = []
        self.path: list[str] = []


# --- leaves ----------------------------------------------------------------------------------------------

class _Leaf:
    go = ""
    zero: object = None

    def decode(self, value, walk: Walk):
        raise NotImplementedError


class _Exact(_Leaf):
    """A leaf whose JSON value is exactly one Python type (string, bool)."""

    def __init__(self, go: str, python: type, zero: object):
        self.go, self.python, self.zero = go, python, zero

    def decode(self, value, walk):
        if type(value) is self.python:
            return value
        if value is None:
            return DROP
        raise TypeMismatch(json_kind(value), self.go, value)


class _Int(_Leaf):
    zero = 0

    def __init__(self, go: str):
        self.go = go
        self.low, self.high = INT_RANGES[go]

    def decode(self, value, walk):
        kind = type(value)
        if kind is int:
            if self.low <= value <= self.high:
                return value
            raise TypeMismatch(f"number {value}", self.go, value)
        if kind is GoNumber:  # JSON with a fraction or exponent: strconv.ParseInt refuses it
            raise TypeMismatch(f"number {value.text}", self.go, value)
        if kind is float:  # from YAML: sigs.k8s.io/yaml writes it as json.Marshal does, 3.0 as 3
            text = number_text(value)
            if re.fullmatch(r"-?\d+", text) and self.low <= int(text) <= self.high:
                return int(text)
            raise TypeMismatch(f"number {text}", self.go, value)
        if value is None:
            return DROP
        raise TypeMismatch(json_kind(value), self.go, value)


class _Float(_Leaf):
    go, zero = "float64", 0.0

    def decode(self, value, walk):
        if type(value) in (int, float, GoNumber) and type(value) is not bool:
            if value in (float("inf"), float("-inf")):
                raise TypeMismatch(f"number {number_text(value)}", "float64", value)
            return value
        if value is None:
            return DROP
        raise TypeMismatch(json_kind(value), "float64", value)


class _Quantity(_Leaf):
    """resource.Quantity's UnmarshalJSON: a string or a bare number, parsed (its own error texts)."""
    go, zero = "resource.Quantity", "0"

    def decode(self, value, walk):
        if value is None:
            return DROP
        if type(value) is str:
            text = value.strip()
        elif type(value) in (int, float, GoNumber):
            text = number_text(value)
        else:
            text = _compact(value)
        error = _quantity_error(text)
        if error:
            raise _raw(error, value)
        return text if type(value) is not str else value


@functools.lru_cache(maxsize=4096)
def _quantity_error(text: str) -> str | None:
    """ParseQuantity's error for `text`, or None; cached, since the same few quantities come again and again."""
    from kubenet.api.quantity import Quantity, QuantityError
    try:
        Quantity.parse(text)
    except QuantityError as exc:
        return str(exc)
    return None


class _IntOrString(_Leaf):
    """intstr.IntOrString's UnmarshalJSON: a string, else json.Unmarshal into an int32 (no struct path)."""
    go, zero = "intstr.IntOrString", 0

    def decode(self, value, walk):
        if type(value) is str:
            return value
        if value is None:
            return DROP
        try:
            return _INT32.decode(value, walk)
        except TypeMismatch as exc:
            raise _raw(f"json: cannot unmarshal {exc.value} into Go value of type int32", value) from None


class _Time(_Leaf):
    """metav1.Time / MicroTime: null, or a string time.Parse accepts with RFC 3339."""
    zero = None

    def __init__(self, go: str, layout: str):
        self.go = go
        self.layout = layout

    def decode(self, value, walk):
        if value is None:
            return DROP
        if type(value) is not str:
            raise TypeMismatch(json_kind(value), "string", value)
        error = parse_rfc3339_error(value, self.layout)
        if error:
            raise _raw(error, value)
        return value


class _Bytes(_Leaf):
    """[]byte: a base64 string (StdEncoding)."""
    go, zero = "[]uint8", ""

    def decode(self, value, walk):
        if value is None:
            return DROP
        if type(value) is not str:
            raise TypeMismatch(json_kind(value), "[]uint8", value)
        bad = base64_error_offset(value)
        if bad is not None:
            raise _raw(f"illegal base64 data at input byte {bad}", value)
        return value


class _Free(_Leaf):
    """interface{} / RawExtension / FieldsV1: anything JSON, but a number must fit a float64."""
    go, zero = "interface {}", None

    def decode(self, value, walk):
        stack = [value]
        while stack:
            item = stack.pop()
            kind = type(item)
            if kind is dict:
                stack.extend(item.values())
            elif kind is list:
                stack.extend(item)
            elif kind is GoNumber and item in (float("inf"), float("-inf")):
                raise TypeMismatch(f"number {item.text}", "float64", item)
        return value


STRING, _BOOL, _INT32, _INT64 = _Exact("string", str, ""), _Exact("bool", bool, False), _Int("int32"), _Int("int64")
LEAVES: dict[str, _Leaf] = {
    "string": STRING, "bool": _BOOL, "int32": _INT32, "int64": _INT64, "float64": _Float(),
    "Quantity": _Quantity(), "IntOrString": _IntOrString(), "bytes": _Bytes(), "*": _Free(), "": _Free(),
    "Time": _Time("v1.Time", "2006-01-02T15:04:05Z07:00"),
    "MicroTime": _Time("v1.MicroTime", "2006-01-02T15:04:05.000000Z07:00"),
}



def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


# --- the leaf types' own parsers ---------------------------------------------------------------------------

_LAYOUT_STEPS = (("2006", 4), ("-", 0), ("01", 2), ("-", 0), ("02", 2), ("T", 0), ("15", -2), (":", 0), ("04", 2),
                 (":", 0), ("05", 2))
_RANGES = {"01": ("month", 1, 12), "15": ("hour", 0, 23), "04": ("minute", 0, 59), "05": ("second", 0, 59)}
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_rfc3339_error(value: str, layout: str) -> str | None:
    """None if Go's time.Parse(RFC3339) accepts `value`, else its ParseError text."""
    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    head = f"parsing time {quote(value)}"
    rest, numbers = value, {}
    for element, width in _LAYOUT_STEPS:
        if width == 0:
            if not rest.startswith(element):
                return f"{head} as {quote(layout)}: cannot parse {quote(rest)} as {quote(element)}"
            rest = rest[len(element):]
            continue
        take = abs(width) if width > 0 else (2 if rest[1:2].isdigit() else 1)
        digits = rest[:take]
        if len(digits) < take or not digits.isdigit() or not digits.isascii():
            return f"{head} as {quote(layout)}: cannot parse {quote(rest)} as {quote(element)}"
        numbers[element] = int(digits)
        if element in _RANGES:
            what, low, high = _RANGES[element]
            if not low <= numbers[element] <= high:
                return f"{head}: {what} out of range"
        rest = rest[take:]
        if element == "05" and len(rest) > 1 and rest[0] in ".," and rest[1].isdigit():
            fraction = re.match(r"[.,]\d+", rest)
            rest = rest[fraction.end():]
    if rest.startswith("Z"):
        rest = rest[1:]
    elif re.match(r"[+-]\d\d:\d\d", rest):
        rest = rest[6:]
    else:
        return f"{head} as {quote(layout)}: cannot parse {quote(rest)} as \"Z07:00\""
    if rest:
        return f"{head}: extra text: {quote(rest)}"
    year, month, day = numbers["2006"], numbers["01"], numbers["02"]
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if day < 1 or day > (_DAYS[month - 1] if month != 2 or leap else 28):
        return f"{head}: day out of range"
    return None


_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def base64_error_offset(text: str) -> int | None:
    """Where Go's base64.StdEncoding.Decode fails on `text` (CorruptInputError), or None if it decodes.
    Go skips \\r and \\n; a short final quantum fails at its start."""
    data = text.encode("utf-8", "surrogatepass")
    quantum_start, filled, padding = 0, 0, 0
    for offset, byte in enumerate(data):
        if byte in (13, 10):
            continue
        if filled == 0:
            quantum_start = offset
        if byte == 61:  # '='
            if filled < 2:
                return offset
            padding += 1
            filled += 1
        elif byte in _B64 and not padding:
            filled += 1
        else:
            return offset
        if filled == 4:
            if padding and offset != len(data.rstrip(b"\r\n")) - 1:
                return offset + 1
            filled = 0
    if filled:
        return quantum_start
    return None

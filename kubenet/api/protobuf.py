"""Decoding Kubernetes protobuf request bodies into the JSON the API works on.

kubectl's typed clients (`create configmap|deployment|...`, `drain --disable-eviction`'s DeleteOptions) send
`Content-Type: application/vnd.kubernetes.protobuf`: the magic `k8s\\x00` and a runtime.Unknown envelope
{typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4} whose raw bytes are the
object. The object comes out as Go's json.Marshal would print the same typed object, the JSON kubectl
would have sent: omitempty zero scalars and nil slices/maps/pointers left out, nil ones without omitempty
as null, struct fields always present, and the apimachinery types (Time, IntOrString, Quantity, ...)
in their JSON forms. Field meanings come from `protobuf_schema`, generated from the Go struct tags.
"""
from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Iterator

from kubenet.api.protobuf_schema import KINDS, MESSAGES, META_KINDS
from kubenet.api.quantity import canonicalize

MAGIC = b"k8s\x00"

_VARINT, _FIXED64, _BYTES, _START_GROUP, _END_GROUP, _FIXED32 = 0, 1, 2, 3, 4, 5
_U64 = (1 << 64) - 1
_INTS = ("int32", "int64", "bool")
_ZERO = {"string": "", "int32": 0, "int64": 0, "bool": False}
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

# The apimachinery types with their own protobuf shape and JSON form.
_TIMESTAMP = {1: ("seconds", "int64", ""), 2: ("nanos", "int32", "")}
_SPECIAL_SHAPES = {
    "Time": _TIMESTAMP, "MicroTime": _TIMESTAMP,
    "Duration": {1: ("duration", "int64", "")},
    "IntOrString": {1: ("type", "int64", ""), 2: ("intVal", "int32", ""), 3: ("strVal", "string", "")},
    "Quantity": {1: ("string", "string", "")},
    "RawExtension": {1: ("raw", "bytes", "")},
    "FieldsV1": {1: ("Raw", "bytes", "")},
}
_ENVELOPE = {1: ("typeMeta", "TypeMeta", ""), 2: ("raw", "bytes", ""), 3: ("contentEncoding", "string", ""),
             4: ("contentType", "string", "")}
_TYPE_META = {1: ("apiVersion", "string", ""), 2: ("kind", "string", "")}


class ProtobufError(ValueError):
    """A body that is not a protobuf object kubenet can decode; the message reads like the real server's."""


def decode_object(body: bytes) -> dict:
    """`k8s\\x00` + runtime.Unknown -> the object as Kubernetes JSON, apiVersion and kind from the envelope."""
    if not body:
        raise ProtobufError("empty data")
    if not body.startswith(MAGIC):
        raise ProtobufError("provided data does not appear to be a protobuf message, expected prefix "
                            f"[{' '.join(str(b) for b in MAGIC)}]")
    if len(body) == len(MAGIC):
        raise ProtobufError("empty body")
    envelope = _collect(_ENVELOPE, bytes(body[len(MAGIC):]), "Unknown")
    type_meta = _collect(_TYPE_META, envelope.get(1, b""), "TypeMeta")
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    shown = f"runtime.TypeMeta{{APIVersion:{json.dumps(api_version)}, Kind:{json.dumps(kind)}}}"  # Go's %#v
    if not kind:
        raise ProtobufError(f"Object 'Kind' is missing in '{shown}'")
    if not api_version:
        raise ProtobufError(f"Object 'apiVersion' is missing in '{shown}'")
    message = KINDS.get(f"{api_version}/{kind}") or META_KINDS.get(kind)
    if message is None:
        raise ProtobufError(f'no kind "{kind}" is registered for version "{api_version}"')
    try:
        obj = _message(message, envelope.get(2, b""))
    except ProtobufError as exc:
        version = api_version.rsplit("/", 1)[-1]
        raise ProtobufError(f'{kind} in version "{version}" cannot be handled as a {kind}: {exc}') from None
    return {"kind": kind, "apiVersion": api_version, **obj}


# --- wire format -------------------------------------------------------------------------------------

def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if shift >= 64:  # Go stops after ten bytes
            raise ProtobufError("proto: integer overflow")
        if pos >= len(data):
            raise ProtobufError("unexpected EOF")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value & _U64, pos
        shift += 7


def _fields(data: bytes, where: str) -> Iterator[tuple[int, int, int | bytes | None]]:
    """(field number, wire type, value) for each field; value is an int, the bytes, or None for a group."""
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == _END_GROUP:
            raise ProtobufError(f"proto: {where}: wiretype end group for non-group")
        if number <= 0:
            raise ProtobufError(f"proto: {where}: illegal tag {number} (wire type {wire})")
        if wire == _VARINT:
            value, pos = _varint(data, pos)
        elif wire == _FIXED64:
            value, pos = _fixed(data, pos, 8), pos + 8
        elif wire == _FIXED32:
            value, pos = _fixed(data, pos, 4), pos + 4
        elif wire == _BYTES:
            length, pos = _varint(data, pos)
            if length >= 1 << 63:
                raise ProtobufError("proto: negative length found during unmarshaling")
            if pos + length > len(data):
                raise ProtobufError("unexpected EOF")
            value, pos = data[pos:pos + length], pos + length
        elif wire == _START_GROUP:
            value, pos = None, _skip_group(data, pos)
        else:
            raise ProtobufError(f"proto: illegal wireType {wire}")
        yield number, wire, value


def _fixed(data: bytes, pos: int, size: int) -> int:
    if pos + size > len(data):
        raise ProtobufError("unexpected EOF")
    return int.from_bytes(data[pos:pos + size], "little")


def _skip_group(data: bytes, pos: int) -> int:
    """Skips a deprecated group (wire types 3..4), as Go's skip does for unknown fields."""
    depth = 1
    while depth:
        tag, pos = _varint(data, pos)
        wire = tag & 7
        if wire == _VARINT:
            pos = _varint(data, pos)[1]
        elif wire in (_FIXED64, _FIXED32):
            pos += 8 if wire == _FIXED64 else 4
        elif wire == _BYTES:
            length, pos = _varint(data, pos)
            pos += length
        elif wire == _START_GROUP:
            depth += 1
        elif wire == _END_GROUP:
            depth -= 1
        else:
            raise ProtobufError(f"proto: illegal wireType {wire}")
        if pos > len(data):
            raise ProtobufError("unexpected EOF")
    return pos


def _scalar(kind: str, value: int | bytes) -> object:
    if kind == "string":
        return value.decode("utf-8", errors="replace")  # json.Marshal turns bad UTF-8 into U+FFFD too
    if kind == "bytes":
        return bytes(value)
    if kind == "bool":
        return value != 0
    bits = 32 if kind == "int32" else 64
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _collect(shape: dict, data: bytes, where: str) -> dict:
    """Field number -> Go value: scalars (last wins), raw bytes for messages (occurrences merge, as Go's
    Unmarshal into the same struct does), lists for slices, dicts for maps."""
    values: dict = {}
    for number, wire, value in _fields(data, where):
        spec = shape.get(number)
        if spec is None:
            continue  # a field from a newer version: skipped, as the real decoder does
        name, kind, flags = spec
        if "m" in flags:
            _expect(wire, _BYTES, name)
            entry = _collect({1: ("key", "string", ""), 2: ("value", kind, "")}, value, f"{where}.{name}")
            values.setdefault(number, {})[entry.get(1, "")] = entry.get(2, _ZERO.get(kind, b""))
        elif "r" in flags:
            items = values.setdefault(number, [])
            if kind in _INTS and wire == _BYTES:  # packed
                pos = 0
                while pos < len(value):
                    item, pos = _varint(value, pos)
                    items.append(_scalar(kind, item))
            else:
                _expect(wire, _VARINT if kind in _INTS else _BYTES, name)
                items.append(_scalar(kind, value) if kind in _ZERO or kind == "bytes" else bytes(value))
        elif kind in _ZERO or kind == "bytes":
            _expect(wire, _VARINT if kind in _INTS else _BYTES, name)
            values[number] = _scalar(kind, value)
        else:
            _expect(wire, _BYTES, name)
            values[number] = values.get(number, b"") + bytes(value)
    return values


def _expect(wire: int, wanted: int, name: str) -> None:
    if wire != wanted:
        raise ProtobufError(f"proto: wrong wireType = {wire} for field {name}")


# --- Go values to JSON -------------------------------------------------------------------------------

def _message(message: str, data: bytes) -> dict:
    shape = MESSAGES[message]
    values = _collect(shape, data, message.split(".", 1)[1])
    out: dict = {}
    for number, (name, kind, flags) in shape.items():
        present = number in values
        if "i" in flags:
            out.update(_message(kind, values.get(number, b"")))
        elif "r" in flags or "m" in flags or "p" in flags or kind == "bytes":
            if present:
                if kind == "bytes" and "o" in flags and not values[number]:
                    continue  # omitempty leaves out an empty []byte
                out[name] = _json(kind, flags, values[number])
            elif "o" not in flags:
                out[name] = None  # a nil slice, map or pointer without omitempty
        elif kind in _ZERO:
            value = values.get(number, _ZERO[kind])
            if "o" not in flags or value != _ZERO[kind]:
                out[name] = value
        else:  # a struct value: encoding/json never leaves one out
            out[name] = _value(kind, values.get(number, b""))
    return out


def _json(kind: str, flags: str, value: object) -> object:
    if "m" in flags:
        return {key: _json(kind, "", item) for key, item in value.items()}
    if "r" in flags:
        return [_json(kind, "", item) for item in value]
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    if kind in _ZERO:
        return value
    return _value(kind, value)


def _value(kind: str, data: bytes) -> object:
    """A struct (message or apimachinery type) from its bytes, as json.Marshal prints it."""
    if kind in MESSAGES:
        return _message(kind, data)
    fields = _collect(_SPECIAL_SHAPES[kind], data, kind)
    if kind in ("Time", "MicroTime"):
        if not data:  # the zero time marshals to an empty message and prints as null
            return None
        return _time(fields.get(1, 0), fields.get(2, 0), micro=kind == "MicroTime")
    if kind == "Duration":
        return _go_duration(fields.get(1, 0))
    if kind == "IntOrString":
        int_or_string = fields.get(1, 0)
        if int_or_string not in (0, 1):
            raise ProtobufError(f"impossible IntOrString.Type {int_or_string}")
        return fields.get(3, "") if int_or_string else fields.get(2, 0)
    if kind == "Quantity":
        if 1 not in fields:
            return "0"
        try:
            return canonicalize(fields[1])
        except ValueError as exc:  # QuantityError, or a number too long to convert
            raise ProtobufError(str(exc)) from None
    raw = fields.get(1)  # RawExtension, FieldsV1: JSON carried as bytes
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ProtobufError(f"{kind} is not JSON: {exc}") from None


def _time(seconds: int, nanos: int, micro: bool) -> str:
    """metav1.Time prints RFC3339 to the second (its decoder drops nanos); MicroTime always shows µs."""
    microseconds = int(nanos / 1000) if micro else 0  # Go truncates toward zero
    try:
        moment = _EPOCH + datetime.timedelta(seconds=seconds, microseconds=microseconds)
    except OverflowError:
        raise ProtobufError(f"time out of range: {seconds}s") from None
    text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}")
    if micro:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def _go_duration(nanoseconds: int) -> str:
    """Go's time.Duration.String(): "1h2m3.5s", "1.5ms", "0s"."""
    sign, magnitude = ("-" if nanoseconds < 0 else ""), abs(nanoseconds)
    if magnitude == 0:
        return "0s"
    if magnitude < 1000:
        return f"{sign}{magnitude}ns"
    if magnitude < 10**9:
        unit, digits = ("µs", 3) if magnitude < 10**6 else ("ms", 6)
        return sign + _decimal(magnitude, digits) + unit
    seconds, fraction = divmod(magnitude, 10**9)
    text = _decimal(seconds % 60 * 10**9 + fraction, 9) + "s"
    minutes, hours = seconds // 60 % 60, seconds // 3600
    if seconds >= 60:
        text = f"{minutes}m" + text
    if hours:
        text = f"{hours}h" + text
    return sign + text


def _decimal(value: int, digits: int) -> str:
    whole, fraction = divmod(value, 10**digits)
    return f"{whole}" + (f".{fraction:0{digits}d}".rstrip("0") if fraction else "")

"""The error every patch function raises, and Go's `%v` rendering that the API server's messages embed."""
from __future__ import annotations

import json

# Reasons the API server puts in the Status for each code a patch can fail with. A plain Go error that no
# layer converted (most strategic-merge-patch errors) becomes a 500 with an empty reason (ErrorToAPIStatus).
_REASONS = {400: "BadRequest", 409: "Conflict", 422: "Invalid", 500: ""}


class PatchError(Exception):
    """A patch the server refuses. `str(exc)` is the Status message; `code` its HTTP code.

    `causes` are Status details causes (apply conflicts list one per field); `detail` keeps the underlying
    library text where the real server hides it behind a generic message (JSON patch → 422).
    """

    def __init__(self, message: str, code: int = 400, causes: list[dict] | None = None, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.causes = causes or []
        self.detail = detail

    @property
    def reason(self) -> str:
        return _REASONS.get(self.code, "")


def go_value(value: object) -> str:
    """Render a decoded JSON value the way Go's fmt `%v` prints a map[string]interface{} and friends."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    return str(value)


def go_type(value: object) -> str:
    """The Go type encoding/json decodes `value` into (for "expected a X, but received a Y" messages)."""
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "float64"
    if isinstance(value, str):
        return "string"
    return "<nil>"


def json_type(value: object) -> str:
    """The JSON type name encoding/json uses in "cannot unmarshal X into Go value of type Y"."""
    return {"map[string]interface {}": "object", "[]interface {}": "array", "float64": "number",
            "<nil>": "null"}.get(go_type(value), go_type(value))


def json_equal(a: object, b: object) -> bool:
    """JSON equality: unlike Python's ==, true is not 1 and 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def compact_json(value: object) -> str:
    """Go's json.Marshal of a value: compact, map keys sorted."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)

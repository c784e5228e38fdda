"""Field errors as apimachinery's `field.Error` prints them, and the Go value renderings they quote.

The API server prints a bad value with Go's fmt: numbers and bools plainly (`%v`), strings quoted
(`%q`), anything else as a Go literal (`%#v`), e.g. `map[string]string{"app":"web"}` or
`[]string{"10.96.0.5"}`. Learners copy these texts into searches, so we reproduce them byte for byte
(k8s.io/apimachinery/pkg/util/validation/field/errors.go, v0.32).
"""
from __future__ import annotations

from dataclasses import dataclass

# Types that print "<Type>: <detail>" without the value (ErrorBody in apimachinery v0.32).
_VALUELESS = {"FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong", "InternalError"}

_TYPE_TEXT = {
    "FieldValueNotFound": "Not found",
    "FieldValueRequired": "Required value",
    "FieldValueDuplicate": "Duplicate value",
    "FieldValueInvalid": "Invalid value",
    "FieldValueNotSupported": "Unsupported value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueTooLong": "Too long",
    "FieldValueTooMany": "Too many",
    "InternalError": "Internal error",
    "FieldValueTypeInvalid": "Invalid value",
}


@dataclass(frozen=True)
class GoLiteral:
    """A value already rendered the way Go's %#v would print it (structs, typed nil slices...)."""
    text: str

    def __str__(self) -> str:
        return self.text


def go_quote(s: str) -> str:
    """strconv.Quote: printable runes stay as they are, the rest is escaped Go-style."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                        "\t": "\\t", "\v": "\\v"}[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable() and code > 0x7F:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_string_slice(values: list[str] | None) -> GoLiteral:
    if values is None:
        return GoLiteral("[]string(nil)")
    return GoLiteral("[]string{" + ", ".join(go_quote(str(v)) for v in values) + "}")


def go_string_map(values: dict | None) -> GoLiteral:
    """Go prints maps with sorted keys and no space after the colon."""
    if values is None:
        return GoLiteral("map[string]string(nil)")
    body = ", ".join(f"{go_quote(str(k))}:{go_quote(str(values[k]))}" for k in sorted(values))
    return GoLiteral("map[string]string{" + body + "}")


def go_int_or_string(value: object) -> GoLiteral:
    """intstr.IntOrString is printed as a struct: its String() has a pointer receiver."""
    if isinstance(value, str):
        return GoLiteral(f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:{go_quote(value)}}}')
    number = value if isinstance(value, int) else 0
    return GoLiteral(f'intstr.IntOrString{{Type:0, IntVal:{number}, StrVal:""}}')


def go_label_selector(selector: dict | None) -> GoLiteral:
    """metav1.LabelSelector as %#v prints it (the pointer is dereferenced by ErrorBody)."""
    if selector is None:
        return GoLiteral("null")
    labels = selector.get("matchLabels")
    exprs = selector.get("matchExpressions")
    if exprs is None:
        expr_text = "[]v1.LabelSelectorRequirement(nil)"
    else:
        parts = []
        for e in exprs:
            parts.append(f'v1.LabelSelectorRequirement{{Key:{go_quote(str(e.get("key", "")))}, '
                         f'Operator:{go_quote(str(e.get("operator", "")))}, '
                         f'Values:{go_string_slice(e.get("values")).text}}}')
        expr_text = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    return GoLiteral(f"v1.LabelSelector{{MatchLabels:{go_string_map(labels).text}, MatchExpressions:{expr_text}}}")


def go_value(value: object) -> str:
    """The value part of ErrorBody: %v for numbers and bools, %q for strings, %#v otherwise."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, GoLiteral):
        return value.text
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return go_string_slice(value).text
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return go_string_map(value).text
    return repr(value)


@dataclass
class FieldError:
    type: str
    field: str
    value: object = None
    detail: str = ""

    def message(self) -> str:
        text = _TYPE_TEXT.get(self.type, self.type)
        if self.type not in _VALUELESS:
            text = f"{text}: {go_value(self.value)}"
        if self.detail:
            text += f": {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.message()}"


# Constructors named like apimachinery's field.* helpers, so rules read like the Go ones.
def required(path: str, detail: str = "") -> FieldError:
    return FieldError("FieldValueRequired", path, "", detail)


def invalid(path: str, value: object, detail: str) -> FieldError:
    return FieldError("FieldValueInvalid", path, value, detail)


def duplicate(path: str, value: object) -> FieldError:
    return FieldError("FieldValueDuplicate", path, value)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError("FieldValueForbidden", path, "", detail)


def not_supported(path: str, value: object, valid: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(go_quote(v) for v in valid) if valid else ""
    return FieldError("FieldValueNotSupported", path, value, detail)


def too_long(path: str, max_length: int) -> FieldError:
    detail = f"may not be more than {max_length} bytes" if max_length >= 0 else "value is too long"
    return FieldError("FieldValueTooLong", path, "<value omitted>", detail)


def too_many(path: str, actual: int, max_quantity: int) -> FieldError:
    return FieldError("FieldValueTooMany", path, actual, f"must have at most {max_quantity} items")


FIELD_IMMUTABLE = "field is immutable"


def immutable(new: object, old: object, path: str, shown: object = None) -> list[FieldError]:
    """ValidateImmutableField: reports the new value (or a Go rendering of it)."""
    if new == old:
        return []
    return [invalid(path, shown if shown is not None else new, FIELD_IMMUTABLE)]

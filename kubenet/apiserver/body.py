"""Request bytes → JSON values, bounded before anything else runs, with the texts Go's decoders give.

JSON is read as Go's encoding/json reads it (what the API server's serializer uses): NaN/Infinity are syntax
errors, lone UTF-16 surrogate escapes and invalid UTF-8 become U+FFFD, and a number keeps its literal text
(`GoNumber`) so that a type error can say `cannot unmarshal number 1e30` as Go does.

YAML is read as sigs.k8s.io/yaml reads it (go-yaml v2, then JSON): only the first document, keys made strings,
and aliases limited by go-yaml's rule (decoder.go `allowedAliasRatio`: past 100 aliased and 1,000 total node
decodes, at most 99% of the decodes may come from aliases up to 400,000 decodes, sliding to 10% at 4,000,000),
which refuses the "billion laughs" document with `yaml: document contains excessive aliasing`. PyYAML shares
the nodes an alias names, so the expanded size is counted on that graph without expanding it.

Nesting deeper than MAX_DEPTH is refused (Go allows 10,000 levels; the Python code after the decoder recurses,
and no built-in object needs more than a few dozen), and so is a YAML document whose expansion exceeds the
request body limit.
"""
from __future__ import annotations

import json
import math
import re

import yaml

from kubenet.api.validation_field import go_quote

MAX_DEPTH = 128
MAX_EXPANDED = 3 * 1024 * 1024  # bytes of JSON a YAML document may expand to (the request body limit)
_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class DecodeError(ValueError):
    """An undecodable body; `str()` is the text Go's decoder gives. `too_large`: a 413, not a 400."""

    def __init__(self, message: str, too_large: bool = False):
        super().__init__(message)
        self.message = message
        self.too_large = too_large


class GoNumber(float):
    """A JSON number with a fraction or exponent, remembering how it was written (Go quotes the literal)."""

    __slots__ = ("text",)

    def __new__(cls, text: str) -> GoNumber:  # noqa: PYI034 (a float built from its literal)
        number = super().__new__(cls, text)
        number.text = text
        return number


def number_text(value: float) -> str:
    """A number as Go prints it in "cannot unmarshal number X": the JSON literal, or json.Marshal's float64 form."""
    if isinstance(value, GoNumber):
        return value.text
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:  # Go: 1e+30 / 1e-07 → 1e-7
        mantissa, exponent = text.split("e")
        sign = exponent[0] if exponent[0] in "+-" else "+"
        text = f"{mantissa}e{sign}{int(exponent.lstrip('+-'))}"
    return text


# --- JSON ------------------------------------------------------------------------------------------------

def _reject_constant(name: str):
    raise DecodeError(f"invalid character '{name[0] if name != '-Infinity' else 'I'}' "
                      f"{'in numeric literal' if name == '-Infinity' else 'looking for beginning of value'}")


def _quote_char(char: str) -> str:
    """Go's quoteChar: 'x', or a quoted escape for a control character."""
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    return "'" + go_quote(char)[1:-1] + "'"


def _go_syntax_error(exc: json.JSONDecodeError) -> str:
    """Python's JSON error as Go's SyntaxError text (the common cases)."""
    doc, pos, msg = exc.doc, exc.pos, exc.msg
    if pos >= len(doc) or msg.startswith("Unterminated string"):
        return "unexpected end of JSON input"
    if msg.startswith("Invalid \\") and pos + 1 < len(doc):
        pos += 1  # Python points at the backslash, Go at the character after it
    char = _quote_char(doc[pos])
    if msg.startswith("Expecting ','"):
        opener = _innermost_opener(doc, pos)
        return f"invalid character {char} after {'array element' if opener == '[' else 'object key:value pair'}"
    for python, go in _SYNTAX:
        if msg.startswith(python):
            return f"invalid character {char} {go}"
    return msg


# Python's JSONDecodeError message → the context Go's scanner names (scanner.go).
_SYNTAX = (("Expecting value", "looking for beginning of value"),
           ("Expecting property name", "looking for beginning of object key string"),
           ("Expecting ':'", "after object key"), ("Extra data", "after top-level value"),
           ("Invalid control character", "in string literal"), ("Invalid \\", "in string escape code"))


def _innermost_opener(doc: str, pos: int) -> str:
    depth = 0
    for char in reversed(doc[max(0, pos - 4096):pos]):  # close enough for a message
        if char in "]}":
            depth += 1
        elif char in "[{":
            if depth == 0:
                return char
            depth -= 1
    return "{"


def decode_json(raw: bytes | str, duplicates: list[str] | None = None) -> object:
    """Parse a JSON body; raises DecodeError with Go's text (without the API server's wrapping). Keys given twice
    are appended to `duplicates` (the later value wins, as in Go; strict decoding reports them)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else raw

    def pairs(items: list[tuple[str, object]]) -> dict:
        out = dict(items)
        if len(out) != len(items) and duplicates is not None:
            seen: set[str] = set()
            duplicates.extend(k for k, _ in items if k in seen or seen.add(k))
        return out
    try:
        value = json.loads(text, parse_float=GoNumber, parse_constant=_reject_constant, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise DecodeError(_go_syntax_error(exc)) from None
    except RecursionError:
        raise DecodeError(_depth_message(text)) from None
    raw_bytes = raw if isinstance(raw, (bytes, bytearray)) else raw.encode("utf-8", "surrogatepass")
    fix = bool(_SURROGATE_ESCAPE.search(raw_bytes))
    if not fix and text.count("{") + text.count("[") <= MAX_DEPTH:
        return value  # too few brackets to nest past the limit, no surrogate escapes: nothing to check
    return _bounded(value, fix_surrogates=fix, source=text)


def _depth_message(text: str) -> str:
    opener = next((c for c in text if c in "[{"), "{")
    return f"invalid character '{opener}' exceeded max depth"


def _bounded(value: object, fix_surrogates: bool, source: str = "") -> object:
    """Refuse nesting past MAX_DEPTH (iteratively: the check itself must not recurse); replace lone surrogates
    with U+FFFD as Go's decoder does (Python keeps them, and they cannot be encoded to UTF-8 later)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DecodeError(_depth_message(source or "{"))
        if type(node) is dict:
            if fix_surrogates and any(_SURROGATE.search(k) or (type(v) is str and _SURROGATE.search(v))
                                      for k, v in node.items()):
                fixed = {_SURROGATE.sub("\ufffd", k): (_SURROGATE.sub("\ufffd", v) if type(v) is str else v)
                         for k, v in node.items()}
                node.clear()
                node.update(fixed)
            stack.extend((v, depth + 1) for v in node.values() if type(v) in (dict, list))
        elif type(node) is list:
            if fix_surrogates:
                for index, item in enumerate(node):
                    if type(item) is str and _SURROGATE.search(item):
                        node[index] = _SURROGATE.sub("\ufffd", item)
            stack.extend((v, depth + 1) for v in node if type(v) in (dict, list))
    if fix_surrogates and type(value) is str:
        return _SURROGATE.sub("\ufffd", value)
    return value


# --- YAML ------------------------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """YAML as sigs.k8s.io/yaml reads it: timestamps stay strings; go-yaml's float syntax (1e30 is a float)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:float",
                              re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)$"),
                              list("-+0123456789."))


def _allowed_alias_ratio(decodes: int) -> float:
    if decodes <= _ALIAS_RATIO_LOW:
        return 0.99
    if decodes >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decodes - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


def _expansion(root: yaml.Node) -> tuple[int, int, int]:
    """(node decodes, distinct nodes, JSON bytes) of the document once every alias is expanded, computed on the
    shared node graph (iteratively, memoized per node). A node that contains itself is go-yaml's error."""
    sizes: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = _children(node)
        if not children_done:
            if key in open_nodes:
                raise DecodeError(f"yaml: anchor '{node.anchor or ''}' value contains itself")
            open_nodes.add(key)
            stack.append((node, True))
            for child in children:
                if id(child) in open_nodes:
                    raise DecodeError("yaml: anchor value contains itself")
                if id(child) not in sizes:
                    stack.append((child, False))
            continue
        open_nodes.discard(key)
        count, size = 1, (len(node.value) + 2 if isinstance(node, yaml.ScalarNode) else 2)
        for child in children:
            child_count, child_size = sizes[id(child)]
            count += child_count
            size += child_size + 1
        sizes[key] = (count, size)
    total, size = sizes[id(root)]
    return total, len(sizes), size


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def decode_yaml(raw: bytes | str) -> object:
    """Parse a YAML body's first document; raises DecodeError with go-yaml's text."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else raw
    try:
        loader = _Loader(text)  # the reader refuses non-printable characters here
    except yaml.YAMLError as exc:
        raise DecodeError(f"yaml: {getattr(exc, 'reason', None) or exc}") from None
    try:
        node = loader.get_node() if loader.check_node() else None
        if node is None:
            return None
        decodes, distinct, size = _expansion(node)
        aliased = decodes - distinct
        if aliased > 100 and decodes > 1000 and aliased / decodes > _allowed_alias_ratio(decodes):
            raise DecodeError("yaml: document contains excessive aliasing")
        if size > MAX_EXPANDED:
            raise DecodeError(f"Request entity too large: limit is {MAX_EXPANDED}", too_large=True)
        value = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise DecodeError(f"yaml: {line}{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise DecodeError(f"yaml: {exc}") from None
    except RecursionError:
        raise DecodeError("yaml: exceeded max depth") from None
    finally:
        loader.dispose()
    return _bounded(_as_json(value, 1), fix_surrogates=True)


def _as_json(value: object, depth: int) -> object:
    """A fresh JSON tree (aliases become copies) as sigs.k8s.io/yaml converts it: keys become strings."""
    if depth > MAX_DEPTH:
        raise DecodeError("yaml: exceeded max depth")
    if isinstance(value, dict):
        return {_json_key(k): _as_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_json(v, depth + 1) for v in value]
    if isinstance(value, set):  # !!set: a map of nulls
        return {_json_key(k): None for k in value}
    if isinstance(value, float) and not math.isfinite(value):
        raise DecodeError(f"json: unsupported value: {'NaN' if math.isnan(value) else ('+Inf' if value > 0 else '-Inf')}")
    if isinstance(value, (bytes, bytearray)):  # !!binary: go-yaml gives the decoded bytes as a string
        return bytes(value).decode("utf-8", "replace")
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)


def _json_key(key: object) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return number_text(key)
    raise DecodeError(f"yaml: invalid map key: {key!r}")

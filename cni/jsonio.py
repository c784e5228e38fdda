"""json.loads() and json.dumps() for the plugin executable, without importing the json package.

A runtime starts the plugin for every ADD and DEL, and json's Python layer imports re (and with it enum and
the regex compiler): a quarter of the plugin's own start-up. The C accelerator `_json` that json.loads and
json.dumps call does the parsing and the encoding by itself; here it gets the same settings json's defaults
give it (json/decoder.py JSONDecoder(), json/encoder.py JSONEncoder() with _one_shot). Whatever the fast path
does not take (no _json, as on PyPy; a BOM or UTF-16; any error, whose message json should word) goes to json.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_WHITESPACE = " \t\n\r"  # JSON's insignificant whitespace (RFC 8259 section 2), json.decoder.WHITESPACE

try:
    import _json
except ImportError:  # not CPython
    _json = None  # type: ignore[assignment]


class _Context:
    """The attributes _json.make_scanner reads from a JSONDecoder, set as JSONDecoder() sets them."""
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    # json.decoder._CONSTANTS: NaN and the infinities are accepted, as json.loads accepts them.
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


def _default(o: object) -> object:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")  # json's own wording


if _json is not None:
    _scan = _json.make_scanner(_Context())


def loads(raw: bytes | str) -> Any:
    """json.loads(raw): the same value, or the same exception (from json itself)."""
    if _json is not None:
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            start = len(text) - len(text.lstrip(_WHITESPACE))
            value, end = _scan(text, start)
            if not text[end:].strip(_WHITESPACE):
                return value
        except Exception:  # noqa: BLE001, S110 - json below gives the error its usual type and message
            pass
    import json

    return json.loads(raw)


def dumps(value: object) -> str:
    """json.dumps(value) with json's defaults (ASCII, ", " and ": " separators, NaN allowed, no sorting)."""
    if _json is not None and not isinstance(value, str):
        try:
            # (markers, default, encoder, indent, key_separator, item_separator, sort_keys, skipkeys, allow_nan);
            # a new one per call, since an encoder that raised may keep entries in its circular-check markers.
            encode = _json.make_encoder({}, _default, _json.encode_basestring_ascii, None, ": ", ", ", False,
                                        False, True)
            return "".join(encode(value, 0))
        except Exception:  # noqa: BLE001, S110 - json below raises what json.dumps raises
            pass
    import json

    return json.dumps(value)

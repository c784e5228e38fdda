"""events.k8s.io/v1 Event <-> core/v1 Event (k8s.io/kubernetes pkg/apis/events/v1 conversion.go).

One Event storage serves both shapes: a write through events.k8s.io/v1 is converted to the core shape before it
is stored, and every read is converted back, so both APIs see the same objects with the same resourceVersions.
"""
from __future__ import annotations

import json

from kubenet.api.kinds import Kind, by_kind
from kubenet.api.selectors import SelectorError, field_terms

CORE_EVENT: Kind = by_kind("v1", "Event")
EVENTS_V1_EVENT: Kind = by_kind("events.k8s.io/v1", "Event")

# events.k8s.io/v1 field labels → the core selectable fields (AddFieldLabelConversionsForEvent).
FIELD_LABELS = {
    "metadata.name": "metadata.name",
    "metadata.namespace": "metadata.namespace",
    "reason": "reason",
    "regarding.kind": "involvedObject.kind",
    "regarding.namespace": "involvedObject.namespace",
    "regarding.name": "involvedObject.name",
    "regarding.uid": "involvedObject.uid",
    "regarding.apiVersion": "involvedObject.apiVersion",
    "regarding.resourceVersion": "involvedObject.resourceVersion",
    "regarding.fieldPath": "involvedObject.fieldPath",
    "reportingController": "reportingComponent",
    "source": "source",
    "type": "type",
}

# Fields with the same name and meaning in both shapes (autoConvert copies them).
_SHARED = ("eventTime", "series", "action", "reason", "related", "type", "reportingInstance")


def _copy(value):
    # JSON round trip: the objects are plain JSON data, and this is the fastest deep copy of it.
    return json.loads(json.dumps(value))


# Fields renamed between the shapes: (core, events.k8s.io/v1, how it is written): "object" always ({} when unset),
# "set" only when set, "as is" always, null when unset.
_RENAMED = (("involvedObject", "regarding", "object"), ("message", "note", "set"),
            ("reportingComponent", "reportingController", "set"), ("source", "deprecatedSource", "object"),
            ("firstTimestamp", "deprecatedFirstTimestamp", "as is"),
            ("lastTimestamp", "deprecatedLastTimestamp", "as is"), ("count", "deprecatedCount", "set"))


def _convert(src: dict, out: dict, to_v1: bool) -> dict:
    for f in _SHARED:
        if src.get(f) not in (None, ""):
            out[f] = _copy(src[f])
    for core_name, v1_name, how in _RENAMED:
        source, target = (core_name, v1_name) if to_v1 else (v1_name, core_name)
        value = src.get(source)
        if how == "object":
            out[target] = _copy(value or {})
        elif how == "as is" or value:
            out[target] = value
    return out


def to_events_v1(core: dict) -> dict:
    """Convert_core_Event_To_v1_Event; the output has the fields Go's encoder would always write."""
    return _convert(core, {"apiVersion": EVENTS_V1_EVENT.api_version, "kind": "Event",
                           "metadata": _copy(core.get("metadata") or {}), "eventTime": None}, True)


def to_core(event: dict) -> dict:
    """Convert_v1_Event_To_core_Event; unknown fields are dropped, as decoding into the Go type does."""
    out = _convert(event, {"apiVersion": CORE_EVENT.api_version, "kind": "Event",
                           "metadata": _copy(event.get("metadata") or {})}, False)
    out.setdefault("eventTime", None)
    out["reportingComponent"] = event.get("reportingController") or ""  # strings the Go type always has
    out["reportingInstance"] = event.get("reportingInstance") or ""
    return out


def core_field_selector(text: str | None) -> str | None:
    """An events.k8s.io/v1 field selector rewritten with the core field labels (SelectorError if it cannot be)."""
    if not text:
        return text
    parts = []
    for label, op, value in field_terms(text):
        if label not in FIELD_LABELS:
            raise SelectorError(f"field label not supported: {label}")
        parts.append(f"{FIELD_LABELS[label]}{op}{value}")
    return ",".join(parts)

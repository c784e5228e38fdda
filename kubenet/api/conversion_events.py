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


def to_events_v1(core: dict) -> dict:
    """Convert_core_Event_To_v1_Event; the output has the fields Go's encoder would always write."""
    out: dict = {"apiVersion": EVENTS_V1_EVENT.api_version, "kind": "Event",
                 "metadata": _copy(core.get("metadata") or {}), "eventTime": None}
    for f in _SHARED:
        if core.get(f) not in (None, ""):
            out[f] = _copy(core[f])
    out["regarding"] = _copy(core.get("involvedObject") or {})
    if core.get("message"):
        out["note"] = core["message"]
    if core.get("reportingComponent"):
        out["reportingController"] = core["reportingComponent"]
    out["deprecatedSource"] = _copy(core.get("source") or {})
    out["deprecatedFirstTimestamp"] = core.get("firstTimestamp")
    out["deprecatedLastTimestamp"] = core.get("lastTimestamp")
    if core.get("count"):
        out["deprecatedCount"] = core["count"]
    return out


def to_core(event: dict) -> dict:
    """Convert_v1_Event_To_core_Event; unknown fields are dropped, as decoding into the Go type does."""
    out: dict = {"apiVersion": CORE_EVENT.api_version, "kind": "Event",
                 "metadata": _copy(event.get("metadata") or {}),
                 "involvedObject": _copy(event.get("regarding") or {})}
    for f in _SHARED:
        if event.get(f) not in (None, ""):
            out[f] = _copy(event[f])
    if event.get("note"):
        out["message"] = event["note"]
    out["source"] = _copy(event.get("deprecatedSource") or {})
    out["firstTimestamp"] = event.get("deprecatedFirstTimestamp")
    out["lastTimestamp"] = event.get("deprecatedLastTimestamp")
    if event.get("deprecatedCount"):
        out["count"] = event["deprecatedCount"]
    out.setdefault("eventTime", None)
    out["reportingComponent"] = event.get("reportingController") or ""
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

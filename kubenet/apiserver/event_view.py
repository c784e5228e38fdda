"""events.k8s.io/v1 Event as a converting view over the core/v1 Event storage.

A real API server keeps one Event storage (/registry/events/...) and serves it in two shapes; the
events.k8s.io REST storage is the core one plus conversion (k8s.io/kubernetes pkg/apis/events/v1
conversion.go). Here every events.k8s.io request is turned into a core/v1 request on the Registry and
its answers are converted back, so both APIs see the same objects with the same resourceVersions.

Validation follows pkg/apis/core/validation/events.go: a write through events.k8s.io/v1 gets the strict
rules (ValidateEventCreate / ValidateEventUpdate for a request version newer than v1beta1). The field
paths in those errors are the internal type's (`reportingController`, `message`, `involvedObject`),
as on a real server.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kubenet.api import errors, validation
from kubenet.api.kinds import Kind, by_kind
from kubenet.api.meta import now_rfc3339
from kubenet.api.patch import update_managed_fields
from kubenet.api.validation_field import FIELD_IMMUTABLE, FieldError, invalid, required
from kubenet.api.validation_meta import (
    is_dns1123_subdomain,
    is_qualified_name,
    name_is_dns_subdomain,
    validate_object_meta,
    validate_object_meta_update,
)
from kubenet.store.base import _copy

if TYPE_CHECKING:
    from kubenet.apiserver.registry import Registry
    from kubenet.apiserver.watch import FilteredWatch

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

REPORTING_INSTANCE_LENGTH_LIMIT = 128
ACTION_LENGTH_LIMIT = 128
REASON_LENGTH_LIMIT = 128
NOTE_LENGTH_LIMIT = 1024


# --- conversion ------------------------------------------------------------------------------------------

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
    """An events.k8s.io/v1 field selector rewritten with the core field labels."""
    if not text:
        return text
    parts = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        m = re.match(r"^([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*)$", part)
        if not m:
            raise errors.bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        label, op, value = m.groups()
        if label not in FIELD_LABELS:
            raise errors.bad_request(f"field label not supported: {label}")
        parts.append(f"{FIELD_LABELS[label]}{op}{value}")
    return ",".join(parts)


# --- validation (pkg/apis/core/validation/events.go, on the core shape) -----------------------------------

def _zero(value):
    """Go's zero values compare equal whether the field is missing, null, "", 0 or an empty struct."""
    if isinstance(value, dict):
        value = {k: _zero(v) for k, v in value.items()}
        value = {k: v for k, v in value.items() if v is not None}
        return value or None
    if isinstance(value, list):
        return [_zero(v) for v in value] or None
    return None if value in (None, "", 0, False) else value


def _legacy_errors(event: dict) -> list[FieldError]:
    """legacyValidateEvent: every Event passes it, whichever version wrote it."""
    errs: list[FieldError] = []
    namespace = (event.get("metadata") or {}).get("namespace") or ""
    involved_ns = (event.get("involvedObject") or {}).get("namespace") or ""
    if not event.get("eventTime"):
        if (not involved_ns and namespace not in ("", "default")) or (involved_ns and namespace != involved_ns):
            errs.append(invalid("involvedObject.namespace", involved_ns, "does not match event.namespace"))
    else:
        if not involved_ns and namespace not in ("default", "kube-system"):
            errs.append(invalid("involvedObject.namespace", involved_ns, "does not match event.namespace"))
        controller = event.get("reportingComponent") or ""
        if not controller:
            errs.append(required("reportingController"))
        errs += [invalid("reportingController", controller, m) for m in is_qualified_name(controller)]
        errs += _required_and_limited(event, "reportingInstance", REPORTING_INSTANCE_LENGTH_LIMIT)
        errs += _required_and_limited(event, "action", ACTION_LENGTH_LIMIT)
        errs += _required_and_limited(event, "reason", REASON_LENGTH_LIMIT)
        if len(event.get("message") or "") > NOTE_LENGTH_LIMIT:
            errs.append(invalid("message", "", f"can have at most {NOTE_LENGTH_LIMIT} characters"))
    errs += [invalid("namespace", namespace, m) for m in is_dns1123_subdomain(namespace)]
    return errs


def _required_and_limited(event: dict, field: str, limit: int) -> list[FieldError]:
    value = event.get(field) or ""
    errs = [] if value else [required(field)]
    if len(value) > limit:
        errs.append(invalid(field, "", f"can have at most {limit} characters"))
    return errs


def _series_errors(event: dict) -> list[FieldError]:
    series = event.get("series")
    if not series:
        return []
    errs = []
    if (series.get("count") or 0) < 2:
        errs.append(invalid("series.count", "", "should be at least 2"))
    if not series.get("lastObservedTime"):
        errs.append(required("series.lastObservedTime"))
    return errs


def validate_create(event: dict) -> list[FieldError]:
    """ValidateEventCreate for requestVersion events.k8s.io/v1 (`event` in core shape)."""
    errs = _legacy_errors(event)
    errs += validate_object_meta(event.get("metadata") or {}, True, name_is_dns_subdomain)
    errs += _series_errors(event)
    if not event.get("eventTime"):
        errs.append(required("eventTime"))
    if event.get("type") not in ("Normal", "Warning"):
        errs.append(invalid("type", "", f"has invalid value: {event.get('type') or ''}"))
    for field in ("firstTimestamp", "lastTimestamp", "count"):
        if event.get(field):
            errs.append(invalid(field, "", "needs to be unset"))
    source = event.get("source") or {}
    if source.get("component") or source.get("host"):
        errs.append(invalid("source", "", "needs to be unset"))
    return errs


# Fields an update through events.k8s.io/v1 may not change, with the internal paths Go reports.
_IMMUTABLE = ("involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count",
              "type", "eventTime", "action", "related", "reportingComponent", "reportingInstance")
_INTERNAL_PATH = {"reportingComponent": "reportingController"}


def validate_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateEventUpdate for requestVersion events.k8s.io/v1 (both objects in core shape)."""
    errs = _legacy_errors(new)
    errs += validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    if _zero(new.get("series")) != _zero(old.get("series")):
        errs += _series_errors(new)
    for field in _IMMUTABLE:
        if _zero(new.get(field)) != _zero(old.get(field)):
            errs.append(invalid(_INTERNAL_PATH.get(field, field), new.get(field), FIELD_IMMUTABLE))
    return errs


def _raise_invalid(name: str, errs: list[FieldError]) -> None:
    # BeforeCreate/BeforeUpdate name the internal kind, which is the core Event for both APIs.
    raise errors.APIError.from_status(validation.invalid_status(CORE_EVENT, name, errs))


def _as_events_error(exc: errors.APIError) -> errors.APIError:
    """Errors of the core storage name the resource the request used (qualifiedResourceFromContext)."""
    details = exc.details or {}
    if details.get("kind") != "events" or "group" in details:
        return exc
    group = EVENTS_V1_EVENT.group
    return errors.APIError(exc.code, exc.reason, exc.message.replace('events "', f'events.{group} "', 1),
                           {**details, "group": group})


# --- the view --------------------------------------------------------------------------------------------

class ConvertingWatch:
    """A core Event watch whose objects come out as events.k8s.io/v1 (same types, same revisions)."""

    def __init__(self, core_watch: FilteredWatch):
        self.core_watch = core_watch

    @property
    def inner(self):
        return self.core_watch.inner

    @property
    def revision(self) -> int:
        return self.core_watch.revision

    async def next(self, timeout: float | None = None) -> tuple[str, dict] | None:
        item = await self.core_watch.next(timeout)
        if item is None:
            return None
        etype, obj = item
        return etype, to_events_v1(obj)

    def close(self) -> None:
        self.core_watch.close()


class EventView:
    """The Registry verbs for events.k8s.io/v1 Event, answered from the core/v1 Event storage."""

    def __init__(self, registry: Registry):
        self.registry = registry

    def get(self, namespace: str | None, name: str) -> dict:
        try:
            return to_events_v1(self.registry.get(CORE_EVENT, namespace, name))
        except errors.APIError as exc:
            raise _as_events_error(exc) from None

    def list(self, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int = 0, continue_token: str | None = None) -> dict:
        listed = self.registry.list(CORE_EVENT, namespace, label_selector, core_field_selector(field_selector),
                                    limit, continue_token)
        return {"kind": "EventList", "apiVersion": EVENTS_V1_EVENT.api_version, "metadata": listed["metadata"],
                "items": [to_events_v1(item) for item in listed["items"]]}

    def watch(self, namespace: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, resource_version: str | None = None) -> ConvertingWatch:
        return ConvertingWatch(self.registry.watch(CORE_EVENT, namespace, label_selector,
                                                   core_field_selector(field_selector), resource_version))

    def create(self, namespace: str | None, obj: dict, dry_run: bool = False,
               field_manager: str | None = None) -> dict:
        event = self._decode(obj)
        if field_manager:
            # managedFields keep the vocabulary and apiVersion of the request that wrote them, as on a real server
            update_managed_fields(None, event, field_manager, "Update", now_rfc3339())
        core = to_core(event)
        meta = core["metadata"]
        if namespace and not meta.get("namespace"):
            meta["namespace"] = namespace
        checked = _copy(core)
        if not meta.get("name") and meta.get("generateName"):
            checked["metadata"]["name"] = meta["generateName"] + "x"  # the registry generates the real suffix
        errs = validate_create(checked)
        if errs:
            _raise_invalid(meta.get("name", ""), errs)
        try:
            created = self.registry.create(CORE_EVENT, namespace, core, dry_run)
        except errors.APIError as exc:
            raise _as_events_error(exc) from None
        return to_events_v1(created)

    def update(self, namespace: str | None, name: str, obj: dict, subresource: str | None = None,
               dry_run: bool = False, field_manager: str | None = None, create_missing: bool = False) -> dict:
        if subresource:
            raise errors.resource_not_found()  # events have no subresources
        event = self._decode(obj)
        try:
            old = self.registry.get(CORE_EVENT, namespace, name)
        except errors.APIError as exc:
            if exc.code == 404 and create_missing:
                event["metadata"].setdefault("name", name)
                return self.create(namespace, event, dry_run, field_manager)
            raise _as_events_error(exc) from None
        if field_manager:
            update_managed_fields(to_events_v1(old), event, field_manager, "Update", now_rfc3339())
        core = to_core(event)
        checked = _copy(core)
        checked["metadata"].setdefault("name", name)
        checked["metadata"].setdefault("namespace", old["metadata"].get("namespace"))
        errs = validate_update(checked, old)
        if errs:
            _raise_invalid(name, errs)
        try:
            updated = self.registry.update(CORE_EVENT, namespace, name, core, None, dry_run)
        except errors.APIError as exc:
            raise _as_events_error(exc) from None
        return to_events_v1(updated)

    def delete(self, namespace: str | None, name: str, options: dict | None = None, dry_run: bool = False) -> dict:
        try:
            gone = self.registry.delete(CORE_EVENT, namespace, name, options, dry_run)
        except errors.APIError as exc:
            raise _as_events_error(exc) from None
        if gone.get("kind") == "Status":
            gone["details"]["group"] = EVENTS_V1_EVENT.group
            return gone
        return to_events_v1(gone)

    @staticmethod
    def _decode(obj: dict) -> dict:
        """The type checks Registry._type_meta makes, against the events.k8s.io/v1 kind."""
        if not isinstance(obj, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        event = _copy(obj)
        api_version, kind_name = event.get("apiVersion"), event.get("kind")
        expected = EVENTS_V1_EVENT.api_version
        if api_version and api_version != expected:
            raise errors.bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                                     f"version ({expected})")
        if kind_name and kind_name != "Event":
            raise errors.bad_request(f"the kind in the data ({kind_name}) does not match the expected kind (Event)")
        if not isinstance(event.setdefault("metadata", {}), dict):
            raise errors.bad_request("metadata must be an object")
        event["apiVersion"], event["kind"] = expected, "Event"
        return event

"""Validation of a write through events.k8s.io/v1 (pkg/apis/core/validation/events.go), on the core shape.

A write through events.k8s.io/v1 gets the strict rules (ValidateEventCreate / ValidateEventUpdate for a request
version newer than v1beta1); one through core/v1 only the ObjectMeta checks every kind has. The object is
validated in the core (internal) shape, so the field paths in the errors are the internal type's
(`reportingController`, `message`, `involvedObject`), as on a real server.
"""
from __future__ import annotations

from kubenet.api.validation_field import FIELD_IMMUTABLE, FieldError, invalid, required
from kubenet.api.validation_meta import (
    is_dns1123_subdomain,
    is_qualified_name,
    name_is_dns_subdomain,
    validate_object_meta,
    validate_object_meta_update,
)

REPORTING_INSTANCE_LENGTH_LIMIT = 128
ACTION_LENGTH_LIMIT = 128
REASON_LENGTH_LIMIT = 128
NOTE_LENGTH_LIMIT = 1024


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


def validate_events_v1(event: dict, old: dict | None) -> list[FieldError]:
    """A create (old is None) or an update through events.k8s.io/v1; both objects in the core shape."""
    return validate_create(event) if old is None else validate_update(event, old)

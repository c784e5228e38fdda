"""events.k8s.io/v1 Event: a storage with no objects of its own, converting to and from the core/v1 Event storage.

A real API server keeps one Event storage (/registry/events/...) and serves it in two shapes; the events.k8s.io
REST storage is the core one plus conversion (`kubenet.api.conversion_events`). Here every events.k8s.io verb
becomes a verb of the core Event storage and its answers are converted back, so both APIs see the same objects
with the same resourceVersions. A write through events.k8s.io/v1 gets the strict validation of that request
version (`kubenet.api.validation_events`) before the core storage's own.
"""
from __future__ import annotations

from kubenet.api import errors, validation
from kubenet.api.conversion_events import CORE_EVENT, EVENTS_V1_EVENT, core_field_selector, to_core, to_events_v1
from kubenet.api.kinds import Kind
from kubenet.api.meta import now_rfc3339
from kubenet.api.patch import update_managed_fields
from kubenet.api.selectors import SelectorError
from kubenet.api.validation_field import FieldError
from kubenet.apiserver.storage.generic import GenericStore, type_meta
from kubenet.apiserver.watch import FilteredWatch
from kubenet.store.base import _copy


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


def _field_selector(text: str | None) -> str | None:
    try:
        return core_field_selector(text)
    except SelectorError as exc:
        raise errors.bad_request(str(exc)) from None


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


class EventsV1Storage:
    """The storage verbs for events.k8s.io/v1 Event, answered from the core/v1 Event storage."""

    def __init__(self, kind: Kind, core: GenericStore):
        self.kind = kind
        self.core = core

    def get(self, namespace: str | None, name: str) -> dict:
        try:
            return to_events_v1(self.core.get(namespace, name))
        except errors.APIError as exc:
            raise _as_events_error(exc) from None

    def list(self, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int = 0, continue_token: str | None = None) -> dict:
        listed = self.core.list(namespace, label_selector, _field_selector(field_selector), limit, continue_token)
        return {"kind": "EventList", "apiVersion": self.kind.api_version, "metadata": listed["metadata"],
                "items": [to_events_v1(item) for item in listed["items"]]}

    def watch(self, namespace: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, resource_version: str | None = None) -> ConvertingWatch:
        return ConvertingWatch(self.core.watch(namespace, label_selector, _field_selector(field_selector),
                                               resource_version))

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
            checked["metadata"]["name"] = meta["generateName"] + "x"  # the core storage generates the real suffix
        errs = validation.validate(self.kind, checked)
        if errs:
            _raise_invalid(meta.get("name", ""), errs)
        try:
            created = self.core.create(namespace, core, dry_run)
        except errors.APIError as exc:
            raise _as_events_error(exc) from None
        return to_events_v1(created)

    def update(self, namespace: str | None, name: str, obj: dict, subresource: str | None = None,
               dry_run: bool = False, field_manager: str | None = None, create_missing: bool = False) -> dict:
        if subresource:
            raise errors.resource_not_found()  # events have no subresources
        event = self._decode(obj)
        try:
            old = self.core.get(namespace, name)
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
        errs = validation.validate(self.kind, checked, old)
        if errs:
            _raise_invalid(name, errs)
        try:
            updated = self.core.update(namespace, name, core, None, dry_run)
        except errors.APIError as exc:
            raise _as_events_error(exc) from None
        return to_events_v1(updated)

    def delete_object(self, namespace: str | None, name: str, options: dict | None = None,
                      dry_run: bool = False) -> tuple[dict, bool]:
        try:
            answer, deleted = self.core.delete_object(namespace, name, options, dry_run)
        except errors.APIError as exc:
            raise _as_events_error(exc) from None
        return self._answer(answer), deleted

    def finalize_delete(self, gone: dict) -> dict:
        return self._answer(self.core.finalize_delete(gone))

    def _answer(self, answer: dict) -> dict:
        """A Status from the core storage names the events.k8s.io resource; an object is converted."""
        if answer.get("kind") == "Status":
            answer["details"]["group"] = self.kind.group
            return answer
        return to_events_v1(answer)

    def _decode(self, obj: dict) -> dict:
        """The type checks of any write, against the events.k8s.io/v1 kind, on a copy."""
        if not isinstance(obj, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        event = _copy(obj)
        type_meta(self.kind, event)
        return event

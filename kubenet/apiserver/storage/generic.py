"""The generic REST storage of one kind over a Store (k8s.io/apiserver pkg/registry/generic/registry.Store).

Order of a write, as in the real apiserver: decode → defaulting → admission → strategy → validation →
allocation → store. Anything that fails raises an APIError before the store is touched, so a failed
request writes nothing. What is special about a kind is its `Strategy` (and, for the few kinds that need the
store or allocations, a subclass overriding `admit`, `allocate` and `after_delete`).
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol

from kubenet.api import defaults, errors, validation
from kubenet.api.kinds import Kind
from kubenet.api.meta import now_rfc3339
from kubenet.api.patch import update_managed_fields
from kubenet.api.selectors import SelectorError, matches, parse_field_selector, parse_label_selector
from kubenet.api.validation import FieldError
from kubenet.apiserver import sa_admission
from kubenet.apiserver.storage.strategy import Strategy
from kubenet.apiserver.watch import FilteredWatch
from kubenet.store import AlreadyExists, Conflict, Gone, NotFound, Store, object_key, prefix_key
from kubenet.store.base import Watcher, _copy, decode_continue

GENERATE_NAME_RETRIES = 7  # generateNameMaxRetries upstream: 8 names in all


class Watch(Protocol):
    """What a watch verb answers (FilteredWatch, or a converting one over it): events after a revision."""

    inner: Watcher
    revision: int

    async def next(self, timeout: float | None = None) -> tuple[str, dict] | None: ...

    def close(self) -> None: ...


class Storage(Protocol):
    """The verbs the Registry hands a kind's storage (GenericStore, or a view such as events.k8s.io's)."""

    kind: Kind

    def get(self, namespace: str | None, name: str) -> dict: ...

    def list(self, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int = 0, continue_token: str | None = None) -> dict: ...

    def watch(self, namespace: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, resource_version: str | None = None) -> Watch: ...

    def create(self, namespace: str | None, obj: dict, dry_run: bool = False,
               field_manager: str | None = None) -> dict: ...

    def update(self, namespace: str | None, name: str, obj: dict, subresource: str | None = None,
               dry_run: bool = False, field_manager: str | None = None, create_missing: bool = False) -> dict: ...

    def delete_object(self, namespace: str | None, name: str, options: dict | None = None,
                      dry_run: bool = False) -> tuple[dict, bool]: ...

    def finalize_delete(self, gone: dict) -> dict: ...


def type_meta(kind: Kind, obj: dict) -> None:
    """The decoded body is of `kind` (apiVersion/kind may be left out, not wrong) and has an object for metadata."""
    if not isinstance(obj, dict):
        raise errors.bad_request("the body of the request was in an unknown format")
    api_version, k = obj.get("apiVersion"), obj.get("kind")
    if (api_version and api_version != kind.api_version) or (k and k != kind.kind):
        raise errors.bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                                 f"version ({kind.api_version})" if api_version != kind.api_version else
                                 f"the kind in the data ({k}) does not match the expected kind ({kind.kind})")
    obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
    if not isinstance(obj.setdefault("metadata", {}), dict):
        raise errors.bad_request("metadata must be an object")


class GenericStore:
    def __init__(self, kind: Kind, store: Store, strategy: Strategy):
        self.kind = kind
        self.store = store
        self.strategy = strategy

    # --- hooks of kinds whose storage does more than the strategy -------------------------------------
    def admit(self, obj: dict, admitted_as: str) -> None:
        """Mutating admission of a create, after defaulting (`admitted_as`: the name before generateName)."""

    def allocate(self, new: dict, old: dict | None, dry_run: bool) -> list[FieldError]:
        """Allocate what the object needs (old is None on create); field errors if it cannot be."""
        return []

    def after_delete(self, gone: dict) -> None:
        """Release what the removed object held."""

    def field_errors(self, obj: dict, old: dict | None) -> list[FieldError]:
        """The kind's validation (kubenet.api.validation), with what this storage knows that it needs."""
        return validation.validate(self.kind, obj, old)

    # --- helpers -------------------------------------------------------------------------------------
    def key(self, namespace: str | None, name: str) -> str:
        return object_key(self.kind.group, self.kind.plural, namespace if self.kind.namespaced else "", name)

    def check_namespace(self, namespace: str | None, name: str) -> None:
        if not self.kind.namespaced:
            return
        if not namespace:
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the "
                                     "request")
        try:
            ns = self.store.get(object_key("", "namespaces", "", namespace))
        except NotFound:
            raise errors.namespace_not_found(namespace) from None
        if ns.get("metadata", {}).get("deletionTimestamp") or ns.get("status", {}).get("phase") == "Terminating":
            raise errors.forbidden_namespace_terminating(self.kind, name, namespace)

    def _invalid(self, name: str, errs: list[FieldError]) -> errors.APIError:
        return errors.APIError.from_status(validation.invalid_status(self.kind, name, errs))

    def _validate(self, obj: dict, old: dict | None = None) -> None:
        errs = self.field_errors(obj, old)
        if errs:
            raise self._invalid(obj.get("metadata", {}).get("name", ""), errs)

    # --- reads ---------------------------------------------------------------------------------------
    def get(self, namespace: str | None, name: str) -> dict:
        try:
            return self.store.get(self.key(namespace, name))
        except NotFound:
            raise errors.not_found(self.kind, name) from None

    def _predicate(self, label_selector: str | None, field_selector: str | None):
        try:
            labels = parse_label_selector(label_selector)
            fields = parse_field_selector(field_selector, self.kind.kind)
        except SelectorError as exc:
            raise errors.bad_request(str(exc)) from None
        if not labels and fields is None:
            return None

        def predicate(obj: dict) -> bool:
            return matches(labels, obj.get("metadata", {}).get("labels")) and (fields is None or fields(obj))
        return predicate

    def _prefix(self, namespace: str | None) -> str:
        return prefix_key(self.kind.group, self.kind.plural, namespace if self.kind.namespaced else None)

    def list(self, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int = 0, continue_token: str | None = None) -> dict:
        predicate = self._predicate(label_selector, field_selector)
        if continue_token:
            try:
                decode_continue(continue_token)
            except ValueError as exc:
                raise errors.bad_request(str(exc)) from None
        items, rev, token = self.store.list(self._prefix(namespace), predicate, limit, continue_token)
        meta: dict = {"resourceVersion": str(rev)}
        if token:
            meta["continue"] = token
        return {"kind": f"{self.kind.kind}List", "apiVersion": self.kind.api_version, "metadata": meta,
                "items": items}

    def watch(self, namespace: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, resource_version: str | None = None) -> FilteredWatch:
        predicate = self._predicate(label_selector, field_selector)
        prefix = self._prefix(namespace)
        initial: list[dict] = []
        if resource_version in (None, "", "0"):
            initial, rev, _ = self.store.list(prefix, predicate)
        else:
            try:
                rev = int(resource_version)
            except ValueError:
                raise errors.bad_request(f'invalid resource version "{resource_version}"') from None
        try:
            inner = self.store.watch(prefix, rev)
        except Gone as exc:
            raise errors.gone(str(exc)) from None
        return FilteredWatch(inner, predicate, initial, rev)

    # --- create --------------------------------------------------------------------------------------
    def create(self, namespace: str | None, obj: dict, dry_run: bool = False,
               field_manager: str | None = None) -> dict:
        kind = self.kind
        obj = _copy(obj)
        type_meta(kind, obj)
        meta = obj["metadata"]
        if kind.namespaced:
            if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent on "
                                         "the request")
            meta["namespace"] = namespace or meta.get("namespace")
        else:
            meta.pop("namespace", None)
        admitted_as = meta.get("name") or meta.get("generateName") or "Unknown"  # admission runs before naming
        generated = not meta.get("name") and bool(meta.get("generateName"))
        if generated:
            meta["name"] = meta["generateName"] + sa_admission.name_suffix()  # names.SimpleNameGenerator
        name = meta.get("name", "")
        for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(f, None)
        meta.pop("resourceVersion", None)
        meta["uid"] = str(uuid.uuid4())  # before defaulting: a Job's generated selector uses it
        meta["creationTimestamp"] = now_rfc3339()
        defaults.apply_defaults(kind, obj)
        self.admit(obj, admitted_as)
        self.strategy.prepare_for_create(obj)
        self._validate(obj)
        if name:
            self.check_namespace(meta.get("namespace"), name)
        if field_manager:
            _record_manager(None, obj, field_manager, "Update")
        key = self.key(meta.get("namespace"), name)
        for _ in range(GENERATE_NAME_RETRIES):  # RetryGenerateName (1.32): a generated name that clashes is redrawn
            if not generated or self.store._read(key) is None:
                break
            name = meta["name"] = meta["generateName"] + sa_admission.name_suffix()
            key = self.key(meta.get("namespace"), name)
        if self.store._read(key) is not None:
            raise errors.already_exists(kind, name)
        errs = self.allocate(obj, None, dry_run)
        if errs:
            raise self._invalid(name, errs)
        if dry_run:
            return obj
        try:
            return self.store.create(key, obj)
        except AlreadyExists:
            raise errors.already_exists(kind, name) from None

    # --- update --------------------------------------------------------------------------------------
    def update(self, namespace: str | None, name: str, obj: dict, subresource: str | None = None,
               dry_run: bool = False, field_manager: str | None = None, create_missing: bool = False) -> dict:
        kind = self.kind
        obj = _copy(obj)
        type_meta(kind, obj)
        meta = obj["metadata"]
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request(f'the name of the object ({meta["name"]}) does not match the name on the URL '
                                     f'({name})')
        meta["name"] = name
        try:
            old = self.store.get(self.key(namespace, name))
        except NotFound:
            if create_missing and not subresource:
                return self.create(namespace, obj, dry_run, field_manager)
            raise errors.not_found(kind, name) from None
        expected_rv = meta.get("resourceVersion")
        if expected_rv and expected_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(kind, name)
        if subresource == "status":
            new = self.strategy.prepare_for_status_update(obj, old)
        else:
            # Identity and bookkeeping fields are the server's.
            for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
                if f in old["metadata"]:
                    meta[f] = old["metadata"][f]
                else:
                    meta.pop(f, None)
            if kind.namespaced:
                meta["namespace"] = old["metadata"].get("namespace")
            self.strategy.begin_update(obj, old)
            defaults.apply_defaults(kind, obj)
            self.strategy.prepare_for_update(obj, old)
            new = obj
        if "managedFields" not in new["metadata"] and old["metadata"].get("managedFields"):
            new["metadata"]["managedFields"] = old["metadata"]["managedFields"]
        self._validate(new, old)
        if subresource != "status":
            errs = self.allocate(new, old, dry_run)
            if errs:
                raise self._invalid(name, errs)
        if field_manager:
            _record_manager(old, new, field_manager, "Update", subresource or "")
        if dry_run:
            return new
        if self.strategy.ready_to_delete(new):
            return self._remove(new)
        try:
            return self.store.update(self.key(namespace, name), new, old["metadata"]["resourceVersion"])
        except Conflict:
            raise errors.conflict(kind, name) from None

    # --- delete --------------------------------------------------------------------------------------
    def delete_object(self, namespace: str | None, name: str, options: dict | None = None,
                      dry_run: bool = False) -> tuple[dict, bool]:
        """The DELETE answer and whether the object is gone (generic registry Store.Delete).

        Gone: the deleted object for kinds whose strategy sets return_deleted_object, else a Success Status.
        Still held by finalizers or a grace period: the object as now stored, with its deletionTimestamp."""
        kind, strategy = self.kind, self.strategy
        options = options or {}
        obj = self.get(namespace, name)
        stored = _copy(obj)
        meta = obj["metadata"]
        pre = options.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != meta.get("uid"):
            raise errors.conflict(kind, name, f"Precondition failed: UID in precondition: {pre['uid']}, UID in "
                                              f"object meta: {meta.get('uid')}")
        if pre.get("resourceVersion") and pre["resourceVersion"] != meta.get("resourceVersion"):
            raise errors.conflict(kind, name, f"Precondition failed: ResourceVersion in precondition: "
                                              f"{pre['resourceVersion']}, ResourceVersion in object meta: "
                                              f"{meta.get('resourceVersion')}")
        policy = options.get("propagationPolicy")
        if options.get("orphanDependents") is True:
            policy = "Orphan"
        elif options.get("orphanDependents") is False:
            policy = "Foreground"
        finalizers = list(meta.get("finalizers") or [])
        if policy == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        elif policy == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        grace = strategy.grace_period(obj, options.get("gracePeriodSeconds"))
        strategy.begin_delete(obj)
        if not (grace > 0 or finalizers or strategy.held(obj)):
            strategy.mark_deleted_now(meta)
            if dry_run:
                return self.finalize_delete(obj), True
            return self._remove(obj, answer=True), True
        if not meta.get("deletionTimestamp") or (grace < (meta.get("deletionGracePeriodSeconds") or 0)):
            deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=grace)
            meta["deletionTimestamp"] = deadline.strftime("%Y-%m-%dT%H:%M:%SZ")
            meta["deletionGracePeriodSeconds"] = grace
        meta["finalizers"] = finalizers
        if not finalizers:
            meta.pop("finalizers")
        if dry_run or obj == stored:  # a DELETE repeated on an object still held changes nothing: no write, no
            return obj, False         # new resourceVersion (etcd3 GuaranteedUpdate skips a no-op update)
        return self.store.update(self.key(namespace, name), obj, meta["resourceVersion"]), False

    def _remove(self, obj: dict, answer: bool = False) -> dict:
        meta = obj["metadata"]
        try:
            gone = self.store.delete(self.key(meta.get("namespace"), meta["name"]))
        except NotFound:
            raise errors.not_found(self.kind, meta["name"]) from None
        self.after_delete(gone)
        if not answer:
            return gone
        # The final state the delete wrote before removing it (a Pod's deletionTimestamp at grace 0).
        for f in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            if f in meta:
                gone["metadata"][f] = meta[f]
        return self.finalize_delete(gone)

    def finalize_delete(self, gone: dict) -> dict:
        """Store.finalizeDelete: the object itself where the storage sets ReturnDeletedObject, else a Success
        Status whose details name the object (details.kind is the resource, as upstream sets it)."""
        if self.strategy.return_deleted_object:
            return gone
        meta = gone["metadata"]
        details = {"name": meta["name"], "kind": self.kind.plural, "uid": meta.get("uid")}
        if self.kind.group:
            details["group"] = self.kind.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def _record_manager(old: dict | None, new: dict, manager: str, operation: str, subresource: str = "") -> None:
    update_managed_fields(old, new, manager, operation, now_rfc3339(), subresource)

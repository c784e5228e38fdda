"""The resource registry: Kubernetes' REST semantics over a Store, shared by the HTTP server and LocalClient.

Order of a write, as in the real apiserver: decode → defaulting → admission → strategy → validation →
allocation → store. Anything that fails raises an APIError before the store is touched, so a failed
request writes nothing.
"""
from __future__ import annotations

import datetime as dt
import uuid

from kubenet.api import defaults, errors, validation
from kubenet.api.kinds import Kind
from kubenet.api.meta import now_rfc3339
from kubenet.api.patch import update_managed_fields
from kubenet.api.selectors import SelectorError, matches, parse_field_selector, parse_label_selector
from kubenet.apiserver import sa_admission, service_update, strategies
from kubenet.apiserver.event_view import EVENTS_V1_EVENT, EventView
from kubenet.apiserver.watch import FilteredWatch
from kubenet.store import AlreadyExists, Conflict, Gone, NotFound, Store, object_key, prefix_key
from kubenet.store.base import _copy, decode_continue

GENERATE_NAME_RETRIES = 7  # generateNameMaxRetries upstream: 8 names in all


class Registry:
    def __init__(self, store: Store, service_cidr: str = "10.96.0.0/12", node_port_range: str = "30000-32767",
                 dns_ip: str = "10.96.0.10"):
        self.store = store
        self.services = strategies.ServiceAllocations(service_cidr, node_port_range, dns_ip)
        items, _, _ = store.list(prefix_key("", "services"))
        self.services.load(items)
        # events.k8s.io/v1 Event has no storage of its own: each verb below hands it to this view over core Events.
        self.event_view = EventView(self)

    # --- helpers -------------------------------------------------------------------------------------
    def key(self, kind: Kind, namespace: str | None, name: str) -> str:
        return object_key(kind.group, kind.plural, namespace if kind.namespaced else "", name)

    def _check_namespace(self, kind: Kind, namespace: str | None, name: str) -> None:
        if not kind.namespaced:
            return
        if not namespace:
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the "
                                     "request")
        try:
            ns = self.store.get(object_key("", "namespaces", "", namespace))
        except NotFound:
            raise errors.namespace_not_found(namespace) from None
        if ns.get("metadata", {}).get("deletionTimestamp") or ns.get("status", {}).get("phase") == "Terminating":
            raise errors.forbidden_namespace_terminating(kind, name, namespace)

    def _service_account(self, namespace: str | None, pod_spec: dict) -> dict | None:
        """The Pod's ServiceAccount, if it exists yet (the admission plugin reads it for automount)."""
        name = pod_spec.get("serviceAccountName") or "default"
        return self.store._read(object_key("", "serviceaccounts", namespace or "", name))

    def _validate(self, kind: Kind, obj: dict, old: dict | None = None) -> None:
        errs = validation.validate(kind, obj, old, (self.services.ports.low, self.services.ports.high))
        if errs:
            raise errors.APIError.from_status(
                validation.invalid_status(kind, obj.get("metadata", {}).get("name", ""), errs))

    def _type_meta(self, kind: Kind, obj: dict) -> None:
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

    # --- reads ---------------------------------------------------------------------------------------
    def get(self, kind: Kind, namespace: str | None, name: str) -> dict:
        if kind == EVENTS_V1_EVENT:  # event view
            return self.event_view.get(namespace, name)
        try:
            return self.store.get(self.key(kind, namespace, name))
        except NotFound:
            raise errors.not_found(kind, name) from None

    def _predicate(self, kind: Kind, label_selector: str | None, field_selector: str | None):
        try:
            labels = parse_label_selector(label_selector)
            fields = parse_field_selector(field_selector, kind.kind)
        except SelectorError as exc:
            raise errors.bad_request(str(exc)) from None
        if not labels and fields is None:
            return None

        def predicate(obj: dict) -> bool:
            return matches(labels, obj.get("metadata", {}).get("labels")) and (fields is None or fields(obj))
        return predicate

    def list(self, kind: Kind, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int = 0, continue_token: str | None = None) -> dict:
        if kind == EVENTS_V1_EVENT:  # event view
            return self.event_view.list(namespace, label_selector, field_selector, limit, continue_token)
        predicate = self._predicate(kind, label_selector, field_selector)
        if continue_token:
            try:
                decode_continue(continue_token)
            except ValueError as exc:
                raise errors.bad_request(str(exc)) from None
        prefix = prefix_key(kind.group, kind.plural, namespace if kind.namespaced else None)
        items, rev, token = self.store.list(prefix, predicate, limit, continue_token)
        meta: dict = {"resourceVersion": str(rev)}
        if token:
            meta["continue"] = token
        return {"kind": f"{kind.kind}List", "apiVersion": kind.api_version, "metadata": meta, "items": items}

    def watch(self, kind: Kind, namespace: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, resource_version: str | None = None) -> FilteredWatch:
        if kind == EVENTS_V1_EVENT:  # event view
            return self.event_view.watch(namespace, label_selector, field_selector, resource_version)
        predicate = self._predicate(kind, label_selector, field_selector)
        prefix = prefix_key(kind.group, kind.plural, namespace if kind.namespaced else None)
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
    def create(self, kind: Kind, namespace: str | None, obj: dict, dry_run: bool = False,
               field_manager: str | None = None) -> dict:
        if kind == EVENTS_V1_EVENT:  # event view
            return self.event_view.create(namespace, obj, dry_run, field_manager)
        obj = _copy(obj)
        self._type_meta(kind, obj)
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
        if kind.kind == "Pod":
            defaults.default_tolerations(obj)  # the DefaultTolerationSeconds admission plugin
            account = self._service_account(meta.get("namespace"), obj["spec"])
            if account is None and obj["spec"].get("serviceAccountName", "default") != "default":
                self._check_namespace(kind, meta.get("namespace"), admitted_as)  # NamespaceLifecycle comes first
                raise sa_admission.missing_service_account(admitted_as, meta.get("namespace"),
                                                           obj["spec"]["serviceAccountName"])
            sa_admission.admit_pod(obj, account)
        strategies.prepare_create(kind.kind, obj)
        self._validate(kind, obj)
        if name:
            self._check_namespace(kind, meta.get("namespace"), name)
        if field_manager:
            _record_manager(None, obj, field_manager, "Update")
        key = self.key(kind, meta.get("namespace"), name)
        for _ in range(GENERATE_NAME_RETRIES):  # RetryGenerateName (1.32): a generated name that clashes is redrawn
            if not generated or self.store._read(key) is None:
                break
            name = meta["name"] = meta["generateName"] + sa_admission.name_suffix()
            key = self.key(kind, meta.get("namespace"), name)
        if self.store._read(key) is not None:
            raise errors.already_exists(kind, name)
        if kind.kind == "Service":
            errs = self.services.allocate(obj, None, dry_run)
            if errs:
                raise errors.APIError.from_status(validation.invalid_status(kind, name, errs))
        if dry_run:
            return obj
        try:
            return self.store.create(key, obj)
        except AlreadyExists:
            raise errors.already_exists(kind, name) from None

    # --- update --------------------------------------------------------------------------------------
    def update(self, kind: Kind, namespace: str | None, name: str, obj: dict, subresource: str | None = None,
               dry_run: bool = False, field_manager: str | None = None, create_missing: bool = False) -> dict:
        if kind == EVENTS_V1_EVENT:  # event view
            return self.event_view.update(namespace, name, obj, subresource, dry_run, field_manager, create_missing)
        obj = _copy(obj)
        self._type_meta(kind, obj)
        meta = obj["metadata"]
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request(f'the name of the object ({meta["name"]}) does not match the name on the URL '
                                     f'({name})')
        meta["name"] = name
        try:
            old = self.store.get(self.key(kind, namespace, name))
        except NotFound:
            if create_missing and not subresource:
                return self.create(kind, namespace, obj, dry_run, field_manager)
            raise errors.not_found(kind, name) from None
        expected_rv = meta.get("resourceVersion")
        if expected_rv and expected_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(kind, name)
        if subresource == "status":
            new = strategies.prepare_status_update(obj, old)
        else:
            # Identity and bookkeeping fields are the server's.
            for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
                if f in old["metadata"]:
                    meta[f] = old["metadata"][f]
                else:
                    meta.pop(f, None)
            if kind.namespaced:
                meta["namespace"] = old["metadata"].get("namespace")
            if kind.kind == "Service":
                service_update.prepare_service_update(obj, old)
            defaults.apply_defaults(kind, obj)
            strategies.prepare_update(kind.kind, obj, old, kind.has_status)
            if kind.kind == "Service":
                service_update.drop_type_dependent_fields(obj["spec"], old.get("spec") or {})
            new = obj
        if "managedFields" not in new["metadata"] and old["metadata"].get("managedFields"):
            new["metadata"]["managedFields"] = old["metadata"]["managedFields"]
        self._validate(kind, new, old)
        if kind.kind == "Service" and subresource != "status":
            errs = self.services.allocate(new, old, dry_run)
            if errs:
                raise errors.APIError.from_status(validation.invalid_status(kind, name, errs))
        if field_manager:
            _record_manager(old, new, field_manager, "Update", subresource or "")
        if dry_run:
            return new
        if _ready_to_delete(kind, new):
            return self._remove(kind, new)
        try:
            return self.store.update(self.key(kind, namespace, name), new, old["metadata"]["resourceVersion"])
        except Conflict:
            raise errors.conflict(kind, name) from None

    # --- delete --------------------------------------------------------------------------------------
    def delete(self, kind: Kind, namespace: str | None, name: str, options: dict | None = None,
               dry_run: bool = False) -> dict:
        return self.delete_object(kind, namespace, name, options, dry_run)[0]

    def delete_object(self, kind: Kind, namespace: str | None, name: str, options: dict | None = None,
                      dry_run: bool = False) -> tuple[dict, bool]:
        """The DELETE answer and whether the object is gone (generic registry Store.Delete).

        Gone: the deleted object for kinds whose storage sets ReturnDeletedObject, else a Success Status.
        Still held by finalizers or a grace period: the object as now stored, with its deletionTimestamp."""
        if kind == EVENTS_V1_EVENT:  # event view
            return self.event_view.delete(namespace, name, options, dry_run), True
        options = options or {}
        obj = self.get(kind, namespace, name)
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
        grace = self._grace_period(kind, obj, options.get("gracePeriodSeconds"))
        if kind.kind == "Namespace":
            obj.setdefault("status", {})["phase"] = "Terminating"
        graceful = grace > 0 or bool(finalizers) or (kind.kind == "Namespace" and obj["spec"].get("finalizers"))
        if not graceful:
            if kind.kind == "Pod":
                # The pod strategy always deletes gracefully, with a period of 0 here: the object is marked
                # (deletionTimestamp now, grace 0) and then removed, so that is the object answered.
                if meta.get("deletionGracePeriodSeconds") != 0:
                    meta["deletionTimestamp"] = now_rfc3339()
                meta["deletionGracePeriodSeconds"] = 0
            if dry_run:
                return self._finalize_delete(kind, obj), True
            return self._remove(kind, obj, status=True), True
        if not meta.get("deletionTimestamp") or (grace < (meta.get("deletionGracePeriodSeconds") or 0)):
            deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=grace)
            meta["deletionTimestamp"] = deadline.strftime("%Y-%m-%dT%H:%M:%SZ")
            meta["deletionGracePeriodSeconds"] = grace
        meta["finalizers"] = finalizers
        if not finalizers:
            meta.pop("finalizers")
        if dry_run or obj == stored:  # a DELETE repeated on an object still held changes nothing: no write, no
            return obj, False         # new resourceVersion (etcd3 GuaranteedUpdate skips a no-op update)
        return self.store.update(self.key(kind, namespace, name), obj, meta["resourceVersion"]), False

    def _grace_period(self, kind: Kind, obj: dict, requested) -> int:
        if kind.kind != "Pod":
            return 0
        if not obj["spec"].get("nodeName") or obj.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            return 0  # unscheduled or terminal Pods go at once (pod strategy CheckGracefulDelete)
        if requested is not None:
            return max(0, int(requested))
        return int(obj["spec"].get("terminationGracePeriodSeconds", 30))

    def _remove(self, kind: Kind, obj: dict, status: bool = False) -> dict:
        meta = obj["metadata"]
        try:
            gone = self.store.delete(self.key(kind, meta.get("namespace"), meta["name"]))
        except NotFound:
            raise errors.not_found(kind, meta["name"]) from None
        if kind.kind == "Service":
            self.services.release_unused(gone, None)
        if not status:
            return gone
        if kind.kind == "Pod":  # the final state the delete wrote before removing it
            for f in ("deletionTimestamp", "deletionGracePeriodSeconds"):
                gone["metadata"][f] = meta[f]
        return self._finalize_delete(kind, gone)

    @staticmethod
    def _finalize_delete(kind: Kind, gone: dict) -> dict:
        """Store.finalizeDelete: the object itself where the storage sets ReturnDeletedObject, else a Success
        Status whose details name the object (details.kind is the resource, as upstream sets it)."""
        if kind.kind in strategies.RETURN_DELETED_OBJECT:
            return gone
        meta = gone["metadata"]
        details = {"name": meta["name"], "kind": kind.plural, "uid": meta.get("uid")}
        if kind.group:
            details["group"] = kind.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    def delete_collection(self, kind: Kind, namespace: str | None, label_selector: str | None = None,
                          field_selector: str | None = None, options: dict | None = None,
                          dry_run: bool = False) -> dict:
        listed = self.list(kind, namespace, label_selector, field_selector)
        for item in listed["items"]:
            try:
                self.delete(kind, item["metadata"].get("namespace"), item["metadata"]["name"], options, dry_run)
            except errors.APIError as exc:
                if exc.code != 404:
                    raise
        return listed


def _ready_to_delete(kind: Kind, obj: dict) -> bool:
    """An object being deleted goes once its last finalizer is removed (Pods: once their grace is over)."""
    meta = obj["metadata"]
    if not meta.get("deletionTimestamp") or meta.get("finalizers"):
        return False
    if kind.kind == "Namespace":
        return not obj.get("spec", {}).get("finalizers")
    if kind.kind == "Pod":
        return meta.get("deletionGracePeriodSeconds", 0) == 0
    return True


def _record_manager(old: dict | None, new: dict, manager: str, operation: str, subresource: str = "") -> None:
    update_managed_fields(old, new, manager, operation, now_rfc3339(), subresource)


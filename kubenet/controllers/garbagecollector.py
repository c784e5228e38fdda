"""Garbage collector (pkg/controller/garbagecollector): ownerReferences decide what goes when an owner goes.

- Background: the owner is gone at once; each dependent whose owners are all gone is deleted after it.
- Foreground: the owner stays (deletionTimestamp + finalizer `foregroundDeletion`) until every dependent
  with `blockOwnerDeletion: true` is gone; then the finalizer is removed and the owner goes.
- Orphan: the owner carries the finalizer `orphan`; its dependents lose their ownerReference to it, then
  the finalizer is removed.
An owner is only declared absent after a live GET (the cache may simply not have seen it yet), and an
ownerReference to a kind kubenet does not serve is left alone.
"""
from __future__ import annotations

import copy
import logging

from kubenet.api.errors import APIError
from kubenet.api.kinds import by_kind
from kubenet.client.base import object_key
from kubenet.controllers.base import Controller, Informers

log = logging.getLogger(__name__)

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
# Kinds that own or are owned in a kubenet cluster (events are never owned; leases' owners are nodes).
WATCHED = ["pods", "services", "configmaps", "secrets", "replicationcontrollers", "replicasets.apps",
           "deployments.apps", "statefulsets.apps", "daemonsets.apps", "controllerrevisions.apps", "jobs.batch",
           "cronjobs.batch", "endpointslices.discovery.k8s.io"]


class GarbageCollector(Controller):
    name = "garbagecollector"
    workers = 4

    def __init__(self, client, informers: Informers):
        super().__init__(client, informers)
        self.watched = {r: informers.get(r) for r in WATCHED}
        self._node_of_uid: dict[str, str] = {}  # uid -> queue key
        self._dependents: dict[str, set[str]] = {}  # owner uid -> queue keys of its dependents
        self._owners_of: dict[str, list[str]] = {}  # queue key -> owner uids it declared
        for resource, informer in self.watched.items():
            informer.add_handlers(
                lambda obj, r=resource: self._on_change(r, None, obj),
                lambda old, new, r=resource: self._on_change(r, old, new),
                lambda obj, r=resource: self._on_delete(r, obj))

    @property
    def component(self) -> str:
        return "garbage-collector-controller"

    # --- the dependency graph (uid -> dependents), kept from informer events ------------------------------
    @staticmethod
    def _key(resource: str, obj: dict) -> str:
        return f"{resource}|{object_key(obj)}"

    def _index(self, key: str, obj: dict | None) -> None:
        for uid in self._owners_of.pop(key, []):
            deps = self._dependents.get(uid)
            if deps is not None:
                deps.discard(key)
                if not deps:
                    del self._dependents[uid]
        if obj is None:
            return
        uids = [r["uid"] for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid")]
        if uids:
            self._owners_of[key] = uids
            for uid in uids:
                self._dependents.setdefault(uid, set()).add(key)

    def _on_change(self, resource: str, old: dict | None, obj: dict) -> None:
        key = self._key(resource, obj)
        meta = obj["metadata"]
        self._node_of_uid[meta["uid"]] = key
        self._index(key, obj)
        finalizers = meta.get("finalizers") or []
        if meta.get("deletionTimestamp") and (FOREGROUND in finalizers or ORPHAN in finalizers):
            self.queue.add(key)
            if FOREGROUND in finalizers:  # every dependent learns its owner is deleting dependents
                for dep in self._dependents.get(meta["uid"], ()):
                    self.queue.add(dep)
        if meta.get("ownerReferences") and (old is None or old["metadata"].get("ownerReferences") !=
                                            meta.get("ownerReferences")):
            self.queue.add(key)
        if meta.get("deletionTimestamp"):
            self._enqueue_owners(meta)

    def _on_delete(self, resource: str, obj: dict) -> None:
        key = self._key(resource, obj)
        meta = obj["metadata"]
        self._index(key, None)
        if self._node_of_uid.get(meta.get("uid")) == key:
            del self._node_of_uid[meta["uid"]]
        for dep in self._dependents.get(meta.get("uid"), ()):
            self.queue.add(dep)
        self._enqueue_owners(meta)

    def _enqueue_owners(self, meta: dict) -> None:
        """A dependent went (or started going): an owner waiting in foreground deletion may be done."""
        for ref in meta.get("ownerReferences") or []:
            owner_key = self._node_of_uid.get(ref.get("uid"))
            if owner_key:
                self.queue.add(owner_key)

    def _cached(self, key: str) -> dict | None:
        resource, _, obj_key = key.partition("|")
        informer = self.watched.get(resource)
        return informer.get(obj_key) if informer else None

    # --- reconcile ------------------------------------------------------------------------------------
    async def reconcile(self, key: str) -> None:
        obj = self._cached(key)
        if obj is None:
            return
        resource = key.partition("|")[0]
        meta = obj["metadata"]
        finalizers = meta.get("finalizers") or []
        if meta.get("deletionTimestamp"):
            if ORPHAN in finalizers:
                await self._orphan_dependents(resource, obj)
            elif FOREGROUND in finalizers:
                await self._delete_dependents_first(resource, obj)
            return
        refs = meta.get("ownerReferences") or []
        if not refs:
            return
        solid, dangling, waiting = [], [], []
        for ref in refs:
            owner = await self._owner(ref, meta.get("namespace"))
            if owner is None:
                dangling.append(ref)
            elif owner is not True and owner["metadata"].get("deletionTimestamp") and \
                    FOREGROUND in (owner["metadata"].get("finalizers") or []):
                waiting.append(ref)
            else:
                solid.append(ref)
        if solid:
            gone = {r["uid"] for r in dangling + waiting}
            if gone:  # still owned by someone alive: only drop the references to owners that are going
                await self._update_refs(resource, obj, lambda r: r.get("uid") not in gone)
            return
        policy = "Background"
        if ORPHAN in finalizers:
            policy = "Orphan"
        elif FOREGROUND in finalizers or (waiting and self._dependents.get(meta["uid"])):
            # Owned by a foreground deletion and owning things itself: the deletion waits for them too.
            policy = "Foreground"
        try:
            await self.client.delete(resource, meta["name"], meta.get("namespace"), propagation_policy=policy,
                                     preconditions={"uid": meta["uid"]})
        except APIError as exc:
            if exc.code not in (404, 409):
                raise

    async def _owner(self, ref: dict, namespace: str | None) -> dict | bool | None:
        """The live owner, None if absent (or replaced by another UID), True if its kind is unknown here."""
        kind = by_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
        if kind is None:
            return True
        resource = str(kind)  # plural[.group], as the client names it
        ns = namespace if kind.namespaced else None
        informer = self.watched.get(resource)
        if informer is not None:
            cached = informer.get(f"{ns}/{ref['name']}" if ns else ref["name"])
            if cached is not None and cached["metadata"].get("uid") == ref.get("uid"):
                return cached
        try:
            live = await self.client.get(resource, ref["name"], ns)
        except APIError as exc:
            if exc.code == 404:
                return None
            raise
        return live if live["metadata"].get("uid") == ref.get("uid") else None

    async def _update_refs(self, resource: str, obj: dict, keep) -> None:
        obj = copy.deepcopy(obj)
        obj["metadata"]["ownerReferences"] = [r for r in obj["metadata"].get("ownerReferences") or [] if keep(r)]
        try:
            await self.client.update(resource, obj, obj["metadata"].get("namespace"))
        except APIError as exc:
            if exc.code != 404:
                raise

    def _dependent_objects(self, uid: str) -> list[tuple[str, str, dict]]:
        out = []
        for dep_key in sorted(self._dependents.get(uid, ())):
            dep = self._cached(dep_key)
            if dep is not None:
                out.append((dep_key, dep_key.partition("|")[0], dep))
        return out

    async def _orphan_dependents(self, resource: str, owner: dict) -> None:
        uid = owner["metadata"]["uid"]
        for _, dep_resource, dep in self._dependent_objects(uid):
            await self._update_refs(dep_resource, dep, lambda r: r.get("uid") != uid)
        await self.remove_finalizer(resource, owner, ORPHAN)

    async def _delete_dependents_first(self, resource: str, owner: dict) -> None:
        uid = owner["metadata"]["uid"]
        blocking = []
        for dep_key, _, dep in self._dependent_objects(uid):
            ref = next((r for r in dep["metadata"].get("ownerReferences") or [] if r.get("uid") == uid), {})
            if ref.get("blockOwnerDeletion"):
                blocking.append(dep)
            if not dep["metadata"].get("deletionTimestamp"):
                self.queue.add(dep_key)  # its reconcile sees this owner waiting and deletes it
        if not blocking:
            await self.remove_finalizer(resource, owner, FOREGROUND)


CONTROLLER = GarbageCollector

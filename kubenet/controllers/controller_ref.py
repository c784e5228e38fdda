"""Adoption and release of dependents, as kube-controller-manager does it (pkg/controller/controller_ref_manager.go).

Every workload controller decides which objects it controls the same way (BaseControllerRefManager.ClaimObject):
- owned by another controller: not ours, left alone;
- owned by us and still matching: ours; owned by us but no longer matching: released (our ownerReference is
  removed by a strategic merge patch), unless we are being deleted;
- an orphan that matches, in our namespace, not being deleted, while we are not being deleted: adopted by
  patching a controller ownerReference onto it, but only after a fresh read of the owner from the API shows it
  is still the same object (same UID) and not being deleted (RecheckDeletionTimestamp, the "canAdopt" check:
  the cache may not have seen a delete yet, and adopting for a dying owner would get the dependent collected).
A NotFound (the dependent is gone) or Invalid answer to a patch is ignored, as upstream does; other errors are
collected and the first one raised after every object had its turn, so the sync is retried.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from kubenet.api.meta import controller_of, controller_ref
from kubenet.apiserver.errors import APIError
from kubenet.client.base import Client


class CannotAdopt(APIError):
    """The owner turned out to be deleted (or replaced) on the fresh read: no adoption this sync."""

    def __init__(self, message: str):
        super().__init__(409, "Conflict", message)


def owner_ref_patch(owner: dict, dependent_uid: str, finalizers: Iterable[str] = ()) -> dict:
    """ownerRefControllerPatch: add our controller reference (and finalizers); the dependent's UID rides along."""
    meta: dict = {"ownerReferences": [controller_ref(owner)], "uid": dependent_uid}
    if finalizers:
        meta["finalizers"] = list(finalizers)
    return {"metadata": meta}


def release_patch(owner_uid: str, dependent_uid: str, finalizers: Iterable[str] = ()) -> dict:
    """deleteOwnerRefStrategicMergePatch: drop our reference by its merge key (uid), and our finalizers."""
    meta: dict = {"ownerReferences": [{"$patch": "delete", "uid": owner_uid}], "uid": dependent_uid}
    if finalizers:
        meta["$deleteFromPrimitiveList/finalizers"] = list(finalizers)
    return {"metadata": meta}


class ControllerRefManager:
    """Claims dependents of one resource for one owner during one sync.

    `owner_resource` is where the fresh read of the owner goes ("replicasets.apps", "replicationcontrollers");
    `match(obj)` says whether the owner's selector (and any extra filter, like a StatefulSet's name rule)
    selects the dependent; `finalizers` are added on adoption and removed on release (a Job's tracking one).
    """

    def __init__(self, client: Client, owner: dict, owner_resource: str, match: Callable[[dict], bool],
                 finalizers: Iterable[str] = ()):
        self.client = client
        self.owner = owner
        self.owner_resource = owner_resource
        self.match = match
        self.finalizers = tuple(finalizers)
        self._can_adopt: CannotAdopt | bool | None = None  # checked at most once per sync (canAdoptOnce)

    @property
    def _uid(self) -> str:
        return self.owner["metadata"]["uid"]

    @property
    def _deleting(self) -> bool:
        return bool(self.owner["metadata"].get("deletionTimestamp"))

    async def claim(self, resource: str, objects: Iterable[dict]) -> list[dict]:
        """The objects this owner controls after adopting and releasing (adopted ones as the patch returned them)."""
        claimed: list[dict] = []
        first_error: APIError | None = None
        for obj in objects:
            try:
                mine = await self._claim_one(resource, obj)
            except APIError as exc:
                first_error = first_error or exc
                continue
            if mine is not None:
                claimed.append(mine)
        if first_error is not None:
            raise first_error
        return claimed

    async def _claim_one(self, resource: str, obj: dict) -> dict | None:
        ref = controller_of(obj)
        if ref is not None:
            if ref.get("uid") != self._uid:
                return None  # another controller's
            if self.match(obj):
                return obj
            if self._deleting:
                return None
            await self._patch(resource, obj, release_patch(self._uid, obj["metadata"]["uid"], self.finalizers))
            return None
        if self._deleting or not self.match(obj) or obj["metadata"].get("deletionTimestamp"):
            return None
        ns = self.owner["metadata"].get("namespace")
        if ns and ns != obj["metadata"].get("namespace"):
            return None
        await self._check_can_adopt(resource, obj)
        return await self._patch(resource, obj, owner_ref_patch(self.owner, obj["metadata"]["uid"], self.finalizers))

    async def _check_can_adopt(self, resource: str, obj: dict) -> None:
        if self._can_adopt is None:
            self._can_adopt = await self._recheck_owner()
        if isinstance(self._can_adopt, CannotAdopt):
            meta = obj["metadata"]
            raise CannotAdopt(f"can't adopt {_kind_word(resource)} {meta.get('namespace')}/{meta['name']} "
                              f"({meta['uid']}): {self._can_adopt.message}")

    async def _recheck_owner(self) -> CannotAdopt | bool:
        """RecheckDeletionTimestamp over an uncached GET of the owner."""
        meta = self.owner["metadata"]
        ns, name = meta.get("namespace"), meta["name"]
        try:
            fresh = await self.client.get(self.owner_resource, name, ns)
        except APIError as exc:
            return CannotAdopt(f"can't recheck DeletionTimestamp: {exc.message}")
        if fresh["metadata"].get("uid") != meta["uid"]:
            return CannotAdopt(f"can't recheck DeletionTimestamp: original {self.owner['kind']} {ns}/{name} is "
                               f"gone: got uid {fresh['metadata'].get('uid')}, wanted {meta['uid']}")
        if fresh["metadata"].get("deletionTimestamp"):
            return CannotAdopt(f"{ns}/{name} has just been deleted at {fresh['metadata']['deletionTimestamp']}")
        return True

    async def _patch(self, resource: str, obj: dict, patch: dict) -> dict | None:
        meta = obj["metadata"]
        try:
            return await self.client.patch(resource, meta["name"], patch, meta.get("namespace"), "strategic")
        except APIError as exc:
            if exc.code in (404, 422):  # gone, or deleted and re-made with another UID: nothing to claim
                return None
            raise


def _kind_word(resource: str) -> str:
    return {"pods": "Pod", "replicasets.apps": "ReplicaSet",
            "controllerrevisions.apps": "ControllerRevision"}.get(resource, resource)


def map_selector_matches(selector: dict | None, labels: dict | None) -> bool:
    """A ReplicationController's (and a Service's) map selector: every pair present; empty selects nothing here,
    since validation refuses an empty RC selector and an empty one must never adopt a namespace's Pods."""
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())

"""Adoption and release of dependents, as kube-controller-manager does it (pkg/controller/controller_ref_manager.go).

Every workload controller decides which objects it controls the same way (BaseControllerRefManager.ClaimObject):
- owned by another controller: not ours, left alone;
- owned by us and still matching: ours; owned by us but no longer matching: released (our ownerReference is
  removed by a patch), unless we are being deleted;
- an orphan that matches, in our namespace, not being deleted, while we are not being deleted: adopted by
  patching a controller ownerReference onto it, but only after a fresh read of the owner from the API shows it
  is still the same object (same UID) and not being deleted (RecheckDeletionTimestamp, the "canAdopt" check:
  the cache may not have seen a delete yet, and adopting for a dying owner would get the dependent collected).
The patches are JSON patches whose `test` operations make them apply only to the object the decision was made
on (same UID, same ownerReferences and finalizers): upstream gets the UID precondition from a uid in its patch and
"only one controller" from owner-reference validation. A NotFound or Invalid (failed test) answer is ignored, as
upstream does; other errors are collected and the first one raised after every object had its turn, so the sync
is retried.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from kubenet.api.errors import APIError
from kubenet.api.meta import controller_of, controller_ref
from kubenet.client.base import Client


class CannotAdopt(APIError):
    """The owner turned out to be deleted (or replaced) on the fresh read: no adoption this sync."""

    def __init__(self, message: str):
        super().__init__(409, "Conflict", message)


def _preconditions(obj: dict, finalizers: Iterable[str]) -> list[dict]:
    """JSON-patch tests: the same object (UID) with the ownerReferences (and finalizers) the claim was judged on.
    Upstream puts the UID into its patch for the first; a failed test answers 422, like its Invalid."""
    meta = obj["metadata"]
    tests = [{"op": "test", "path": "/metadata/uid", "value": meta["uid"]},
             {"op": "test", "path": "/metadata/ownerReferences", "value": meta.get("ownerReferences")}]
    if finalizers:
        tests.append({"op": "test", "path": "/metadata/finalizers", "value": meta.get("finalizers")})
    return tests


def adopt_patch(owner: dict, obj: dict, finalizers: Iterable[str] = ()) -> list[dict]:
    """ownerRefControllerPatch: our controller reference (and finalizers) added to the orphan we saw."""
    finalizers = tuple(finalizers)
    meta = obj["metadata"]
    ops = _preconditions(obj, finalizers) + [
        {"op": "add", "path": "/metadata/ownerReferences",
         "value": list(meta.get("ownerReferences") or []) + [controller_ref(owner)]}]
    if finalizers:
        current = list(meta.get("finalizers") or [])
        ops.append({"op": "add", "path": "/metadata/finalizers",
                    "value": current + [f for f in finalizers if f not in current]})
    return ops


def release_patch(owner_uid: str, obj: dict, finalizers: Iterable[str] = ()) -> list[dict]:
    """deleteOwnerRefStrategicMergePatch: our reference (by uid) and our finalizers removed."""
    finalizers = tuple(finalizers)
    meta = obj["metadata"]
    ops = _preconditions(obj, finalizers) + [
        {"op": "replace", "path": "/metadata/ownerReferences",
         "value": [r for r in meta.get("ownerReferences") or [] if r.get("uid") != owner_uid]}]
    if finalizers and meta.get("finalizers"):
        ops.append({"op": "replace", "path": "/metadata/finalizers",
                    "value": [f for f in meta["finalizers"] if f not in finalizers]})
    return ops


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
            await self._patch(resource, obj, release_patch(self._uid, obj, self.finalizers))
            return None
        if self._deleting or not self.match(obj) or obj["metadata"].get("deletionTimestamp"):
            return None
        ns = self.owner["metadata"].get("namespace")
        if ns and ns != obj["metadata"].get("namespace"):
            return None
        await self._check_can_adopt(resource, obj)
        return await self._patch(resource, obj, adopt_patch(self.owner, obj, self.finalizers))

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

    async def _patch(self, resource: str, obj: dict, patch: list[dict]) -> dict | None:
        meta = obj["metadata"]
        try:
            return await self.client.patch(resource, meta["name"], patch, meta.get("namespace"), "json")
        except APIError as exc:
            # Gone; or re-made under another UID, or its owners changed since we looked (a failed test): not
            # this sync's to claim, and the event that changed it brings the owner back.
            if exc.code in (404, 422):
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

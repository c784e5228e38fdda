"""Namespace controller (pkg/controller/namespace/deletion): empty a Terminating namespace, then finalize it.

`kubectl delete namespace` leaves the Namespace with a deletionTimestamp, phase Terminating and
spec.finalizers ["kubernetes"]. This controller deletes every namespaced object in it (Background
propagation), reports what is left in the deletion conditions, and once nothing is left removes the
`kubernetes` finalizer through namespaces/<name>/finalize; the API server then removes the Namespace.
"""
from __future__ import annotations

import copy
import logging

from kubenet.api.errors import APIError
from kubenet.api.kinds import STORED
from kubenet.api.meta import set_condition
from kubenet.controllers.base import Controller, Informers

log = logging.getLogger(__name__)

FINALIZER = "kubernetes"
RECHECK_SECONDS = 1.0  # the real controller re-checks after an estimate; our Pods' grace is short
NAMESPACED = [k for k in STORED if k.namespaced]

# Condition types with their "all is well" reason and message (namespace_condition_utils.go).
OK_CONDITIONS = [
    ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
    ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
    ("NamespaceDeletionContentFailure", "ContentDeleted",
     "All content successfully deleted, may be waiting on finalization"),
    ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
    ("NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
]


class NamespaceController(Controller):
    name = "namespace"
    workers = 2

    def __init__(self, client, informers: Informers):
        super().__init__(client, informers)
        self.namespaces = informers.get("namespaces")
        self.namespaces.add_handlers(self._on_namespace, lambda old, new: self._on_namespace(new))

    def _on_namespace(self, ns: dict) -> None:
        if ns["metadata"].get("deletionTimestamp"):
            self.enqueue(ns)

    async def reconcile(self, key: str) -> None:
        cached = self.namespaces.get(key)
        if cached is None or not cached["metadata"].get("deletionTimestamp"):
            return
        ns = copy.deepcopy(cached)
        if FINALIZER not in (ns["spec"].get("finalizers") or []):
            return  # finalized already; the API server removes it once metadata.finalizers are gone too
        remaining, finalizers, failures = await self._delete_content(key)
        ns = await self._write_conditions(ns, remaining, finalizers, failures)
        if remaining or failures:
            self.queue.add_after(key, RECHECK_SECONDS)
            return
        ns["spec"]["finalizers"] = [f for f in ns["spec"].get("finalizers") or [] if f != FINALIZER]
        try:
            await self.client.update("namespaces", ns, subresource="finalize")
        except APIError as exc:
            if exc.code != 404:
                raise

    async def _delete_content(self, namespace: str) -> tuple[dict[str, int], dict[str, int], list[str]]:
        """Delete everything namespaced; count what is still there (and which finalizers hold it)."""
        remaining: dict[str, int] = {}
        finalizers: dict[str, int] = {}
        failures: list[str] = []
        for kind in NAMESPACED:
            resource = str(kind)  # plural[.group], as the client names it
            try:
                items, _ = await self.client.list(resource, namespace)
                for item in items:
                    if item["metadata"].get("deletionTimestamp"):
                        continue
                    try:
                        await self.client.delete(resource, item["metadata"]["name"], namespace,
                                                 propagation_policy="Background")
                    except APIError as exc:
                        if exc.code not in (404, 409):
                            raise
                items, _ = await self.client.list(resource, namespace)
            except APIError as exc:
                failures.append(f"{resource}: {exc.message}")
                continue
            if items:
                remaining[f"{kind.plural}.{kind.group}"] = len(items)
                for item in items:
                    for f in item["metadata"].get("finalizers") or []:
                        finalizers[f] = finalizers.get(f, 0) + 1
        return remaining, finalizers, failures

    async def _write_conditions(self, ns: dict, remaining: dict[str, int], finalizers: dict[str, int],
                                failures: list[str]) -> dict:
        wanted: dict[str, tuple[str, str, str]] = {t: ("False", r, m) for t, r, m in OK_CONDITIONS}
        if failures:
            wanted["NamespaceDeletionContentFailure"] = (
                "True", "ContentDeletionFailed",
                f"Failed to delete all resource types, {len(failures)} remaining: {', '.join(sorted(failures))}")
        if remaining:
            parts = sorted(f"{gr} has {n} resource instances" for gr, n in remaining.items())
            wanted["NamespaceContentRemaining"] = ("True", "SomeResourcesRemain",
                                                   f"Some resources are remaining: {', '.join(parts)}")
        if finalizers:
            parts = sorted(f"{f} in {n} resource instances" for f, n in finalizers.items())
            wanted["NamespaceFinalizersRemaining"] = (
                "True", "SomeFinalizersRemain",
                f"Some content in the namespace has finalizers remaining: {', '.join(parts)}")
        status = ns.setdefault("status", {})
        conditions = status.setdefault("conditions", [])
        changed = False
        for ctype, (state, reason, message) in wanted.items():
            changed = set_condition(conditions, ctype, state, reason, message) or changed
        if not changed:
            return ns
        try:
            return await self.client.update("namespaces", ns, subresource="status")
        except APIError as exc:
            if exc.code == 404:
                return ns
            raise


CONTROLLER = NamespaceController

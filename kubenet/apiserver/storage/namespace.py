"""Namespaces (pkg/registry/core/namespace strategy.go + storage): Active on create; a DELETE makes the Namespace
Terminating, and it stays until the namespace controller has emptied it and removed its spec.finalizers."""
from __future__ import annotations

from kubenet.apiserver.storage.strategy import Strategy


class NamespaceStrategy(Strategy):
    return_deleted_object = True

    def status_on_create(self, obj: dict) -> None:
        obj["status"] = {"phase": "Active"}

    def begin_delete(self, obj: dict) -> None:
        obj.setdefault("status", {})["phase"] = "Terminating"

    def held(self, obj: dict) -> bool:
        return bool((obj.get("spec") or {}).get("finalizers"))

"""The default strategy: what the registry does around defaulting and validation for a kind with no rules of its own.

A strategy is the pkg/registry/<group>/<kind>/strategy.go of a kind: it prepares an object for create and update
(status reset, generation), says how long a delete waits (grace period), what else holds an object being deleted,
when it may go, and whether DELETE answers the deleted object. It works on objects only; what needs the store or
allocations (admission reads, ClusterIPs) is the kind's storage (`generic.GenericStore` and its subclasses).
Each kind with rules of its own has a subclass in a module of this package; the table in `table.py` picks it.
"""
from __future__ import annotations

from kubenet.api.kinds import Kind


def _spec_part(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class Strategy:
    """Plain kinds: no generation, status (if the kind has one) owned by its controllers, DELETE answers a Status."""

    # metadata.generation counts spec changes (the strategies of workloads, Pods, Services, Ingress... bump it).
    generation: bool = False
    # The REST storage sets ReturnDeletedObject: a DELETE answers the deleted object, not a Success Status
    # (pkg/registry/core/{pod,service,namespace,serviceaccount}/storage; no other served kind's storage does).
    return_deleted_object: bool = False

    def __init__(self, kind: Kind):
        self.kind = kind

    # --- create / update ---------------------------------------------------------------------------------
    def prepare_for_create(self, obj: dict) -> None:
        """PrepareForCreate: after defaulting and admission, before validation."""
        if self.generation:
            obj["metadata"]["generation"] = 1
        if self.kind.has_status:
            self.status_on_create(obj)

    def status_on_create(self, obj: dict) -> None:
        """Clients cannot set status on create; the controllers own it."""
        obj["status"] = {}

    def begin_update(self, new: dict, old: dict) -> None:
        """What the storage does to an update before defaulting (the Service storage's beginUpdate)."""

    def prepare_for_update(self, new: dict, old: dict) -> None:
        """PrepareForUpdate of the main resource: keep the stored status; bump generation on spec changes."""
        if self.kind.has_status and "status" in old:
            new["status"] = old["status"]
        elif self.kind.has_status:
            new.pop("status", None)
        if self.generation:
            gen = old["metadata"].get("generation", 1)
            new["metadata"]["generation"] = gen + 1 if _spec_part(new) != _spec_part(old) else gen

    @staticmethod
    def prepare_for_status_update(new: dict, old: dict) -> dict:
        """The status subresource: only status changes (and nothing else) reach the store."""
        merged = dict(old)
        merged["status"] = new.get("status", {})
        meta = dict(old["metadata"])
        meta["resourceVersion"] = new["metadata"].get("resourceVersion", meta.get("resourceVersion"))
        merged["metadata"] = meta
        return merged

    def scale_selector(self, obj: dict) -> dict | None:
        """The LabelSelector a */scale answer shows as status.selector (kinds with a scale subresource)."""
        return obj["spec"].get("selector")

    # --- delete ------------------------------------------------------------------------------------------
    def grace_period(self, obj: dict, requested: int | None) -> int:
        """CheckGracefulDelete: seconds the object stays, with its deletionTimestamp, before it goes."""
        return 0

    def begin_delete(self, obj: dict) -> None:
        """What a DELETE writes to the object before deciding whether it goes now (a Namespace: Terminating)."""

    def held(self, obj: dict) -> bool:
        """Something besides metadata.finalizers keeps an object being deleted (a Namespace's spec.finalizers)."""
        return False

    def mark_deleted_now(self, meta: dict) -> None:
        """What a delete that does not wait writes to the object's metadata before removing it."""

    def ready_to_delete(self, obj: dict) -> bool:
        """An object being deleted goes once its last finalizer is removed."""
        meta = obj["metadata"]
        return bool(meta.get("deletionTimestamp")) and not meta.get("finalizers") and not self.held(obj)


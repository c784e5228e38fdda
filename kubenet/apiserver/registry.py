"""The resource registry: Kubernetes' REST semantics over a Store, shared by the HTTP server and LocalClient.

Each verb goes to the storage object of its kind (`kubenet.apiserver.storage`: the generic store with the kind's
strategy, or a kind's own storage such as the events.k8s.io view over core Events); nothing here knows a kind.
"""
from __future__ import annotations

from kubenet.api import errors
from kubenet.api.kinds import Kind
from kubenet.apiserver.storage import table
from kubenet.apiserver.storage.generic import GenericStore, Storage, Watch
from kubenet.apiserver.storage.service import ServiceAllocations
from kubenet.apiserver.storage.strategy import Strategy
from kubenet.store import Store


class Registry:
    def __init__(self, store: Store, service_cidr: str = "10.96.0.0/12", node_port_range: str = "30000-32767",
                 dns_ip: str = "10.96.0.10"):
        self.store = store
        services = ServiceAllocations(service_cidr, node_port_range, dns_ip)
        self.storages = table.build(store, services)

    def storage(self, kind: Kind) -> Storage:
        found = self.storages.get(kind)
        if found is None:  # a kind that is not stored (reviews, bindings) has plain storage if asked
            found = self.storages[kind] = GenericStore(kind, self.store, Strategy(kind))
        return found

    # --- the verbs -----------------------------------------------------------------------------------
    def get(self, kind: Kind, namespace: str | None, name: str) -> dict:
        return self.storage(kind).get(namespace, name)

    def list(self, kind: Kind, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int = 0, continue_token: str | None = None) -> dict:
        return self.storage(kind).list(namespace, label_selector, field_selector, limit, continue_token)

    def watch(self, kind: Kind, namespace: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, resource_version: str | None = None) -> Watch:
        return self.storage(kind).watch(namespace, label_selector, field_selector, resource_version)

    def create(self, kind: Kind, namespace: str | None, obj: dict, dry_run: bool = False,
               field_manager: str | None = None) -> dict:
        return self.storage(kind).create(namespace, obj, dry_run, field_manager)

    def update(self, kind: Kind, namespace: str | None, name: str, obj: dict, subresource: str | None = None,
               dry_run: bool = False, field_manager: str | None = None, create_missing: bool = False) -> dict:
        return self.storage(kind).update(namespace, name, obj, subresource, dry_run, field_manager, create_missing)

    def delete(self, kind: Kind, namespace: str | None, name: str, options: dict | None = None,
               dry_run: bool = False) -> dict:
        return self.delete_object(kind, namespace, name, options, dry_run)[0]

    def delete_object(self, kind: Kind, namespace: str | None, name: str, options: dict | None = None,
                      dry_run: bool = False) -> tuple[dict, bool]:
        """The DELETE answer and whether the object is gone (see GenericStore.delete_object)."""
        return self.storage(kind).delete_object(namespace, name, options, dry_run)

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

"""ServiceAccount controller (pkg/controller/serviceaccount): every active namespace has a `default` one.

It is made when a namespace appears and made again if someone deletes it; Terminating namespaces are left
alone (the API server would refuse the create anyway).
"""
from __future__ import annotations

from kubenet.api.errors import APIError
from kubenet.controllers.base import Controller, Informers

DEFAULT = "default"


class ServiceAccountController(Controller):
    name = "serviceaccount"
    workers = 1

    def __init__(self, client, informers: Informers):
        super().__init__(client, informers)
        self.namespaces = informers.get("namespaces")
        self.serviceaccounts = informers.get("serviceaccounts")
        self.namespaces.add_handlers(self.enqueue, lambda old, new: self.enqueue(new))
        self.serviceaccounts.add_handlers(None, None, self._on_sa_delete)

    def _on_sa_delete(self, sa: dict) -> None:
        if sa["metadata"]["name"] == DEFAULT:
            self.queue.add(sa["metadata"]["namespace"])

    async def reconcile(self, key: str) -> None:
        ns = self.namespaces.get(key)
        if ns is None or ns["metadata"].get("deletionTimestamp") or (ns.get("status") or {}).get("phase") == \
                "Terminating":
            return
        if self.serviceaccounts.get(f"{key}/{DEFAULT}") is not None:
            return
        sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": DEFAULT, "namespace": key}}
        try:
            await self.client.create("serviceaccounts", sa, key)
        except APIError as exc:
            # Already there (our cache lagged), the namespace went away, or it started terminating.
            if exc.code not in (403, 404, 409):
                raise


CONTROLLER = ServiceAccountController

"""Root CA certificate publisher (pkg/controller/certificates/rootcacertpublisher): every namespace has a
ConfigMap `kube-root-ca.crt` whose `ca.crt` is the cluster CA, so a Pod can verify the API server.

The ConfigMap is made when a namespace appears, made again when deleted, and written back when its data or
its description annotation is edited (the publisher owns both). Terminating or vanished namespaces are left
alone, as upstream does.
"""
from __future__ import annotations

from kubenet.api.errors import APIError
from kubenet.controllers.base import Controller, Informers
from kubenet.controllers.context import ControllerContext

CONFIGMAP_NAME = "kube-root-ca.crt"
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
               "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
               "distributions of Kubernetes clusters.")


class RootCACertPublisher(Controller):
    name = "root-ca-cert-publisher"
    workers = 1

    def __init__(self, client, informers: Informers, root_ca: str | None = None):
        super().__init__(client, informers)
        self.root_ca = root_ca  # the cluster CA PEM (None: nothing to publish)
        self.namespaces = informers.get("namespaces")
        self.configmaps = informers.get("configmaps")
        self.namespaces.add_handlers(self.enqueue, lambda old, new: self.enqueue(new))
        self.configmaps.add_handlers(None, lambda old, new: self._on_configmap(new), self._on_configmap)

    @classmethod
    def from_context(cls, client, informers: Informers, context: ControllerContext) -> RootCACertPublisher:
        return cls(client, informers, context.root_ca)

    @property
    def component(self) -> str:
        return self.name

    def _on_configmap(self, cm: dict) -> None:
        if cm["metadata"]["name"] == CONFIGMAP_NAME:
            self.queue.add(cm["metadata"]["namespace"])

    async def reconcile(self, key: str) -> None:
        if self.root_ca is None:
            return  # a control plane without a CA (unit tests of other controllers): nothing to publish
        ns = self.namespaces.get(key)
        if ns is None or ns["metadata"].get("deletionTimestamp") or \
                (ns.get("status") or {}).get("phase") == "Terminating":
            return
        data = {"ca.crt": self.root_ca}
        cached = self.configmaps.get(f"{key}/{CONFIGMAP_NAME}")
        if cached is None:
            cm = {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": CONFIGMAP_NAME, "namespace": key,
                               "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION}},
                  "data": data}
            try:
                await self.client.create("configmaps", cm, key)
            except APIError as exc:
                # The namespace went away or is terminating (no retry); 409: our cache is behind (the update
                # event brings us back if its content is wrong).
                if exc.code not in (403, 404, 409):
                    raise
            return
        annotations = cached["metadata"].get("annotations") or {}
        if cached.get("data") == data and annotations.get(DESCRIPTION_ANNOTATION):
            return
        cm = {**cached, "metadata": {**cached["metadata"], "annotations": {**annotations,
                                                                            DESCRIPTION_ANNOTATION: DESCRIPTION}},
              "data": data}
        await self.client.update("configmaps", cm, key)


CONTROLLER = RootCACertPublisher

"""networking.k8s.io Ingress and NetworkPolicy (pkg/registry/networking/<kind>/strategy.go)."""
from __future__ import annotations

from kubenet.apiserver.storage.strategy import Strategy


class IngressStrategy(Strategy):
    generation = True

    def status_on_create(self, obj: dict) -> None:
        obj["status"] = {"loadBalancer": {}}


class NetworkPolicyStrategy(Strategy):
    generation = True

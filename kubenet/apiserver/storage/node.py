"""Nodes (pkg/registry/core/node strategy.go): a kubelet registers its Node with its status, so a create keeps it."""
from __future__ import annotations

from kubenet.apiserver.storage.strategy import Strategy


class NodeStrategy(Strategy):
    def status_on_create(self, obj: dict) -> None:
        pass

"""ServiceAccounts (pkg/registry/core/serviceaccount/storage): a DELETE answers the deleted ServiceAccount."""
from __future__ import annotations

from kubenet.apiserver.storage.strategy import Strategy


class ServiceAccountStrategy(Strategy):
    return_deleted_object = True

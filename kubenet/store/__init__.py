"""Stores: one revision counter, objects, an event log for watches. See base.Store for the contract."""
from kubenet.store.base import (
                                AlreadyExists,
                                Conflict,
                                Event,
                                Gone,
                                NotFound,
                                Store,
                                StoreError,
                                Watcher,
                                object_key,
                                prefix_key,
)
from kubenet.store.memory import MemoryStore
from kubenet.store.sqlite import SQLiteStore

__all__ = [
                                "AlreadyExists",
                                "Conflict",
                                "Event",
                                "Gone",
                                "MemoryStore",
                                "NotFound",
                                "SQLiteStore",
                                "Store",
                                "StoreError",
                                "Watcher",
                                "object_key",
                                "prefix_key",
]

"""The shape every controller has (sample-controller): informers → handlers → keys → workers → reconcile(key)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from kubenet.api.errors import APIError
from kubenet.api.meta import controller_of
from kubenet.client.base import Client, object_key
from kubenet.client.events import EventRecorder
from kubenet.client.informer import Informer
from kubenet.client.workqueue import WorkQueue
from kubenet.controllers.context import ControllerContext

log = logging.getLogger(__name__)


class Informers:
    """Shared informers: one list+watch per resource for every controller in the process."""

    def __init__(self, client: Client):
        self.client = client
        self._by_resource: dict[str, Informer] = {}

    def get(self, resource: str) -> Informer:
        if resource not in self._by_resource:
            self._by_resource[resource] = Informer(self.client, resource)
        return self._by_resource[resource]

    def all(self) -> list[Informer]:
        return list(self._by_resource.values())

    def start(self) -> list[asyncio.Task]:
        return [asyncio.create_task(inf.run(), name=f"informer-{r}") for r, inf in self._by_resource.items()]

    async def wait_synced(self) -> None:
        await asyncio.gather(*(inf.wait_synced() for inf in self._by_resource.values()))


class Controller:
    name = "controller"
    workers = 2

    @classmethod
    def from_context(cls, client: Client, informers: Informers, context: ControllerContext) -> Controller:
        """The controller as the manager starts it (upstream's per-controller start function): a controller
        that is configured overrides this to take its settings from the context."""
        return cls(client, informers)

    def __init__(self, client: Client, informers: Informers):
        self.client = client
        self.informers = informers
        self.queue = WorkQueue()
        self.recorder = EventRecorder(client, self.component)

    @property
    def component(self) -> str:
        return f"{self.name}-controller"

    def enqueue(self, obj: dict) -> None:
        self.queue.add(object_key(obj))

    def enqueue_owner(self, obj: dict, owner_kind: str) -> None:
        """Map an owned object to its controlling owner's key (same namespace)."""
        for ref in obj["metadata"].get("ownerReferences") or []:
            if ref.get("controller") and ref.get("kind") == owner_kind:
                ns = obj["metadata"].get("namespace")
                self.queue.add(f"{ns}/{ref['name']}" if ns else ref["name"])

    def enqueue_adopters(self, obj: dict, owners: Informer, selects: Callable[[dict, dict | None], bool]) -> None:
        """An orphan appeared or changed its labels: every owner in its namespace whose selector selects it may
        adopt it (the handlers' getPodsFor<Owner> lookup upstream). Owned objects go to their owner only."""
        if controller_of(obj) is not None:
            return
        ns, labels = obj["metadata"].get("namespace"), obj["metadata"].get("labels")
        for owner in owners.list():
            if owner["metadata"].get("namespace") == ns and selects(owner, labels):
                self.enqueue(owner)

    async def reconcile(self, key: str) -> None:
        raise NotImplementedError

    async def _worker(self) -> None:
        while True:
            key = await self.queue.get()
            try:
                await self.reconcile(key)
                self.queue.forget(key)
            except asyncio.CancelledError:
                raise
            except APIError as exc:
                if exc.code != 409:
                    log.info("%s: %s: %s", self.name, key, exc.message)
                self.queue.add_rate_limited(key)
            except Exception:
                log.exception("%s: reconcile %s failed", self.name, key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    async def run(self) -> None:
        await self.informers.wait_synced()
        await asyncio.gather(*(self._worker() for _ in range(self.workers)))

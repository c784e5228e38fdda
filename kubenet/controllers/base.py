"""The shape every controller has (sample-controller): informers → handlers → keys → workers → reconcile(key)."""
from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable

from kubenet.api.errors import APIError
from kubenet.api.meta import controller_of
from kubenet.client.base import Client, object_key
from kubenet.client.events import EventRecorder
from kubenet.client.informer import NAMESPACE, STANDARD_INDEXERS, Informer, namespace_index
from kubenet.client.workqueue import WorkQueue, process_keys
from kubenet.controllers.context import ControllerContext
from kubenet.controllers.expectations import Expectations, owner_key_of

log = logging.getLogger(__name__)


def namespace_terminating(exc: APIError) -> bool:
    """apierrors.HasStatusCause(err, NamespaceTerminatingCause): a create refused because the namespace goes."""
    return any(c.get("reason") == "NamespaceTerminating" for c in (exc.details or {}).get("causes") or [])


class Informers:
    """Shared informers: one list+watch per resource for every controller in the process."""

    def __init__(self, client: Client):
        self.client = client
        self._by_resource: dict[str, Informer] = {}

    def get(self, resource: str, *indexes: str) -> Informer:
        """The resource's shared informer, indexed by namespace (as client-go's informer factory makes every
        informer) and by the other standard indexes asked for (CONTROLLER_UID, NODE_NAME)."""
        if resource not in self._by_resource:
            self._by_resource[resource] = Informer(self.client, resource, indexers={NAMESPACE: namespace_index})
        informer = self._by_resource[resource]
        informer.add_indexers({name: STANDARD_INDEXERS[name] for name in indexes})
        return informer

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
        key = owner_key_of(obj, owner_kind)
        if key:
            self.queue.add(key)

    def enqueue_adopters(self, obj: dict, owners: Informer, selects: Callable[[dict, dict | None], bool]) -> None:
        """An orphan appeared or changed its labels: every owner in its namespace whose selector selects it may
        adopt it (the handlers' getPodsFor<Owner> lookup upstream). Owned objects go to their owner only."""
        if controller_of(obj) is not None:
            return
        labels = obj["metadata"].get("labels")
        for owner in owners.by_index(NAMESPACE, obj["metadata"].get("namespace") or ""):
            if selects(owner, labels):
                self.enqueue(owner)

    def watch_owned_pods(self, pods: Informer, owners: Informer, owner_kind: str,
                         selects: Callable[[dict, dict | None], bool], expectations: Expectations | None = None) -> None:
        """The Pod handlers of every controller that owns Pods (the ReplicaSet/RC, DaemonSet, Job and StatefulSet
        controllers' addPod / updatePod / deletePod): a Pod event goes to its controlling owner (and, when its
        controller reference changed, to the old one, which recounts), an orphan that appeared or changed to the
        owners that may adopt it. A Pod that is terminating counts as deleted at once, so the owner makes its
        replacement without waiting for the kubelet; one first seen terminating (a restart) is no creation. With
        expectations, an added Pod is an observed creation and a deleted one an observed deletion."""
        def added(pod: dict) -> None:
            if pod["metadata"].get("deletionTimestamp"):
                deleted(pod)
                return
            key = owner_key_of(pod, owner_kind)
            if key is None:
                self.enqueue_adopters(pod, owners, selects)
                return
            if expectations is not None:
                expectations.creation_observed(key)
            self.queue.add(key)

        def updated(old: dict, new: dict) -> None:
            if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
                return  # a resync: nothing happened
            labels_changed = old["metadata"].get("labels") != new["metadata"].get("labels")
            if new["metadata"].get("deletionTimestamp"):
                deleted(new)
                if labels_changed:
                    deleted(old)  # owners that selected its old labels recount too
                return
            moved = controller_of(old) != controller_of(new)
            if moved:
                self.enqueue_owner(old, owner_kind)  # released: the old owner recounts
            if controller_of(new) is not None:
                self.enqueue_owner(new, owner_kind)
            elif moved or labels_changed:
                self.enqueue_adopters(new, owners, selects)

        def deleted(pod: dict) -> None:
            key = owner_key_of(pod, owner_kind)
            if key is None:
                return
            if expectations is not None:
                expectations.deletion_observed(key, pod["metadata"]["uid"])
            self.queue.add(key)

        pods.add_handlers(added, updated, deleted)

    async def remove_finalizer(self, resource: str, obj: dict, finalizer: str) -> None:
        """Update the object without one finalizer (a copy: cached objects are never edited); an object that is
        gone already needs nothing."""
        fresh = copy.deepcopy(obj)
        fresh["metadata"]["finalizers"] = [f for f in fresh["metadata"].get("finalizers") or [] if f != finalizer]
        try:
            await self.client.update(resource, fresh, fresh["metadata"].get("namespace"))
        except APIError as exc:
            if exc.code != 404:
                raise

    # --- Pod control (pkg/controller RealPodControl): the writes and the events every Pod owner records --------
    async def create_pod(self, owner: dict, pod: dict) -> dict:
        """CreatePods: create the Pod in the owner's namespace; SuccessfulCreate "Created pod: <name>", or
        FailedCreate "Error creating: ..." unless the namespace is being terminated (then the error alone)."""
        try:
            created = await self.client.create("pods", pod, owner["metadata"]["namespace"])
        except APIError as exc:
            if not namespace_terminating(exc):
                await self.recorder.event(owner, "Warning", "FailedCreate", f"Error creating: {exc.message}")
            raise
        await self.recorder.event(owner, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        return created

    async def delete_pod(self, owner: dict, pod: dict, expectations: Expectations, key: str) -> None:
        """DeletePod as the ReplicaSet, DaemonSet and Job controllers call it: a deletion that failed will never
        be observed, so the owner's expectation is lowered at once; NotFound is the deletion already done (no
        event); any other error is FailedDelete "Error deleting: ..." and raised, so the owner resyncs."""
        try:
            await self.client.delete("pods", pod["metadata"]["name"], pod["metadata"]["namespace"])
        except APIError as exc:
            expectations.deletion_observed(key, pod["metadata"]["uid"])
            if exc.code == 404:
                return
            await self.recorder.event(owner, "Warning", "FailedDelete", f"Error deleting: {exc.message}")
            raise
        await self.recorder.event(owner, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")

    async def reconcile(self, key: str) -> None:
        raise NotImplementedError

    async def _worker(self) -> None:
        await process_keys(self.queue, self.name, self.reconcile)

    async def run(self) -> None:
        await self.informers.wait_synced()
        await asyncio.gather(*(self._worker() for _ in range(self.workers)))

"""A small in-process cluster for controller tests: Registry over a MemoryStore, LocalClient, shared informers.

Shared by the workload, garbage collector, namespace, endpoint, node lifecycle and scheduler tests; it holds no
tests itself.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterable

from kubenet.api.errors import APIError
from kubenet.apiserver.registry import Registry
from kubenet.client.informer import Informer
from kubenet.client.local import LocalClient
from kubenet.controllers.base import Informers
from kubenet.scheduler.scheduler import Scheduler
from kubenet.store.memory import MemoryStore
from tests.convergence import settle

READY_AT = "2024-01-01T00:00:00Z"


class Cluster:
    """Controllers running on shared informers; `controllers` are (class, kwargs) or classes.

    `nodes` are created before anything starts; `scheduler=True` also runs the scheduler, which keeps its own
    informers.
    """

    def __init__(self, *controllers, namespaces: Iterable[str] = ("default",), nodes: Iterable[dict] = (),
                 scheduler: bool = False):
        self.store = MemoryStore()
        self.registry = Registry(self.store)
        self.client = LocalClient(self.registry)
        self.informers = Informers(self.client)
        self.controllers = []
        for spec in controllers:
            cls, kwargs = spec if isinstance(spec, tuple) else (spec, {})
            self.controllers.append(cls(self.client, self.informers, **kwargs))
        self.namespaces = namespaces
        self.nodes = nodes
        self.scheduler = Scheduler(self.client) if scheduler else None
        self.tasks: list[asyncio.Task] = []

    async def __aenter__(self):
        for ns in self.namespaces:
            await self.client.create("namespaces", {"metadata": {"name": ns}})
        for node in self.nodes:
            await self.client.create("nodes", node)
        self.tasks = self.informers.start() + [asyncio.create_task(c.run()) for c in self.controllers]
        if self.scheduler:
            self.tasks.append(asyncio.create_task(self.scheduler.run()))
        await self.informers.wait_synced()
        return self

    async def __aexit__(self, *exc):
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def until(self, check, timeout: float = 5.0):
        """Run an async check until it returns something truthy (and return that); a 404 means not there yet.

        It runs again after each write to the store (what most checks read), and at the latest every 0.1 s for
        checks that read something else (a controller's memory): no fixed wait decides the outcome.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        writes = self.store.watch("")
        try:
            while True:
                while writes.get_nowait() is not None:
                    pass  # seen: the check below reads the store as it is now
                try:
                    result = await check()
                except APIError as exc:
                    if exc.code != 404:
                        raise
                    result = None
                if result:
                    return result
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise AssertionError(f"condition not met in {timeout}s: {getattr(check, '__name__', check)}")
                await writes.next(min(remaining, 0.1))
        finally:
            writes.close()

    async def settle(self, timeout: float = 5.0, horizon: float = 0.1) -> None:
        """The barrier before "nothing else happened" assertions (tests/convergence.py): every informer has
        reached the store's revision for its resource, every work queue is empty, nothing is reconciling."""
        await settle(self.store, self._informers(), self._queues(), timeout, horizon)

    def _informers(self) -> list[Informer]:
        scheduler = [self.scheduler.pods, self.scheduler.nodes] if self.scheduler else []
        return self.informers.all() + scheduler

    def _queues(self) -> list:
        return [c.queue for c in self.controllers] + ([self.scheduler.queue] if self.scheduler else [])

    async def list(self, resource: str, ns: str | None = "default") -> list[dict]:
        items, _ = await self.client.list(resource, ns)
        return items

    async def gone(self, resource: str, name: str, ns: str | None = "default") -> bool:
        try:
            await self.client.get(resource, name, ns)
        except APIError as exc:
            return exc.code == 404
        return False

    async def pods(self, ns: str = "default", terminating: bool = False) -> list[dict]:
        return [p for p in await self.list("pods", ns) if terminating or not p["metadata"].get("deletionTimestamp")]

    async def wait_for_pods(self, count: int, ns: str = "default") -> list[dict]:
        """Wait until exactly `count` live (not terminating) Pods exist, and return them."""
        async def pod_count():
            pods = await self.pods(ns)
            return pods if len(pods) == count else None
        return await self.until(pod_count)

    async def events(self, reason: str | None = None, ns: str = "default", involved: str | None = None) -> list[dict]:
        """Events, optionally only those with this reason and about the object named `involved`."""
        return [e for e in await self.list("events", ns)
                if (reason is None or e["reason"] == reason)
                and (involved is None or e["involvedObject"]["name"] == involved)]

    async def bind(self, name: str, node: str = "kubenet-worker", ns: str = "default") -> None:
        """What the scheduler does: POST a Binding to pods/binding."""
        await self.client.create("pods", {"apiVersion": "v1", "kind": "Binding",
                                          "metadata": {"name": name, "namespace": ns},
                                          "target": {"kind": "Node", "name": node}},
                                 ns, subresource="binding", name=name)

    async def bound(self, name: str, ns: str = "default") -> str | None:
        """The node a Pod is bound to, if any."""
        return (await self.client.get("pods", name, ns))["spec"].get("nodeName")

    async def unschedulable(self, name: str, ns: str = "default") -> dict | None:
        """The Pod's PodScheduled condition when the scheduler reported it False."""
        p = await self.client.get("pods", name, ns)
        cond = next((c for c in p["status"].get("conditions") or [] if c["type"] == "PodScheduled"), None)
        return cond if cond and cond["status"] == "False" else None

    async def set_pod_status(self, name: str, ns: str = "default", phase: str = "Running", ready: bool = True,
                             ip: str | None = None, node: str | None = None) -> dict:
        """What the scheduler and kubelet would do: bind, give an IP, report phase and readiness."""
        pod = await self.client.get("pods", name, ns)
        if node and not pod["spec"].get("nodeName"):
            await self.bind(name, node, ns)
            pod = await self.client.get("pods", name, ns)
        status = pod.setdefault("status", {})
        status["phase"] = phase
        if ip:
            status["podIP"] = ip
            status["podIPs"] = [{"ip": ip}]
        conditions = [c for c in status.get("conditions") or [] if c["type"] != "Ready"]
        conditions.append({"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": READY_AT})
        status["conditions"] = conditions
        return await self.client.update("pods", pod, ns, subresource="status")

    async def mark_ready(self, pod: dict) -> None:
        """The kubelet reporting a Pod Running and Ready."""
        await self.set_pod_status(pod["metadata"]["name"], pod["metadata"].get("namespace") or "default")

    async def force_delete(self, name: str, ns: str = "default") -> None:
        """The kubelet finishing a graceful delete: the object goes for good."""
        pod = await self.client.get("pods", name, ns)
        if pod["metadata"].get("finalizers"):
            pod["metadata"]["finalizers"] = []
            await self.client.update("pods", pod, ns)
        try:
            await self.client.delete("pods", name, ns, grace_period_seconds=0)
        except Exception as exc:
            if getattr(exc, "code", None) != 404:
                raise


async def add_node(client, name: str, labels: dict | None = None, taints: list | None = None,
                   ready: bool = True) -> dict:
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": {"taints": taints} if taints else {},
            "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                       "reason": "KubeletReady", "message": "kubelet is posting ready status",
                                       "lastHeartbeatTime": READY_AT, "lastTransitionTime": READY_AT}]}}
    created = await client.create("nodes", node)
    if not created.get("status", {}).get("conditions"):
        created["status"] = node["status"]
        created = await client.update("nodes", created, subresource="status")
    return created


def pod(name: str, labels: dict, ports: list | None = None, hostname: str | None = None,
        subdomain: str | None = None) -> dict:
    container = {"name": "app", "image": "nginx"}
    if ports:
        container["ports"] = ports
    spec: dict = {"containers": [container]}
    if hostname:
        spec["hostname"] = hostname
    if subdomain:
        spec["subdomain"] = subdomain
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels}, "spec": spec}


def service(name: str, selector: dict | None, ports: list | None = None, **spec) -> dict:
    body = {"ports": ports if ports is not None else [{"name": "http", "port": 80, "targetPort": 8080}], **spec}
    if selector is not None:
        body["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


def replicaset(name: str = "web", replicas: int = 3) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def run(story) -> None:
    asyncio.run(story())

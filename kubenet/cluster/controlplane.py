"""The control plane as one object: store → registry → API server, controller-manager and scheduler.

The supervisor runs it beside the nodes; tests run it alone on loopback (`ControlPlane.in_thread`).
"""
from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from kubenet.api.version import GIT_VERSION
from kubenet.apiserver import openapi, sa_tokens
from kubenet.apiserver.pki import PKI, ensure_pki, kubeconfig, write_kubeconfig
from kubenet.apiserver.registry import Registry
from kubenet.apiserver.server import APIServer
from kubenet.client.local import LocalClient
from kubenet.cluster.bootstrap import bootstrap
from kubenet.cluster.config import ClusterConfig, private_dir
from kubenet.controllers.context import ControllerContext
from kubenet.controllers.manager import ControllerManager
from kubenet.scheduler.scheduler import Scheduler
from kubenet.store import SQLiteStore


def cluster_pki(config: ClusterConfig) -> PKI:
    c = config
    return ensure_pki(c.data / "pki", ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                                       f"kubernetes.default.svc.{c.cluster_domain}"],
                      ["127.0.0.1", c.host_ip, c.kubernetes_service_ip])


class ControlPlane:
    def __init__(self, config: ClusterConfig, hosts: list[str] | None = None):
        self.config = config
        self.hosts = hosts or ["127.0.0.1"]
        self.node_agents: dict = {}
        self.tasks: list[asyncio.Task] = []

    async def start(self, with_dns: bool = True) -> LocalClient:
        c = self.config
        private_dir(c.data)
        self.pki = cluster_pki(c)
        self.sa_key = sa_tokens.ensure_key(self.pki.dir)  # signs ServiceAccount tokens (TokenRequest, in the API server)
        openapi.set_cache_dir(str(c.data / "openapi"))  # generated on first use; goes with the cluster
        write_kubeconfig(c.admin_kubeconfig, kubeconfig(self.pki, c.name, f"https://127.0.0.1:{c.api_port}"))
        self.store = SQLiteStore(str(c.data / "store.db"))
        self.registry = Registry(self.store, c.service_cidr, c.node_port_range, c.dns_ip)
        self.apiserver = APIServer(self.registry, self.pki, f"{c.host_ip}:{c.api_port}",
                                   node_agents=self.node_agents)
        await self.apiserver.start(self.hosts, c.api_port)
        logging.getLogger("kubenet.apiserver").info("Serving securely on %s", ", ".join(
            f"{h}:{c.api_port}" for h in self.hosts))
        self.client = LocalClient(self.registry, token_issuer=self.apiserver.token_issuer)
        await bootstrap(self.client, c, with_addons=with_dns)
        self.controllers = ControllerManager(self.client, context=ControllerContext(
            cluster_cidr=c.pod_cidr, service_cidr=c.service_cidr, cluster_domain=c.cluster_domain, lb_pool=c.lb_range,
            root_ca=self.pki.ca_cert.read_text()))
        self.controllers.start()
        logging.getLogger("kubenet.controllers").info("Started controllers: %s", ", ".join(
            c.name for c in self.controllers.controllers))
        self.tasks.append(asyncio.create_task(Scheduler(self.client).run(), name="scheduler"))
        logging.getLogger("kubenet.scheduler").info("Starting Kubernetes Scheduler version=%s", GIT_VERSION)
        # Build the OpenAPI documents in the background, so the first `kubectl apply` need not wait for them.
        self.tasks.append(asyncio.create_task(asyncio.to_thread(openapi.ensure_built), name="openapi"))
        return self.client

    async def stop(self) -> None:
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.controllers.stop()
        self.store.close_watchers()  # open watch streams end now instead of holding the shutdown
        await self.apiserver.stop()
        self.store.close()

    # --- for tests: the control plane on its own loop in a thread ------------------------------------
    @classmethod
    def in_thread(cls, config: ClusterConfig) -> ThreadedControlPlane:
        return ThreadedControlPlane(cls(config))


class ThreadedControlPlane:
    def __init__(self, plane: ControlPlane):
        self.plane = plane
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="control-plane", daemon=True)

    @property
    def kubeconfig(self) -> Path:
        return self.plane.config.admin_kubeconfig

    def run(self, coro, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> ThreadedControlPlane:
        self.thread.start()
        self.run(self.plane.start(with_dns=False))
        return self

    def stop(self) -> None:
        try:
            self.run(self.plane.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)

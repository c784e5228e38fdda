"""kube-controller-manager: every controller over one set of shared informers."""
from __future__ import annotations

import asyncio
import importlib
import logging

from kubenet.client.base import Client
from kubenet.controllers.base import Controller, Informers
from kubenet.controllers.context import ControllerContext

log = logging.getLogger(__name__)

# Each module defines CONTROLLER = <its Controller subclass>.
CONTROLLER_MODULES = ["deployment", "replicaset", "replication", "garbagecollector", "namespace", "serviceaccount",
                      "rootcacertpublisher", "endpointslice", "endpoints", "statefulset", "daemonset", "job",
                      "cronjob", "nodelifecycle", "nodeipam", "loadbalancer"]


def available_controllers() -> list[type[Controller]]:
    return [importlib.import_module(f"kubenet.controllers.{name}").CONTROLLER for name in CONTROLLER_MODULES]


class ControllerManager:
    def __init__(self, client: Client, only: list[str] | None = None, context: ControllerContext | None = None):
        self.client = client
        self.context = context or ControllerContext()
        self.informers = Informers(client)
        classes = available_controllers()
        if only is not None:
            classes = [c for c in classes if c.name in only]
        self.controllers = [cls.from_context(client, self.informers, self.context) for cls in classes]
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self._tasks = self.informers.start()
        self._tasks += [asyncio.create_task(c.run(), name=f"controller-{c.name}") for c in self.controllers]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

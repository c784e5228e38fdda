"""Stop and restart the control plane: every object comes back with its resourceVersion, allocations hold,
and a watch resumed from a recent revision sees only what came after it."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from kubenet.api.errors import APIError
from kubenet.client.http import HTTPClient
from kubenet.cluster.config import ClusterConfig
from kubenet.cluster.controlplane import ControlPlane
from tests.e2e.conftest import free_port


def configmap(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": name}}


async def watch_names(kubeconfig, resource_version: str, create: str | None) -> list[tuple[str, str]]:
    client = HTTPClient(str(kubeconfig))
    seen: list[tuple[str, str]] = []
    try:
        async def collect():
            async for etype, obj in client.watch("configmaps", "default", resource_version, timeout_seconds=3):
                seen.append((etype, obj["metadata"]["name"]))
                if obj["metadata"]["name"] == create:
                    return
        task = asyncio.create_task(collect())
        # No wait for the watch to be open: it starts from resource_version, so a write after that revision
        # reaches it whether it lands before or after the watch request does.
        if create:
            await client.create("configmaps", configmap(create), "default")
        await asyncio.wait_for(task, 5)
    finally:
        await client.close()
    return seen


def test_objects_and_watch_survive_a_restart(tmp_path):
    config = ClusterConfig(name=f"r{uuid.uuid4().hex[:6]}", nodes=0, data_dir=str(tmp_path), api_port=free_port())
    first = ControlPlane.in_thread(config).start()
    try:
        client = first.plane.client
        created = {n: first.run(client.create("configmaps", configmap(n), "default")) for n in ("a", "b", "c")}
        svc = first.run(client.create("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                                                   "spec": {"type": "NodePort", "ports": [{"port": 80}]}}, "default"))
    finally:
        first.stop()

    second = ControlPlane.in_thread(config).start()
    try:
        client = second.plane.client
        for name, obj in created.items():
            back = second.run(client.get("configmaps", name, "default"))
            assert back["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]
            assert back["metadata"]["uid"] == obj["metadata"]["uid"]
        # The allocations are rebuilt from the store: the same ClusterIP and NodePort cannot be handed out again.
        clash = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "clash"},
                 "spec": {"type": "NodePort", "clusterIP": svc["spec"]["clusterIP"],
                          "ports": [{"port": 80, "nodePort": svc["spec"]["ports"][0]["nodePort"]}]}}
        with pytest.raises(APIError, match="already allocated"):
            second.run(client.create("services", clash, "default"))
        # A watch resumed from b's revision sees c (written after it) and then new events, nothing older.
        since = created["b"]["metadata"]["resourceVersion"]
        seen = asyncio.run(watch_names(second.kubeconfig, since, "d"))
        names = [n for _, n in seen]
        assert "a" not in names and "b" not in names
        assert names[:1] == ["c"] and ("ADDED", "d") in seen
    finally:
        second.stop()

"""The API server reaches nodes only through the node-agent protocol (kubenet/api/node_agent.py): pods/log and
pods/portforward served from an agent that is not a kubelet at all, its refusals answered as the 400 users see."""
from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp

from kubenet.api.errors import StreamError
from kubenet.apiserver.registry import Registry
from kubenet.apiserver.server import APIServer
from kubenet.client.base import resolve
from kubenet.store import MemoryStore


class RecordingAgent:
    """A NodeAgent that serves a fixed log and records what it was asked."""

    node_name = "n1"

    def __init__(self) -> None:
        self.asked: list[tuple] = []

    async def logs(self, pod: dict, container: str, follow: bool = False, previous: bool = False,
                   tail_lines: int | None = None, timestamps: bool = False,
                   limit_bytes: int | None = None) -> AsyncIterator[bytes]:
        self.asked.append((pod["metadata"]["name"], container, follow, previous, tail_lines))
        if previous:
            raise StreamError(f'previous terminated container "{container}" in pod "{pod["metadata"]["name"]}" '
                              "not found")

        async def chunks() -> AsyncIterator[bytes]:
            yield b"one\n"
            yield b"two\n"
        return chunks()

    async def exec(self, pod, container, command, tty):
        raise StreamError("not here")

    async def attach(self, pod, container, stdin):
        raise StreamError("not here")

    async def open_connection(self, pod, port):
        raise StreamError(f"dial tcp 10.244.0.9:{port}: connect: connection refused")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_pod_logs_come_from_the_pods_node_agent():
    async def story() -> list:
        registry = Registry(MemoryStore())
        registry.create(resolve("namespaces"), None, {"metadata": {"name": "default"}})
        for name, node in (("web", "n1"), ("far", "n2")):
            registry.create(resolve("pods"), "default", {"metadata": {"name": name}, "spec": {
                "nodeName": node, "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}})
        agent = RecordingAgent()
        server = APIServer(registry, node_agents={"n1": agent})
        port = _free_port()
        await server.start(["127.0.0.1"], port, tls=False)
        base = f"http://127.0.0.1:{port}/api/v1/namespaces/default/pods"
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{base}/web/log?tailLines=5") as resp:
                    answers = [(resp.status, await resp.text())]
                async with http.get(f"{base}/web/log?previous=true") as resp:
                    answers.append((resp.status, (await resp.json())["message"]))
                async with http.get(f"{base}/far/log") as resp:
                    answers.append((resp.status, (await resp.json())["message"]))
        finally:
            await server.stop()
        return answers + [agent.asked]

    assert asyncio.run(story()) == [
        (200, "one\ntwo\n"),
        (400, 'previous terminated container "c" in pod "web" not found'),
        (400, "node n2 is not reachable"),
        [("web", "c", False, False, 5), ("web", "c", False, True, None)]]

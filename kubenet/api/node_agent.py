"""The node-agent protocol: what the API server asks of a node's kubelet for pods/log, pods/exec, pods/attach and
pods/portforward (upstream: the kubelet's /containerLogs, /exec, /attach and /portForward endpoints, reached on
the port the Node's status.daemonEndpoints.kubeletEndpoint names). The API server holds one NodeAgent per node
name and knows nothing else of the kubelet; the supervisor's kubelets implement it in-process.

Every call raises StreamError (kubenet/api/errors.py) for what the user should read, which the API server answers
as a 400, as the real one relays the kubelet's refusal."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol


class ContainerStream(Protocol):
    """An exec'd process or an attach session, carried over the channel protocol: output() yields (channel, data)
    with 1 stdout and 2 stderr; wait() the exit code once the output ends."""

    def output(self) -> AsyncIterator[tuple[int, bytes]]: ...

    async def write_stdin(self, data: bytes) -> None: ...

    def close_stdin(self) -> None: ...

    def resize(self, width: int, height: int) -> None: ...

    async def wait(self) -> int: ...

    def hang_up(self) -> None:
        """The client went away: exec kills its process, attach detaches."""

    def close(self) -> None: ...


class AttachStream(ContainerStream, Protocol):
    stdin: bool  # whether the client's stdin reaches the container (the container and the client both asked)


class NodeAgent(Protocol):
    node_name: str

    async def logs(self, pod: dict, container: str, follow: bool = False, previous: bool = False,
                   tail_lines: int | None = None, timestamps: bool = False,
                   limit_bytes: int | None = None) -> AsyncIterator[bytes]:
        """The container's log as chunks; checked (StreamError) before the first chunk is asked for."""

    async def exec(self, pod: dict, container: str, command: list[str], tty: bool) -> ContainerStream: ...

    async def attach(self, pod: dict, container: str, stdin: bool) -> AttachStream: ...

    async def open_connection(self, pod: dict, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A TCP connection to the Pod's port (pods/portforward)."""

"""HTTP /health and /ready, as CoreDNS's `health` (:8080) and `ready` (:8181) plugins serve them.

A few lines of asyncio instead of aiohttp: kubelet probes send one GET per connection, and the DNS Pod's
memory counts against the idle cluster budget (importing aiohttp alone costs several MB).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable


class HealthServer:
    def __init__(self, ready: Callable[[], bool], host: str = "0.0.0.0", port: int = 8080) -> None:
        self.ready = ready
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._connection, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def status(self, path: str) -> tuple[int, str]:
        if path == "/health":
            return 200, "OK"  # the process is up and its loop answers
        if path == "/ready":
            # ready once the kubernetes plugin has synced, so a Service sends no queries before then
            return (200, "OK") if self.ready() else (503, "kubernetes")
        return 404, "404 page not found"

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
            parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            path = parts[1].split("?", 1)[0] if len(parts) >= 2 else "/"
            code, body = self.status(path)
            reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[code]
            writer.write(
                f"HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}".encode()
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # a probe that hung up or sent garbage gets nothing
        finally:
            writer.close()

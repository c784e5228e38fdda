"""NodePorts on the host's localhost, as Docker Desktop publishes them: a TCP relay from 127.0.0.1:<nodePort>
to a node's IP:<nodePort>, where kube-proxy's rules take over."""
from __future__ import annotations

import asyncio
import logging

from kubenet.client.informer import Informer

log = logging.getLogger(__name__)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction until EOF, then pass the EOF on as a half-close (FIN), as a TCP proxy must:
    a client that shuts down its sending side (`nc -N`, HTTP/1.0 tools) still waits for the answer."""
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()
    else:
        writer.close()


class LocalhostNodePorts:
    def __init__(self, services: Informer, node_ips: list[str], host: str = "127.0.0.1"):
        self.services = services
        self.node_ips = node_ips
        self.host = host
        self.servers: dict[int, asyncio.base_events.Server] = {}
        services.add_handlers(lambda s: self.resync(), lambda o, n: self.resync(), lambda s: self.resync())

    def wanted(self) -> set[int]:
        ports = set()
        for svc in self.services.list():
            if svc["spec"].get("type") in ("NodePort", "LoadBalancer"):
                for p in svc["spec"].get("ports") or []:
                    if p.get("nodePort") and p.get("protocol", "TCP") == "TCP":
                        ports.add(p["nodePort"])
        return ports

    def resync(self) -> None:
        asyncio.get_running_loop().create_task(self._resync())

    async def _resync(self) -> None:
        if not self.node_ips:
            return
        wanted = self.wanted()
        for port in set(self.servers) - wanted:
            self.servers.pop(port).close()
        for port in wanted - set(self.servers):
            try:
                self.servers[port] = await asyncio.start_server(
                    lambda r, w, p=port: self._relay(r, w, p), self.host, port, reuse_address=True)
            except OSError as exc:
                log.warning("localhost:%d for a NodePort: %s", port, exc)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        for ip in self.node_ips:
            try:
                up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(ip, port), 3)
                break
            except (TimeoutError, OSError) as exc:
                log.debug("NodePort %d via %s: %s", port, ip, exc)
        else:
            writer.close()
            return
        pipes = [asyncio.ensure_future(_pipe(reader, up_writer)), asyncio.ensure_future(_pipe(up_reader, writer))]
        try:
            # Both directions end at EOF; an error in either (a reset) ends the whole connection.
            done, _ = await asyncio.wait(pipes, return_when=asyncio.FIRST_EXCEPTION)
            for pipe in done:
                if pipe.exception() is not None:
                    log.debug("NodePort %d relay ended: %s", port, pipe.exception())
        finally:
            for pipe in pipes:
                pipe.cancel()
            for side in (writer, up_writer):
                side.close()
            await asyncio.gather(*pipes, return_exceptions=True)

    def close(self) -> None:
        for server in self.servers.values():
            server.close()
        self.servers.clear()

"""NodePorts on the host's localhost, as Docker Desktop publishes them: a TCP relay from 127.0.0.1:<nodePort>
to a node's IP:<nodePort>, where kube-proxy's rules take over.

kube-proxy programs a new Service (or its first ready endpoints) a little after the EndpointSlice says they
are ready: its sync is rate-limited (min-sync-period 1 s, burst 2) and takes a few ms. A client that arrives
in that gap would meet a refused connect on the node. While the Service has endpoints kube-proxy will route
to, the relay holds such a client and retries the node for a bounded time instead of dropping it; with none,
it closes the client at once (what a refused NodePort looks like through a userland proxy)."""
from __future__ import annotations

import asyncio
import logging

from kubenet.client.informer import Informer
from kubenet.proxy.endpoints import endpoints_from_slices, service_name_of_slice

log = logging.getLogger(__name__)

HOLD_SECONDS = 5.0  # how long a client waits for rules that are not programmed yet
CONNECT_TIMEOUT = 1.0  # per attempt: a SYN lost to a vanished endpoint is retried on a new connection
RETRY_INTERVAL = 0.05


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
    def __init__(self, services: Informer, endpoint_slices: Informer, node_ips: list[str], host: str = "127.0.0.1",
                 hold_seconds: float = HOLD_SECONDS):
        self.services = services
        self.endpoint_slices = endpoint_slices
        self.node_ips = node_ips
        self.host = host
        self.hold_seconds = hold_seconds
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

    def has_endpoints(self, node_port: int) -> bool:
        """Whether the Service port behind this TCP nodePort has an endpoint kube-proxy routes to: a ready one,
        or, with none ready, a serving-and-terminating one (KEP-1669), as categorize_endpoints chooses."""
        port_names: dict[str, set[str]] = {}  # "ns/svc" -> names of its ports that use this nodePort
        for svc in self.services.list():
            for p in svc["spec"].get("ports") or []:
                if p.get("nodePort") == node_port and p.get("protocol", "TCP") == "TCP":
                    meta = svc["metadata"]
                    port_names.setdefault(f"{meta.get('namespace') or 'default'}/{meta['name']}", set()).add(
                        p.get("name") or "")
        if not port_names:
            return False
        slices = [s for s in self.endpoint_slices.list() if service_name_of_slice(s) in port_names]
        return any(
            port.protocol == "TCP" and port.port in port_names[f"{port.namespace}/{port.name}"]
            and any(ep.ready or (ep.serving and ep.terminating) for ep in endpoints)
            for port, endpoints in endpoints_from_slices(slices, "").items())

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

    async def _connect(self, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection to some node's IP:port. A refused or lost connect is retried (each node in turn) for
        up to hold_seconds while the Service has endpoints, since then it only means kube-proxy has not
        programmed them yet, or an endpoint went away and a new connection picks another one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.hold_seconds
        while True:
            for ip in self.node_ips:
                try:
                    timeout = max(0.05, min(CONNECT_TIMEOUT, deadline - loop.time()))
                    return await asyncio.wait_for(asyncio.open_connection(ip, port), timeout)
                except (TimeoutError, OSError) as exc:
                    log.debug("NodePort %d via %s: %s", port, ip, exc)
            if loop.time() + RETRY_INTERVAL >= deadline or not self.has_endpoints(port):
                return None
            await asyncio.sleep(RETRY_INTERVAL)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        upstream = await self._connect(port)
        if upstream is None:
            writer.close()
            return
        up_reader, up_writer = upstream
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

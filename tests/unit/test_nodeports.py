"""The localhost NodePort relay behaves like a TCP proxy: half-closes pass through, errors end both sides.

Two asyncio servers on 127.0.0.1 stand in for the relay and for a node's IP:<nodePort>."""
from __future__ import annotations

import asyncio
import socket
import struct

from kubenet.cluster.nodeports import LocalhostNodePorts


class NoServices:
    def add_handlers(self, *handlers) -> None:
        pass

    def list(self) -> list:
        return []


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 10))


async def relay_to(upstream_port: int, node_ips: list[str] | None = None) -> tuple[asyncio.Server, int]:
    relay = LocalhostNodePorts(NoServices(), node_ips or ["127.0.0.1"])
    server = await asyncio.start_server(lambda r, w: relay._relay(r, w, upstream_port), "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def listen(handler) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_a_client_that_half_closes_still_gets_the_answer():
    """printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -N localhost PORT: the request ends with a FIN, then the reply."""
    async def http10_server(reader, writer):
        request = await reader.read()  # until the client's EOF, as a request-until-EOF server does
        writer.write(b"HTTP/1.0 200 OK\r\n\r\nyou sent " + str(len(request)).encode())
        await writer.drain()
        writer.close()

    async def story():
        upstream, upstream_port = await listen(http10_server)
        relay, port = await relay_to(upstream_port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        writer.write_eof()
        answer = await reader.read()
        writer.close()
        relay.close()
        upstream.close()
        return answer

    assert run(story()) == b"HTTP/1.0 200 OK\r\n\r\nyou sent 18"


def test_a_reset_client_ends_the_upstream_connection_too():
    async def story():
        ended = asyncio.Event()

        async def holding_server(reader, writer):
            await reader.read()  # EOF once the relay lets go of this connection
            ended.set()
            writer.close()

        upstream, upstream_port = await listen(holding_server)
        relay, port = await relay_to(upstream_port)
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"hello")
        await asyncio.sleep(0.1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # with linger 0: a reset, not a FIN
        await asyncio.wait_for(ended.wait(), 3)
        relay.close()
        upstream.close()

    run(story())


def test_an_unreachable_node_port_closes_the_client():
    async def story():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed_port = s.getsockname()[1]  # nothing listens here once the socket closes
        relay, port = await relay_to(closed_port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answer = await reader.read()
        writer.close()
        relay.close()
        return answer

    assert run(story()) == b""


def test_both_directions_stream_until_both_are_done():
    async def echo_then_close(reader, writer):
        while data := await reader.read(65536):
            writer.write(data.upper())
            await writer.drain()
        writer.write(b"|bye")
        await writer.drain()
        writer.close()

    async def story():
        upstream, upstream_port = await listen(echo_then_close)
        relay, port = await relay_to(upstream_port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping")
        first = await reader.readexactly(4)
        writer.write(b"x" * 300_000)
        writer.write_eof()
        rest = await reader.read()
        writer.close()
        relay.close()
        upstream.close()
        return first, rest

    first, rest = run(story())
    assert first == b"PING" and rest == b"X" * 300_000 + b"|bye"

"""The localhost NodePort relay behaves like a TCP proxy: half-closes pass through, errors end both sides; a
client that arrives before kube-proxy has programmed a Service with ready endpoints is held, not dropped.

Two asyncio servers on 127.0.0.1 stand in for the relay and for a node's IP:<nodePort>."""
from __future__ import annotations

import asyncio
import socket
import struct
import time

from kubenet.cluster.nodeports import LocalhostNodePorts
from tests.waiting import eventually


class Objects:
    """An informer's cache, fixed."""

    def __init__(self, *objects: dict):
        self.objects = list(objects)

    def add_handlers(self, *handlers) -> None:
        pass

    def list(self) -> list:
        return self.objects


def node_port_service(node_port: int, name: str = "web", port_name: str = "") -> dict:
    return {"metadata": {"name": name, "namespace": "default"},
            "spec": {"type": "NodePort", "ports": [{"name": port_name, "port": 80, "targetPort": 8080,
                                                    "protocol": "TCP", "nodePort": node_port}]}}


def endpoint_slice(service: str = "web", port_name: str = "", **conditions: bool) -> dict:
    return {"metadata": {"name": f"{service}-abcde", "namespace": "default",
                         "labels": {"kubernetes.io/service-name": service}},
            "addressType": "IPv4", "ports": [{"name": port_name, "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": ["10.244.0.5"], "conditions": conditions}]}


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 10))


async def relay_to(upstream_port: int, node_ips: list[str] | None = None, services: Objects | None = None,
                   slices: Objects | None = None, hold_seconds: float = 5.0) -> tuple[asyncio.Server, int]:
    relay = LocalhostNodePorts(services or Objects(), slices or Objects(), node_ips or ["127.0.0.1"],
                               hold_seconds=hold_seconds)
    server = await asyncio.start_server(lambda r, w: relay._relay(r, w, upstream_port), "127.0.0.1", 0)
    server.relay = relay  # for tests that look inside
    return server, server.sockets[0].getsockname()[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket closes


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
        ended, relayed = asyncio.Event(), asyncio.Event()

        async def holding_server(reader, writer):
            assert await reader.readexactly(5) == b"hello"
            relayed.set()
            await reader.read()  # EOF once the relay lets go of this connection
            ended.set()
            writer.close()

        upstream, upstream_port = await listen(holding_server)
        relay, port = await relay_to(upstream_port)
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"hello")
        await asyncio.wait_for(relayed.wait(), 3)  # both connections are up
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # with linger 0: a reset, not a FIN
        await asyncio.wait_for(ended.wait(), 3)
        relay.close()
        upstream.close()

    run(story())


def answer_from_a_refusing_node(ready: bool, hold_seconds: float = 5.0) -> tuple[bytes, float]:
    """What a client of the relay gets, and after how long, when the node refuses the nodePort throughout."""
    async def story():
        upstream_port = closed_port()
        relay, port = await relay_to(upstream_port, services=Objects(node_port_service(upstream_port)),
                                     slices=Objects(endpoint_slice(ready=ready)), hold_seconds=hold_seconds)
        started = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answer = await reader.read()
        writer.close()
        relay.close()
        return answer, time.monotonic() - started
    return run(story())


def test_an_unreachable_node_port_without_endpoints_closes_the_client_at_once():
    answer, took = answer_from_a_refusing_node(ready=False)
    assert answer == b"" and took < 0.5


def test_a_client_is_held_until_the_rules_for_ready_endpoints_are_programmed():
    """`make up`: rollout status returns, curl comes at once, kube-proxy's sync is a few hundred ms behind."""
    async def story():
        upstream_port = closed_port()
        relay, port = await relay_to(upstream_port, services=Objects(node_port_service(upstream_port)),
                                     slices=Objects(endpoint_slice(ready=True)))
        refused = []
        has_endpoints = relay.relay.has_endpoints
        relay.relay.has_endpoints = lambda p: refused.append(p) or has_endpoints(p)  # asked after each refusal
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        await eventually(lambda: len(refused) >= 2)  # the node refuses until its rules land; the client waits

        async def page(r, w):
            await r.readuntil(b"\r\n\r\n")
            w.write(b"HTTP/1.0 200 OK\r\n\r\nIt works!")
            await w.drain()
            w.close()
        upstream = await asyncio.start_server(page, "127.0.0.1", upstream_port)
        answer = await reader.read()
        writer.close()
        relay.close()
        upstream.close()
        return answer

    assert run(story()) == b"HTTP/1.0 200 OK\r\n\r\nIt works!"


def test_a_held_client_is_closed_after_the_hold_time():
    answer, took = answer_from_a_refusing_node(ready=True, hold_seconds=0.5)
    assert answer == b"" and 0.4 < took < 2


def test_which_endpoints_count_as_routed_to():
    def has(*slices: dict, port_name: str = "") -> bool:
        relay = LocalhostNodePorts(Objects(node_port_service(30080, port_name=port_name)), Objects(*slices),
                                   ["127.0.0.1"])
        return relay.has_endpoints(30080)

    assert has(endpoint_slice())  # unset conditions mean ready
    assert has(endpoint_slice(ready=True))
    assert not has(endpoint_slice(ready=False, serving=False))
    assert not has(endpoint_slice(ready=False, serving=True))  # serving but not terminating: starting up
    assert has(endpoint_slice(ready=False, serving=True, terminating=True))  # kube-proxy's fallback
    assert not has(endpoint_slice(service="other"))
    assert not has(endpoint_slice(port_name="metrics"), port_name="http")
    assert has(endpoint_slice(port_name="http"), port_name="http")
    assert not has()


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

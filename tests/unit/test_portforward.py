"""The port-forward protocol over SPDY as kubectl drives it, against a fake kubelet that dials a local echo server."""
from __future__ import annotations

import asyncio

from kubenet.api.errors import StreamError
from kubenet.apiserver.portforward import PortForwardSession
from kubenet.apiserver.spdy import FLAG_FIN, DataFrame, RstStatus, RstStream, SynReply, SynStream
from tests.unit.test_spdy import Peer

POD = {"metadata": {"name": "web", "namespace": "default", "uid": "1234"}}


class FakeKubelet:
    """Port 80 of the Pod is a local echo server; every other port refuses."""

    def __init__(self, echo_port: int):
        self.echo_port = echo_port

    async def open_connection(self, pod: dict, port: int):
        if port != 80:
            raise StreamError(f"dial tcp 10.244.0.5:{port}: connect: connection refused")
        return await asyncio.open_connection("127.0.0.1", self.echo_port)


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


def streams_for(request_id: int, port: int, first_id: int) -> list:
    """kubectl's pair: the error stream (half-closed at once), then the data stream."""
    headers = {"port": [str(port)], "requestid": [str(request_id)]}
    return [SynStream(first_id, {**headers, "streamtype": ["error"]}), DataFrame(first_id, b"", FLAG_FIN),
            SynStream(first_id + 2, {**headers, "streamtype": ["data"]})]


async def frames_until(peer: Peer, done) -> list:
    seen = []
    while not done(seen):
        seen.append(await peer.next_frame())
    return seen


def test_bytes_go_to_the_pod_and_back_and_both_streams_finish():
    async def story():
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        peer = Peer()
        session = PortForwardSession(FakeKubelet(server.sockets[0].getsockname()[1]), POD)
        task = asyncio.create_task(session.serve(peer.to_server.get, peer.server_write))
        peer.send(*streams_for(0, 80, 1))
        peer.send(DataFrame(3, b"GET / HTTP/1.0\r\n\r\n"), DataFrame(3, b"", FLAG_FIN))
        seen = await frames_until(peer, lambda s: DataFrame(1, b"", FLAG_FIN) in s and DataFrame(3, b"", FLAG_FIN) in s)
        assert SynReply(1, {}) in seen and SynReply(3, {}) in seen
        assert b"".join(f.data for f in seen if isinstance(f, DataFrame) and f.stream_id == 3) == \
            b"GET / HTTP/1.0\r\n\r\n"
        assert not [f for f in seen if isinstance(f, DataFrame) and f.stream_id == 1 and f.data]  # no error
        peer.hang_up()
        await task
        server.close()
    asyncio.run(story())


def test_a_refused_connection_is_written_on_the_error_stream():
    async def story():
        peer = Peer()
        task = asyncio.create_task(PortForwardSession(FakeKubelet(1), POD).serve(peer.to_server.get,
                                                                                 peer.server_write))
        peer.send(*streams_for(7, 8080, 1))
        seen = await frames_until(peer, lambda s: DataFrame(1, b"", FLAG_FIN) in s)
        message = b"".join(f.data for f in seen if isinstance(f, DataFrame) and f.stream_id == 1)
        assert message == (b"error forwarding port 8080 to pod web, uid 1234: "
                           b"dial tcp 10.244.0.5:8080: connect: connection refused")
        peer.hang_up()
        await task
    asyncio.run(story())


def test_streams_without_port_or_type_are_reset():
    async def story():
        peer = Peer()
        task = asyncio.create_task(PortForwardSession(FakeKubelet(1), POD).serve(peer.to_server.get,
                                                                                 peer.server_write))
        peer.send(SynStream(1, {"streamtype": ["data"]}), SynStream(3, {"port": ["80"], "streamtype": ["video"]}))
        assert await peer.next_frame() == RstStream(1, RstStatus.PROTOCOL_ERROR)
        assert await peer.next_frame() == RstStream(3, RstStatus.PROTOCOL_ERROR)
        peer.hang_up()
        await task
    asyncio.run(story())


def test_many_connections_share_one_session():
    async def story():
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        peer = Peer()
        task = asyncio.create_task(PortForwardSession(FakeKubelet(server.sockets[0].getsockname()[1]), POD)
                                   .serve(peer.to_server.get, peer.server_write))
        for n in range(10):  # request n uses streams 4n+1 (error) and 4n+3 (data)
            peer.send(*streams_for(n, 80, 4 * n + 1))
        for n in range(10):
            peer.send(DataFrame(4 * n + 3, f"connection {n}".encode(), FLAG_FIN))
        seen = await frames_until(peer, lambda s: sum(1 for f in s if isinstance(f, DataFrame) and f.flags) == 20)
        for n in range(10):
            echoed = b"".join(f.data for f in seen if isinstance(f, DataFrame) and f.stream_id == 4 * n + 3)
            assert echoed == f"connection {n}".encode()
        peer.hang_up()
        await task
        server.close()
    asyncio.run(story())

"""pods/portforward: the port-forward protocol (`portforward.k8s.io`) over a SPDY/3.1 session.

kubectl reaches it two ways: a WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io` whose binary messages
carry the SPDY bytes (KEP-4006, tried first), or a plain `Upgrade: SPDY/3.1` answered with 101.
Per forwarded connection kubectl opens two streams with the same `requestID` and `port` headers: `streamType:
error`, which it half-closes at once and reads to the end for an error message, and `streamType: data`. Like the
kubelet (pkg/kubelet/cri/streaming/portforward/httpstream.go) we reply to each, connect to the Pod's port once
both have arrived, copy bytes both ways, and finish the error stream (empty unless the connection failed).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiohttp import WSMsgType, web

from kubenet.api import errors
from kubenet.api.errors import StreamError
from kubenet.api.node_agent import NodeAgent
from kubenet.apiserver.spdy import RstStatus
from kubenet.apiserver.spdy_session import MAX_DATA_FRAME, SPDYSession, SPDYStream, StreamClosed

log = logging.getLogger(__name__)
PROTOCOL = "portforward.k8s.io"
TUNNEL_PROTOCOL = "SPDY/3.1+" + PROTOCOL
STREAM_CREATION_TIMEOUT = 30.0  # the kubelet's default streamCreationTimeout


@dataclass
class _StreamPair:
    request_id: str
    error: SPDYStream | None = None
    data: SPDYStream | None = None
    expiry: asyncio.Task | None = None

    @property
    def complete(self) -> bool:
        return self.error is not None and self.data is not None


class PortForwardSession:
    """Serves one upgraded pods/portforward connection for one Pod."""

    def __init__(self, kubelet: NodeAgent, pod: dict):
        self.kubelet = kubelet
        self.pod = pod
        self.pairs: dict[str, _StreamPair] = {}
        self._tasks: set[asyncio.Task] = set()

    async def serve(self, read_bytes, write_bytes) -> None:
        session = SPDYSession(read_bytes, write_bytes, self._on_stream)
        try:
            await session.run()
        finally:
            tasks = list(self._tasks) + [p.expiry for p in self.pairs.values() if p.expiry]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- streams ---------------------------------------------------------------------------------------
    async def _on_stream(self, stream: SPDYStream) -> None:
        port, stream_type = stream.header("port"), stream.header("streamType")
        if not port.isdigit() or not 0 < int(port) < 65536 or stream_type not in ("error", "data"):
            log.info("portforward: refusing stream %d (port %r, streamType %r)", stream.stream_id, port, stream_type)
            await stream.reset(RstStatus.PROTOCOL_ERROR)
            return
        # Clients before request IDs: the error stream's id names the pair, its data stream comes right after.
        request_id = stream.header("requestID") or str(stream.stream_id - (2 if stream_type == "data" else 0))
        await stream.reply()
        pair = self.pairs.get(request_id)
        if pair is None:
            pair = self.pairs[request_id] = _StreamPair(request_id)
            pair.expiry = self._spawn(self._expire(pair))
        if getattr(pair, stream_type) is not None:
            await _finish(stream, f"error processing stream for request {request_id}: {stream_type} stream "
                                  "already assigned")
            return
        setattr(pair, stream_type, stream)
        if pair.complete:
            del self.pairs[request_id]
            pair.expiry.cancel()
            self._spawn(self._forward(pair, int(port)))

    async def _expire(self, pair: _StreamPair) -> None:
        await asyncio.sleep(STREAM_CREATION_TIMEOUT)
        if self.pairs.get(pair.request_id) is pair:
            del self.pairs[pair.request_id]
            for stream in (pair.error, pair.data):
                if stream is not None:
                    await _finish(stream, f"(request={pair.request_id}) timed out waiting for streams")

    async def _forward(self, pair: _StreamPair, port: int) -> None:
        meta = self.pod["metadata"]
        try:
            try:
                reader, writer = await self.kubelet.open_connection(self.pod, port)
            except (OSError, StreamError) as exc:
                message = f"error forwarding port {port} to pod {meta['name']}, uid {meta['uid']}: {exc}"
                log.info("portforward: %s", message)
                await _finish(pair.error, message)
                return
            try:
                await _pipe(pair.data, reader, writer)
            finally:
                writer.close()
        finally:
            await _finish(pair.error)
            await _finish(pair.data)


async def _pipe(stream: SPDYStream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy the data stream to the Pod and back; half-closes travel both ways (FIN ↔ TCP shutdown)."""
    async def to_pod() -> None:
        try:
            while data := await stream.read():
                writer.write(data)
                await writer.drain()
            if stream.reset_status is None and writer.can_write_eof():
                writer.write_eof()
        except ConnectionError:  # the Pod stopped reading: drop what kubectl still sends, or the session stalls
            while await stream.read():
                pass

    async def to_client() -> None:
        try:
            while data := await reader.read(MAX_DATA_FRAME):
                await stream.write(data)
            await stream.close()
        except (ConnectionError, StreamClosed):
            pass

    upload, download = asyncio.create_task(to_pod()), asyncio.create_task(to_client())
    try:
        await asyncio.wait({upload, download}, return_when=asyncio.FIRST_COMPLETED)
        if upload.done() and stream.reset_status is not None:
            download.cancel()  # kubectl reset the stream: nobody is left to read the Pod's answer
        await asyncio.gather(upload, download, return_exceptions=True)
    finally:
        upload.cancel()
        download.cancel()


async def _finish(stream: SPDYStream, message: str = "") -> None:
    """Write an error message (if any) and our FIN; the peer may already have reset the stream or gone."""
    try:
        if message:
            await stream.write(message.encode())
        await stream.close()
    except StreamClosed:
        pass


# --- the two ways in -------------------------------------------------------------------------------------------
class _UpgradedConnection:
    """The raw bytes of an HTTP/1.1 connection after our 101 answer, fed by aiohttp's protocol as it does for
    WebSockets (set_parser); reading pauses while too much is buffered. aiohttp upgrades only to WebSocket, so its
    own pause_reading() would also pause an HTTP parser that no longer runs: we pause the transport itself."""

    LIMIT = 256 * 1024

    def __init__(self, request: web.Request):
        self._protocol = request.protocol
        self._transport = request.transport
        self._buffer: list[bytes] = []
        self._size = 0
        self._eof = False
        self._ready = asyncio.Event()
        self._paused = False
        self._protocol.set_parser(self)
        self._protocol.keep_alive(False)

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self._buffer.append(bytes(data))
        self._size += len(data)
        self._ready.set()
        if self._size > self.LIMIT and not self._paused:
            self._paused = True
            self._transport.pause_reading()
        return False, b""

    def feed_eof(self) -> None:
        self._eof = True
        self._ready.set()

    async def read(self) -> bytes:
        while not self._buffer:
            if self._eof:
                return b""
            self._ready.clear()
            await self._ready.wait()
        data = b"".join(self._buffer)
        self._buffer.clear()
        self._size = 0
        if self._paused:
            self._paused = False
            if not self._transport.is_closing():
                self._transport.resume_reading()
        return data


def _offered(request: web.Request, header: str) -> list[str]:
    return [p.strip() for value in request.headers.getall(header, []) for p in value.split(",") if p.strip()]


async def serve(request: web.Request, kubelet: NodeAgent, pod: dict) -> web.StreamResponse:
    upgrade = request.headers.get("Upgrade", "").lower()
    session = PortForwardSession(kubelet, pod)
    if upgrade == "websocket":
        if TUNNEL_PROTOCOL not in _offered(request, "Sec-WebSocket-Protocol"):
            raise errors.bad_request("unable to upgrade: no tunneling spdy protocols provided")
        ws = web.WebSocketResponse(protocols=(TUNNEL_PROTOCOL,), max_msg_size=0)
        await ws.prepare(request)

        async def read_bytes() -> bytes:
            while True:
                msg = await ws.receive()
                if msg.type == WSMsgType.BINARY:
                    if msg.data:
                        return msg.data
                    continue
                return b""  # close, error, or a text message (which the tunnel never sends)
        try:
            await session.serve(read_bytes, ws.send_bytes)
        finally:
            await ws.close()
        return ws
    if upgrade.startswith("spdy/3.1"):
        offered = _offered(request, "X-Stream-Protocol-Version")
        if offered and PROTOCOL not in offered:
            raise errors.APIError(403, "Forbidden", f"unable to upgrade: unable to negotiate protocol: client "
                                                    f"supports {offered}, server accepts [{PROTOCOL}]")
        resp = web.StreamResponse(status=101, headers={"Connection": "Upgrade", "Upgrade": "SPDY/3.1",
                                                       "X-Stream-Protocol-Version": PROTOCOL})
        await resp.prepare(request)
        connection = _UpgradedConnection(request)
        await session.serve(connection.read, resp.write)
        return resp
    raise errors.bad_request("Upgrade request required: pods/portforward speaks SPDY/3.1, or SPDY tunnelled in "
                             f"a WebSocket ({TUNNEL_PROTOCOL})")

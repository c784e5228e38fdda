"""A server-side SPDY/3.1 session: peer-opened streams multiplexed over one async byte source and sink (the raw
connection after a 101 upgrade, or the binary messages of a WebSocket that tunnels SPDY, KEP-4006).

Flow control (SPDY/3.1 2.6.8): we grant the peer more window (WINDOW_UPDATE, per stream and for the session) as
the stream's reader consumes data. kubectl's spdystream neither sends WINDOW_UPDATE nor honours ours, so our own
sending only waits on a window once the peer has shown it does flow control by sending a WINDOW_UPDATE; without
that, back-pressure is the transport's (writes await its drain).
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from kubenet.apiserver.spdy import (
    FLAG_FIN,
    INITIAL_WINDOW,
    SETTINGS_INITIAL_WINDOW_SIZE,
    DataFrame,
    FrameReader,
    GoAway,
    GoAwayStatus,
    HeaderCompressor,
    Headers,
    Ping,
    RstStatus,
    RstStream,
    Settings,
    SPDYProtocolError,
    SynReply,
    SynStream,
    WindowUpdate,
    encode_frame,
)

log = logging.getLogger(__name__)
MAX_DATA_FRAME = 32 * 1024
# A peer that ignores our window may run ahead; past this much unread data on one stream we stop reading the
# connection until that stream's reader catches up.
MAX_BUFFERED = 4 * INITIAL_WINDOW


class StreamClosed(Exception):
    """Writing on a stream that was reset, or after our FIN, or after the session ended."""


class SPDYStream:
    """One peer-initiated stream: read() what the peer sends, write()/close() our half, reset() both."""

    def __init__(self, session: SPDYSession, stream_id: int, headers: dict[str, list[str]]):
        self.session = session
        self.stream_id = stream_id
        self.headers = headers
        self.remote_closed = False  # the peer's FIN (or a reset)
        self.local_closed = False  # our FIN (or a reset)
        self.reset_status: int | None = None
        self.send_window = session.initial_send_window
        self._received: deque[bytes] = deque()
        self._buffered = 0
        self._unacked = 0  # consumed bytes not yet granted back with WINDOW_UPDATE
        self._readable = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower()) or [""]
        return values[0]

    # --- from the session's read loop ---------------------------------------------------------------
    def _feed(self, data: bytes, fin: bool) -> None:
        if data and self.reset_status is None:
            self._received.append(data)
            self._buffered += len(data)
            if self._buffered > MAX_BUFFERED:
                self._drained.clear()
        if fin:
            self.remote_closed = True
        self._readable.set()

    def _on_reset(self, status: int) -> None:
        self.reset_status = status
        self.remote_closed = self.local_closed = True
        self._received.clear()
        self._buffered = 0
        self._drained.set()
        self._readable.set()

    # --- the stream's user -----------------------------------------------------------------------------
    async def read(self) -> bytes:
        """The next data the peer sent; b"" once the peer has finished (FIN) or the stream was reset."""
        while not self._received:
            if self.remote_closed:
                await self._grant(final=True)
                return b""
            self._readable.clear()
            await self._readable.wait()
        data = self._received.popleft()
        self._buffered -= len(data)
        if self._buffered <= MAX_BUFFERED:
            self._drained.set()
        self._unacked += len(data)
        if self._unacked >= INITIAL_WINDOW // 2:
            await self._grant()
        return data

    async def _grant(self, final: bool = False) -> None:
        """Give consumed bytes back as window: the stream's while the peer may still send, always the session's."""
        if not self._unacked:
            return
        delta, self._unacked = self._unacked, 0
        grants = [WindowUpdate(0, delta)]
        if not self.remote_closed and not final:
            grants.insert(0, WindowUpdate(self.stream_id, delta))
        await self.session.send_quietly(*grants)

    async def reply(self, headers: dict[str, list[str]] | None = None) -> None:
        await self.session.send(SynReply(self.stream_id, headers or {}))

    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.local_closed:
                raise StreamClosed(f"stream {self.stream_id} is closed")
            chunk = await self.session.take_window(self, min(len(view), MAX_DATA_FRAME))
            await self.session.send(DataFrame(self.stream_id, bytes(view[:chunk])))
            view = view[chunk:]

    async def close(self) -> None:
        """Our half-close: an empty DATA frame with FLAG_FIN."""
        if self.local_closed:
            return
        self.local_closed = True
        await self.session.send(DataFrame(self.stream_id, b"", FLAG_FIN))
        self.session.forget_if_done(self)

    async def reset(self, status: int = RstStatus.CANCEL) -> None:
        if self.reset_status is not None or (self.local_closed and self.remote_closed):
            return
        self._on_reset(status)
        self.session.forget_if_done(self)
        await self.session.send(RstStream(self.stream_id, status))


class SPDYSession:
    """Reads frames from `read_bytes` (b"" at EOF) and writes them with `write_bytes`; `on_stream` is awaited
    for each new peer stream and is expected to reply() (or reset()) it."""

    def __init__(self, read_bytes: Callable[[], Awaitable[bytes]], write_bytes: Callable[[bytes], Awaitable[None]],
                 on_stream: Callable[[SPDYStream], Awaitable[None]]):
        self._read_bytes = read_bytes
        self._write_bytes = write_bytes
        self._on_stream = on_stream
        self._reader = FrameReader()
        self._compressor = HeaderCompressor()
        self._write_lock = asyncio.Lock()
        self.streams: dict[int, SPDYStream] = {}
        self.last_stream_id = 0
        self.going_away = False
        self.closed = False
        self.initial_send_window = INITIAL_WINDOW
        self.session_send_window = INITIAL_WINDOW
        self.peer_flow_control = False  # set by the first WINDOW_UPDATE the peer sends
        self._window_opened = asyncio.Event()

    async def send(self, *frames) -> None:
        """Encode and write frames in one go; header compression state demands encoding in sending order."""
        if self.closed:
            raise StreamClosed("the SPDY session has ended")
        async with self._write_lock:
            try:
                await self._write_bytes(b"".join(encode_frame(f, self._compressor) for f in frames))
            except (ConnectionError, RuntimeError) as exc:  # the transport closed under us
                self.closed = True
                raise StreamClosed(f"the SPDY session has ended: {exc}") from None

    async def take_window(self, stream: SPDYStream, wanted: int) -> int:
        """How many bytes `stream` may send now (waiting for WINDOW_UPDATE when the peer does flow control)."""
        while self.peer_flow_control and min(stream.send_window, self.session_send_window) <= 0:
            if stream.local_closed or self.closed:
                raise StreamClosed(f"stream {stream.stream_id} is closed")
            self._window_opened.clear()
            await self._window_opened.wait()
        if self.peer_flow_control:
            wanted = min(wanted, stream.send_window, self.session_send_window)
        stream.send_window -= wanted
        self.session_send_window -= wanted
        return wanted

    def forget_if_done(self, stream: SPDYStream) -> None:
        if stream.local_closed and stream.remote_closed:
            self.streams.pop(stream.stream_id, None)

    async def run(self) -> None:
        """Serve frames until the peer closes the connection or breaks the protocol."""
        try:
            while data := await self._read_bytes():
                for frame in self._reader.feed(data):
                    await self._handle(frame)
        except SPDYProtocolError as exc:
            log.info("spdy: %s", exc)
            await self.send_quietly(GoAway(self.last_stream_id, GoAwayStatus.PROTOCOL_ERROR))
        except StreamClosed:
            pass  # our side of the connection is gone: nothing more can be said
        finally:
            self.closed = True
            self._window_opened.set()
            for stream in list(self.streams.values()):
                stream._on_reset(RstStatus.CANCEL)
            self.streams.clear()

    async def send_quietly(self, *frames) -> None:
        try:
            await self.send(*frames)
        except StreamClosed as exc:
            log.debug("spdy: could not send %s: %s", frames, exc)

    async def _handle(self, frame) -> None:
        match frame:
            case DataFrame():
                stream = self.streams.get(frame.stream_id)
                if stream is None:
                    return  # already reset or finished on our side; late data is dropped
                stream._feed(frame.data, bool(frame.flags & FLAG_FIN))
                self.forget_if_done(stream)
                await stream._drained.wait()
            case SynStream():
                await self._new_stream(frame)
            case Headers():
                stream = self.streams.get(frame.stream_id)
                if stream is not None and frame.flags & FLAG_FIN:
                    stream._feed(b"", True)
                    self.forget_if_done(stream)
            case RstStream():
                stream = self.streams.pop(frame.stream_id, None)
                if stream is not None:
                    stream._on_reset(frame.status)
            case Settings():
                for _flags, setting, value in frame.entries:
                    if setting == SETTINGS_INITIAL_WINDOW_SIZE:  # 2.6.8: adjusts open streams by the difference
                        for stream in self.streams.values():
                            stream.send_window += value - self.initial_send_window
                        self.initial_send_window = value
                        self._window_opened.set()
            case Ping():
                if frame.ping_id % 2 == 1:  # the client's (odd) ping: echo it; ours would be even
                    await self.send(frame)
            case GoAway():
                self.going_away = True  # no new streams; those open carry on until the connection closes
            case WindowUpdate():
                self.peer_flow_control = True
                if frame.stream_id == 0:
                    self.session_send_window += frame.delta
                elif frame.stream_id in self.streams:
                    self.streams[frame.stream_id].send_window += frame.delta
                self._window_opened.set()
            case SynReply():
                pass  # we open no streams, so there is nothing to reply to

    async def _new_stream(self, frame: SynStream) -> None:
        # 2.3.2: peer (client) streams have odd, increasing ids
        if frame.stream_id % 2 == 0 or frame.stream_id <= self.last_stream_id:
            await self.send(RstStream(frame.stream_id, RstStatus.PROTOCOL_ERROR))
            return
        self.last_stream_id = frame.stream_id
        if self.going_away:
            await self.send(RstStream(frame.stream_id, RstStatus.REFUSED_STREAM))
            return
        stream = SPDYStream(self, frame.stream_id, frame.headers)
        self.streams[frame.stream_id] = stream
        if frame.flags & FLAG_FIN:
            stream.remote_closed = True
        await self._on_stream(stream)

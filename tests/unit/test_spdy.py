"""SPDY/3.1 framing, header compression with the spec dictionary, and the server-side stream mux."""
from __future__ import annotations

import asyncio
import zlib

import pytest

from kubenet.apiserver.spdy import (
    FLAG_FIN,
    HEADER_DICTIONARY,
    DataFrame,
    FrameReader,
    GoAway,
    HeaderCompressor,
    HeaderDecompressor,
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
from kubenet.apiserver.spdy_session import SPDYSession, SPDYStream

# --- the dictionary and header blocks ---------------------------------------------------------------------------


def test_dictionary_is_the_spdy3_dictionary():
    # zlib names a preset dictionary by its Adler-32; SPDY/3 peers all expect this one (draft 2.6.10.1).
    assert len(HEADER_DICTIONARY) == 1423
    assert zlib.adler32(HEADER_DICTIONARY) == 0xE3C6A7C2
    assert HEADER_DICTIONARY.startswith(b"\x00\x00\x00\x07options")


def test_header_blocks_share_one_compression_context():
    compressor, decompressor = HeaderCompressor(), HeaderDecompressor()
    blocks = [{"streamtype": ["error"], "port": ["80"], "requestid": ["0"]},
              {"streamtype": ["data"], "port": ["80"], "requestid": ["0"]},
              {},
              {"x-multi": ["a", "b"]}]
    first = compressor.compress(blocks[0])
    assert first[2:6] == (0xE3C6A7C2).to_bytes(4, "big")  # FDICT with the dictionary's id
    assert decompressor.decompress(first) == blocks[0]
    for block in blocks[1:]:
        assert decompressor.decompress(compressor.compress(block)) == block


def test_header_names_are_lowercased_and_values_nul_separated():
    compressor = HeaderCompressor()
    raw = zlib.decompressobj(zdict=HEADER_DICTIONARY).decompress(compressor.compress({"StreamType": ["a", "b"]}))
    assert raw == b"\x00\x00\x00\x01" + b"\x00\x00\x00\x0astreamtype" + b"\x00\x00\x00\x03a\x00b"


def test_blocks_from_another_zlib_compressor_decode():
    other = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, HEADER_DICTIONARY)
    raw = b"\x00\x00\x00\x01\x00\x00\x00\x04port\x00\x00\x00\x048080"
    assert HeaderDecompressor().decompress(other.compress(raw) + other.flush(zlib.Z_SYNC_FLUSH)) == {
        "port": ["8080"]}


def test_garbage_header_block_is_a_protocol_error():
    with pytest.raises(SPDYProtocolError):
        HeaderDecompressor().decompress(b"not zlib at all")


# --- frames ---------------------------------------------------------------------------------------------------

def test_wire_layout_of_data_and_control_frames():
    assert encode_frame(DataFrame(1, b"hi", FLAG_FIN)) == b"\x00\x00\x00\x01\x01\x00\x00\x02hi"
    assert encode_frame(Ping(3)) == b"\x80\x03\x00\x06\x00\x00\x00\x04\x00\x00\x00\x03"
    assert encode_frame(RstStream(5, RstStatus.CANCEL)) == \
        b"\x80\x03\x00\x03\x00\x00\x00\x08\x00\x00\x00\x05\x00\x00\x00\x05"
    assert encode_frame(WindowUpdate(0, 32768)) == b"\x80\x03\x00\x09\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x80\x00"


def test_every_frame_type_round_trips_even_when_fed_a_byte_at_a_time():
    frames = [SynStream(1, {"streamtype": ["error"], "port": ["80"]}, priority=2),
              SynReply(1, {}), DataFrame(1, b"x" * 70000), DataFrame(1, b"", FLAG_FIN), Headers(3, {"a": ["b"]}, 1),
              RstStream(3, RstStatus.PROTOCOL_ERROR), Settings([(0, 7, 1 << 20), (1, 4, 100)]), Ping(7),
              GoAway(9, 1), WindowUpdate(1, 1234)]
    compressor = HeaderCompressor()
    wire = b"".join(encode_frame(f, compressor) for f in frames)
    reader = FrameReader()
    assert reader.feed(wire) == frames
    reader, decoded = FrameReader(), []
    for i in range(0, len(wire), 997):
        decoded += reader.feed(wire[i:i + 997])
    assert decoded == frames


def test_unknown_control_frames_are_skipped_and_other_versions_refused():
    reader = FrameReader()
    unknown = b"\x80\x03\x00\x0a\x00\x00\x00\x02??"  # type 10 (CREDENTIAL in SPDY/3): ignored
    assert reader.feed(unknown + encode_frame(Ping(1))) == [None, Ping(1)]
    with pytest.raises(SPDYProtocolError):
        FrameReader().feed(b"\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01")


# --- the session ------------------------------------------------------------------------------------------------

class Peer:
    """The client end of an in-memory connection: its own compressor and frame reader, as a SPDY client has."""

    def __init__(self):
        self.to_server: asyncio.Queue[bytes] = asyncio.Queue()
        self.from_server: asyncio.Queue[bytes] = asyncio.Queue()
        self.compressor = HeaderCompressor()
        self.reader = FrameReader()
        self.frames: list = []

    def send(self, *frames) -> None:
        self.to_server.put_nowait(b"".join(encode_frame(f, self.compressor) for f in frames))

    def hang_up(self) -> None:
        self.to_server.put_nowait(b"")

    async def server_write(self, data: bytes) -> None:
        self.from_server.put_nowait(data)

    async def next_frame(self, kind=None):
        while True:
            while not self.frames:
                self.frames += self.reader.feed(await asyncio.wait_for(self.from_server.get(), 5))
            frame = self.frames.pop(0)
            if kind is None or isinstance(frame, kind):
                return frame


def serve(peer: Peer, on_stream) -> tuple[SPDYSession, asyncio.Task]:
    session = SPDYSession(peer.to_server.get, peer.server_write, on_stream)
    return session, asyncio.create_task(session.run())


def test_streams_are_replied_pings_echoed_and_consumed_data_granted_back():
    async def story():
        peer, opened = Peer(), asyncio.Queue()

        async def on_stream(stream: SPDYStream):
            await stream.reply()
            opened.put_nowait(stream)
        session, task = serve(peer, on_stream)
        peer.send(SynStream(1, {"streamtype": ["data"], "port": ["80"]}), Ping(11))
        assert await peer.next_frame() == SynReply(1, {})
        assert await peer.next_frame() == Ping(11)
        stream = await opened.get()
        assert stream.header("streamType") == "data"

        payload = bytes(range(256)) * 512  # 128 KiB: twice the initial window
        chunks = [DataFrame(1, payload[i:i + 16384]) for i in range(0, len(payload), 16384)]
        peer.send(*chunks[:4])  # the first 64 KiB: all the window the peer starts with
        received = bytearray()
        while len(received) < 65536:
            received += await stream.read()
        granted = [await peer.next_frame(WindowUpdate) for _ in range(4)]
        assert granted == [WindowUpdate(1, 32768), WindowUpdate(0, 32768)] * 2
        peer.send(*chunks[4:], DataFrame(1, b"", FLAG_FIN))
        while data := await stream.read():
            received += data
        assert received == payload
        session_grants = 65536
        while session_grants < len(payload):  # after the FIN only the session window needs giving back
            update = await peer.next_frame(WindowUpdate)
            session_grants += update.delta if update.stream_id == 0 else 0
        assert session_grants == len(payload)

        await stream.write(b"pong")
        await stream.close()
        assert await peer.next_frame(DataFrame) == DataFrame(1, b"pong")
        assert await peer.next_frame(DataFrame) == DataFrame(1, b"", FLAG_FIN)
        assert 1 not in session.streams  # both halves closed
        peer.hang_up()
        await task
    asyncio.run(story())


def test_reset_ends_reads_and_hang_up_ends_every_stream():
    async def story():
        peer, opened = Peer(), []

        async def on_stream(stream):
            await stream.reply()
            opened.append(stream)
        _, task = serve(peer, on_stream)
        peer.send(SynStream(1, {}), SynStream(3, {}), RstStream(1, RstStatus.CANCEL))
        await peer.next_frame(SynReply)
        await peer.next_frame(SynReply)
        assert await opened[0].read() == b"" and opened[0].reset_status == RstStatus.CANCEL
        peer.hang_up()
        await task
        assert await opened[1].read() == b""
    asyncio.run(story())


def test_bad_stream_ids_are_refused():
    async def story():
        peer = Peer()
        _, task = serve(peer, lambda stream: stream.reply())
        peer.send(SynStream(2, {}))  # even ids belong to the server
        assert await peer.next_frame() == RstStream(2, RstStatus.PROTOCOL_ERROR)
        peer.send(GoAway(0), SynStream(5, {}))
        assert await peer.next_frame() == RstStream(5, RstStatus.REFUSED_STREAM)
        peer.hang_up()
        await task
    asyncio.run(story())


def test_sending_waits_for_window_once_the_peer_does_flow_control():
    async def story():
        peer, opened = Peer(), asyncio.Queue()

        async def on_stream(stream):
            await stream.reply()
            opened.put_nowait(stream)
        _, task = serve(peer, on_stream)
        peer.send(SynStream(1, {}), WindowUpdate(1, 0), Settings([(0, 7, 1000)]), Ping(9))
        stream = await opened.get()
        assert await peer.next_frame(Ping) == Ping(9)  # frames are handled in order: the settings are in force
        writer = asyncio.create_task(stream.write(b"a" * 1500))
        first = await peer.next_frame(DataFrame)
        peer.send(Ping(11))
        assert await peer.next_frame() == Ping(11)  # a round trip later, nothing more was sent ...
        assert len(first.data) == 1000 and not writer.done()  # ... 1000 bytes of window: the rest waits
        peer.send(WindowUpdate(1, 500))
        await asyncio.wait_for(writer, 2)
        assert len((await peer.next_frame(DataFrame)).data) == 500
        peer.hang_up()
        await task
    asyncio.run(story())


def test_without_window_updates_from_the_peer_sending_never_stalls():
    async def story():
        peer, opened = Peer(), asyncio.Queue()

        async def on_stream(stream):
            await stream.reply()
            opened.put_nowait(stream)
        _, task = serve(peer, on_stream)
        peer.send(SynStream(1, {}))
        stream = await opened.get()
        await asyncio.wait_for(stream.write(b"z" * (1024 * 1024)), 5)  # kubectl's spdystream sends no WINDOW_UPDATE
        peer.hang_up()
        await task
    asyncio.run(story())

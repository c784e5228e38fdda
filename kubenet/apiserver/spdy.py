"""SPDY/3.1 as kubectl speaks it for port-forward: frames and zlib-compressed header blocks.

Frames follow the SPDY/3.1 draft (section 2.2 framing, 2.6 control frames); header blocks are zlib streams
primed with the spec's dictionary (2.6.10.1), one compression context per direction for the whole session.
The stream mux over these frames is spdy_session.py.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from enum import IntEnum

SPDY_VERSION = 3
FLAG_FIN = 0x01
FLAG_UNIDIRECTIONAL = 0x02
MAX_FRAME_LENGTH = (1 << 24) - 1
INITIAL_WINDOW = 64 * 1024  # 2.6.8: every stream and the session start with a 64 KiB window
SETTINGS_INITIAL_WINDOW_SIZE = 7


class FrameType(IntEnum):
    SYN_STREAM = 1
    SYN_REPLY = 2
    RST_STREAM = 3
    SETTINGS = 4
    PING = 6
    GOAWAY = 7
    HEADERS = 8
    WINDOW_UPDATE = 9


class RstStatus(IntEnum):
    PROTOCOL_ERROR = 1
    INVALID_STREAM = 2
    REFUSED_STREAM = 3
    UNSUPPORTED_VERSION = 4
    CANCEL = 5
    INTERNAL_ERROR = 6
    FLOW_CONTROL_ERROR = 7


class GoAwayStatus(IntEnum):
    OK = 0
    PROTOCOL_ERROR = 1
    INTERNAL_ERROR = 2


class SPDYProtocolError(Exception):
    """The peer broke the framing or the header compression: the session ends with GOAWAY PROTOCOL_ERROR."""


# 2.6.10.1: the dictionary is these names and values, each behind a 4-byte big-endian length, then raw text.
_DICTIONARY_WORDS = (
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
    "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
    "content-base", "content-encoding", "content-language", "content-length", "content-location", "content-md5",
    "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host", "if-match",
    "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after",
    "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
    "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie",
    "keep-alive", "origin"
)
_DICTIONARY_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
HEADER_DICTIONARY = b"".join(struct.pack(">I", len(w)) + w.encode() for w in _DICTIONARY_WORDS) + \
    _DICTIONARY_TAIL.encode()


# --- frames ------------------------------------------------------------------------------------------------
@dataclass
class DataFrame:
    stream_id: int
    data: bytes = b""
    flags: int = 0


@dataclass
class SynStream:
    stream_id: int
    headers: dict[str, list[str]]
    associated_to: int = 0
    priority: int = 0
    flags: int = 0


@dataclass
class SynReply:
    stream_id: int
    headers: dict[str, list[str]] = field(default_factory=dict)
    flags: int = 0


@dataclass
class Headers:
    stream_id: int
    headers: dict[str, list[str]] = field(default_factory=dict)
    flags: int = 0


@dataclass
class RstStream:
    stream_id: int
    status: int


@dataclass
class Settings:
    entries: list[tuple[int, int, int]] = field(default_factory=list)  # (flags, id, value)
    flags: int = 0


@dataclass
class Ping:
    ping_id: int


@dataclass
class GoAway:
    last_good_stream_id: int
    status: int = GoAwayStatus.OK


@dataclass
class WindowUpdate:
    stream_id: int  # 0: the session window (SPDY/3.1)
    delta: int


Frame = DataFrame | SynStream | SynReply | Headers | RstStream | Settings | Ping | GoAway | WindowUpdate


class HeaderCompressor:
    """One direction's header compression context (2.6.10): zlib with the dictionary, SYNC_FLUSH per block."""

    def __init__(self):
        self._zlib = zlib.compressobj(zlib.Z_BEST_COMPRESSION, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY,
                                      HEADER_DICTIONARY)

    def compress(self, headers: dict[str, list[str]]) -> bytes:
        block = [struct.pack(">I", len(headers))]
        for name, values in headers.items():
            key, value = name.lower().encode(), "\x00".join(values).encode()
            block += [struct.pack(">I", len(key)), key, struct.pack(">I", len(value)), value]
        return self._zlib.compress(b"".join(block)) + self._zlib.flush(zlib.Z_SYNC_FLUSH)


class HeaderDecompressor:
    def __init__(self):
        self._zlib = zlib.decompressobj(zdict=HEADER_DICTIONARY)

    def decompress(self, compressed: bytes) -> dict[str, list[str]]:
        try:
            block = self._zlib.decompress(compressed)
        except zlib.error as exc:
            raise SPDYProtocolError(f"header block: {exc}") from None
        try:
            (count,), pos = struct.unpack_from(">I", block), 4
            headers: dict[str, list[str]] = {}
            for _ in range(count):
                (n,) = struct.unpack_from(">I", block, pos)
                name = block[pos + 4:pos + 4 + n].decode()
                pos += 4 + n
                (n,) = struct.unpack_from(">I", block, pos)
                value = block[pos + 4:pos + 4 + n].decode()
                pos += 4 + n
                headers.setdefault(name.lower(), []).extend(value.split("\x00"))
        except (struct.error, UnicodeDecodeError) as exc:
            raise SPDYProtocolError(f"header block: {exc}") from None
        if pos != len(block):
            raise SPDYProtocolError("header block: trailing bytes")
        return headers


def _control(frame_type: FrameType, flags: int, payload: bytes) -> bytes:
    if len(payload) > MAX_FRAME_LENGTH:
        raise ValueError("SPDY frame too large")
    return struct.pack(">HHI", 0x8000 | SPDY_VERSION, frame_type, (flags << 24) | len(payload)) + payload


def encode_frame(frame: Frame, compressor: HeaderCompressor | None = None) -> bytes:
    """The frame's bytes; frames with header blocks advance `compressor`, so encode them in sending order."""
    match frame:
        case DataFrame():
            if len(frame.data) > MAX_FRAME_LENGTH:
                raise ValueError("SPDY frame too large")
            return struct.pack(">II", frame.stream_id & 0x7FFFFFFF, (frame.flags << 24) | len(frame.data)) + \
                frame.data
        case SynStream():
            head = struct.pack(">IIBB", frame.stream_id, frame.associated_to, (frame.priority & 7) << 5, 0)
            return _control(FrameType.SYN_STREAM, frame.flags, head + compressor.compress(frame.headers))
        case SynReply():
            return _control(FrameType.SYN_REPLY, frame.flags,
                            struct.pack(">I", frame.stream_id) + compressor.compress(frame.headers))
        case Headers():
            return _control(FrameType.HEADERS, frame.flags,
                            struct.pack(">I", frame.stream_id) + compressor.compress(frame.headers))
        case RstStream():
            return _control(FrameType.RST_STREAM, 0, struct.pack(">II", frame.stream_id, frame.status))
        case Settings():
            body = struct.pack(">I", len(frame.entries)) + b"".join(
                struct.pack(">II", (f << 24) | i, v) for f, i, v in frame.entries)
            return _control(FrameType.SETTINGS, frame.flags, body)
        case Ping():
            return _control(FrameType.PING, 0, struct.pack(">I", frame.ping_id))
        case GoAway():
            return _control(FrameType.GOAWAY, 0, struct.pack(">II", frame.last_good_stream_id, frame.status))
        case WindowUpdate():
            return _control(FrameType.WINDOW_UPDATE, 0, struct.pack(">II", frame.stream_id, frame.delta))
    raise TypeError(f"not a SPDY frame: {frame!r}")


class FrameReader:
    """Cuts a byte stream into frames; header blocks go through the session's one decompressor, in order."""

    def __init__(self):
        self._buffer = bytearray()
        self._headers = HeaderDecompressor()

    def feed(self, data: bytes) -> list[Frame | None]:
        """Complete frames from the bytes so far (None for a control frame type this side does not know)."""
        self._buffer += data
        frames = []
        while len(self._buffer) >= 8:
            word, length_flags = struct.unpack_from(">II", self._buffer)
            length = length_flags & 0xFFFFFF
            if len(self._buffer) < 8 + length:
                break
            payload = bytes(self._buffer[8:8 + length])
            del self._buffer[:8 + length]
            flags = length_flags >> 24
            if word & 0x80000000:
                frames.append(self._control((word >> 16) & 0x7FFF, word & 0xFFFF, flags, payload))
            else:
                frames.append(DataFrame(word & 0x7FFFFFFF, payload, flags))
        return frames

    def _control(self, version: int, frame_type: int, flags: int, payload: bytes) -> Frame | None:
        if version != SPDY_VERSION:
            raise SPDYProtocolError(f"unsupported SPDY version {version}")
        try:
            match frame_type:
                case FrameType.SYN_STREAM:
                    stream_id, assoc, pri = struct.unpack_from(">IIB", payload)
                    return SynStream(stream_id & 0x7FFFFFFF, self._headers.decompress(payload[10:]),
                                     assoc & 0x7FFFFFFF, pri >> 5, flags)
                case FrameType.SYN_REPLY | FrameType.HEADERS:
                    (stream_id,) = struct.unpack_from(">I", payload)
                    kind = SynReply if frame_type == FrameType.SYN_REPLY else Headers
                    return kind(stream_id & 0x7FFFFFFF, self._headers.decompress(payload[4:]), flags)
                case FrameType.RST_STREAM:
                    stream_id, status = struct.unpack_from(">II", payload)
                    return RstStream(stream_id & 0x7FFFFFFF, status)
                case FrameType.SETTINGS:
                    (count,) = struct.unpack_from(">I", payload)
                    entries = [struct.unpack_from(">II", payload, 4 + 8 * i) for i in range(count)]
                    return Settings([(fi >> 24, fi & 0xFFFFFF, v) for fi, v in entries], flags)
                case FrameType.PING:
                    return Ping(struct.unpack_from(">I", payload)[0])
                case FrameType.GOAWAY:
                    last, status = struct.unpack_from(">II", payload) if len(payload) >= 8 else \
                        (struct.unpack_from(">I", payload)[0], 0)
                    return GoAway(last & 0x7FFFFFFF, status)
                case FrameType.WINDOW_UPDATE:
                    stream_id, delta = struct.unpack_from(">II", payload)
                    return WindowUpdate(stream_id & 0x7FFFFFFF, delta & 0x7FFFFFFF)
        except struct.error:
            raise SPDYProtocolError(f"short control frame (type {frame_type})") from None
        return None  # 2.2.1: unknown control frame types are ignored

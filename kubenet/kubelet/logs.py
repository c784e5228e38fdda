"""Container log files in the CRI format: containerd's side (pipes → records) and the kubelet's (rotation, reading).

A record is `<RFC3339Nano> <stdout|stderr> <F|P> <text>\\n`. A line longer than MAX_LINE_SIZE is split into P
(partial) records and a final F, like containerd's max_container_log_line_size (16 KiB); output that ends without a
newline is a P record too. The current file is `<restart>.log`; past CONTAINER_LOG_MAX_SIZE it is renamed to
`<restart>.log.<UTC timestamp>` and a fresh one starts, keeping CONTAINER_LOG_MAX_FILES files in all (the kubelet's
containerLogMaxSize=10Mi / containerLogMaxFiles=5, without its gzip of the older rotated files).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from kubenet.api.meta import now_micro
from kubenet.clock import REAL_CLOCK, Clock

log = logging.getLogger(__name__)

MAX_LINE_SIZE = 16 * 1024
CONTAINER_LOG_MAX_SIZE = 10 * 1024 * 1024
CONTAINER_LOG_MAX_FILES = 5  # the current file and 4 rotated ones
PIPE_READ_SIZE = 64 * 1024
FILE_READ_SIZE = 256 * 1024
FOLLOW_POLL_SECONDS = 0.1
_ROTATED_TIME_FORMAT = "%Y%m%d-%H%M%S"  # the kubelet's "20060102-150405"


# --- writing: what containerd does with a container's stdout and stderr --------------------------------------------
class CRILineSplitter:
    """Turns one output stream's bytes into CRI records; the records do not depend on how the bytes were chunked."""

    def __init__(self, stream: bytes, max_line: int = MAX_LINE_SIZE):
        self.stream = stream
        self.max_line = max_line
        self._pending = b""  # the current line's bytes not yet in a record (at most max_line of them)

    def feed(self, data: bytes, timestamp: bytes) -> bytes:
        full = timestamp + b" " + self.stream + b" F "
        partial = timestamp + b" " + self.stream + b" P "
        lines = (self._pending + data).split(b"\n")
        tail = lines.pop()
        records = []
        for line in lines:
            while len(line) > self.max_line:
                records.append(partial + line[:self.max_line] + b"\n")
                line = line[self.max_line:]
            records.append(full + line + b"\n")
        while len(tail) > self.max_line:
            records.append(partial + tail[:self.max_line] + b"\n")
            tail = tail[self.max_line:]
        self._pending = tail
        return b"".join(records)

    def flush(self, timestamp: bytes) -> bytes:
        """At EOF: output that did not end in a newline becomes a P record, as containerd writes it."""
        tail, self._pending = self._pending, b""
        return timestamp + b" " + self.stream + b" P " + tail + b"\n" if tail else b""


class ContainerLogWriter:
    """The log file a container's stdout and stderr pumps share. Each write is one chunk of whole records, so
    records never interleave and rotation happens between records; the file is closed when the last stream that
    was added has been released."""

    def __init__(self, path: Path, max_size: int | None = None, max_files: int | None = None):
        self.path = path
        # The module's constants are read here, not at import, so that a test (or a config) can change them.
        self.max_size = max_size or CONTAINER_LOG_MAX_SIZE
        self.max_files = max_files or CONTAINER_LOG_MAX_FILES
        self._file = None
        self._size = 0
        self._streams = 0
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, **limits) -> ContainerLogWriter:
        writer = cls(path, **limits)
        # File system calls go to a thread: each costs ~1 ms here, more under load, and would stall every Pod.
        await asyncio.to_thread(writer._open)
        return writer

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "ab")  # noqa: SIM115 (open for the container's lifetime; close() ends it)
        self._size = os.fstat(self._file.fileno()).st_size

    def add_stream(self) -> None:
        self._streams += 1

    async def release(self) -> None:
        self._streams -= 1
        if self._streams <= 0:
            await self.close()

    async def close(self) -> None:
        async with self._lock:
            if self._file is not None:
                file, self._file = self._file, None
                await asyncio.to_thread(file.close)

    @property
    def closed(self) -> bool:
        return self._file is None

    async def write(self, records: bytes) -> None:
        async with self._lock:
            if self._file is None:
                raise ValueError(f"log {self.path} is closed")
            await asyncio.to_thread(self._write, records)

    def _write(self, records: bytes) -> None:
        self._file.write(records)
        self._file.flush()
        self._size += len(records)
        if self._size >= self.max_size:
            self._rotate()

    def _rotate(self) -> None:
        self._file.close()
        now = dt.datetime.now(dt.UTC)
        rotated = self.path.with_name(f"{self.path.name}.{now.strftime(_ROTATED_TIME_FORMAT)}")
        if any(self.path.parent.glob(f"{rotated.name}*")):
            # Not the first rotation in this second: microseconds keep the name unique and sorting after the others.
            rotated = rotated.with_name(f"{rotated.name}.{now.microsecond:06d}")
        try:
            os.rename(self.path, rotated)
        finally:  # a failed rename leaves the current file growing; the next write tries again
            self._file = open(self.path, "ab")  # noqa: SIM115 (as in _open)
            self._size = os.fstat(self._file.fileno()).st_size
        for old in rotated_logs(self.path)[:-(self.max_files - 1) or None]:
            old.unlink(missing_ok=True)


def rotated_logs(path: Path) -> list[Path]:
    """The rotated files of the log at path, oldest first (their names sort by the time of rotation)."""
    return sorted(path.parent.glob(f"{path.name}.*"), key=lambda p: p.name)


async def pump_stream(stream: asyncio.StreamReader, name: bytes, writer: ContainerLogWriter,
                      on_output: Callable[[bytes], None] | None = None) -> None:
    """Copy one of the container's pipes (or its pty) into its log until EOF, handing each chunk to on_output
    first (attached clients). Reads in chunks (a line may be any length) and keeps draining even if the log cannot
    be written: a container whose pipe fills up blocks on its next write."""
    splitter = CRILineSplitter(name)
    failing = False
    try:
        while True:
            chunk = await stream.read(PIPE_READ_SIZE)
            if chunk and on_output is not None:
                on_output(chunk)
            timestamp = now_micro().encode()
            records = splitter.feed(chunk, timestamp) if chunk else splitter.flush(timestamp)
            if records:
                try:
                    await writer.write(records)
                    failing = False
                except (OSError, ValueError) as exc:
                    if not failing:  # once per run of failures: a full disk would otherwise flood the log
                        log.warning("container log %s: %s output dropped: %s", writer.path, name.decode(), exc)
                    failing = True
            if not chunk:
                return
    finally:
        await writer.release()


# --- reading: what the kubelet does for `kubectl logs` ---------------------------------------------------------------
def parse_cri_line(line: bytes) -> tuple[bytes, bytes, bool, bytes]:
    """'<ts> <stream> <F|P> <text>' → (timestamp, stream, full line?, text)."""
    parts = line.rstrip(b"\n").split(b" ", 3)
    if len(parts) < 4:
        return b"", b"stdout", True, line.rstrip(b"\n")
    return parts[0], parts[1], parts[2] == b"F", parts[3]


def render_records(data: bytes, timestamps: bool) -> bytes:
    """CRI records (newline-separated) → what `kubectl logs` prints: P records join the next record's text."""
    out = []
    for line in data.splitlines(keepends=True):
        ts, _, full, text = parse_cri_line(line)
        if timestamps:
            out.append(ts + b" ")
        out.append(text + b"\n" if full else text)
    return b"".join(out)


def seek_to_tail(f, lines: int) -> None:
    """Position f at the start of its last `lines` lines, reading backwards from the end in blocks (an
    unterminated last line counts as a line)."""
    end = f.seek(0, os.SEEK_END)
    if lines <= 0 or end == 0:
        return
    f.seek(end - 1)
    pos = end - 1 if f.read(1) == b"\n" else end  # the last newline ends the last line, it does not start one
    found = 0
    while pos > 0:
        size = min(FILE_READ_SIZE, pos)
        pos -= size
        f.seek(pos)
        block = _read_exactly(f, size)
        i = len(block)
        while (i := block.rfind(b"\n", 0, i)) >= 0:
            found += 1
            if found == lines:
                f.seek(pos + i + 1)
                return
    f.seek(0)


def _read_exactly(f, size: int) -> bytes:
    parts = []
    while size > 0 and (part := f.read(size)):
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _replaced(f, path: Path) -> bool:
    """Has the file at path been rotated away from under f (a new file, a new inode, is there now)?"""
    try:
        return os.stat(path).st_ino != os.fstat(f.fileno()).st_ino
    except FileNotFoundError:  # between the rename and the new file's creation, or the Pod's logs are gone
        return False


async def read_logs(path: Path, follow: bool, tail_lines: int | None, timestamps: bool, limit_bytes: int | None,
                    still_running: Callable[[], bool], clock: Clock = REAL_CLOCK) -> AsyncIterator[bytes]:
    """Yield the log's text in chunks: the last tail_lines records (all when None), then with follow whatever is
    written next — into a fresh file too when the log is rotated — until the container has exited and the log is
    drained. limitBytes caps the whole stream. All file I/O runs in threads."""
    sent = 0
    pending = b""  # an incomplete last record: the writer is mid-write
    f = await asyncio.to_thread(open, path, "rb", buffering=0)
    try:
        if tail_lines is not None and tail_lines >= 0:
            await asyncio.to_thread(seek_to_tail, f, tail_lines)
        finishing = not follow
        while True:
            data = await asyncio.to_thread(f.read, FILE_READ_SIZE)
            if data:
                data = pending + data
                cut = data.rfind(b"\n") + 1
                pending = data[cut:]
                chunk = render_records(data[:cut], timestamps)
            elif follow and await asyncio.to_thread(_replaced, f, path):
                # Rotated: f has been read to its end (the writer rotates between records), go on in the new file.
                new = await asyncio.to_thread(open, path, "rb", buffering=0)
                f.close()
                f = new
                continue
            elif finishing:
                chunk, pending = render_records(pending, timestamps), b""
                if not chunk:
                    return
            else:
                if not still_running():
                    finishing = True  # its output has all been written: one more pass drains it
                else:
                    await clock.sleep(FOLLOW_POLL_SECONDS)
                continue
            if not chunk:
                continue
            if limit_bytes is not None and sent + len(chunk) >= limit_bytes:
                if limit_bytes > sent:
                    yield chunk[:limit_bytes - sent]
                return
            sent += len(chunk)
            yield chunk
    finally:
        f.close()

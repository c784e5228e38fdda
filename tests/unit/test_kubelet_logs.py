"""`kubectl logs` as the kubelet serves it from a CRI log file: all of it, --tail from a large file without reading it
all, --timestamps, --limit-bytes, and --follow while the container writes, across the log's rotation."""
from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time

from kubenet.clock import REAL_CLOCK, Clock, FakeClock
from kubenet.kubelet import logs
from kubenet.kubelet.containers import ContainerProcess
from kubenet.kubelet.logs import ContainerLogWriter, read_logs, rotated_logs
from tests.waiting import eventually


def cri(*lines: str, stream: str = "stdout", tag: str = "F") -> bytes:
    return b"".join(f"2024-05-01T10:00:00.{i:06d}Z {stream} {tag} {line}\n".encode() for i, line in enumerate(lines))


async def collect(path, follow=False, tail_lines=None, timestamps=False, limit_bytes=None,
                  still_running=lambda: False, clock: Clock = REAL_CLOCK) -> bytes:
    return b"".join([chunk async for chunk in read_logs(path, follow, tail_lines, timestamps, limit_bytes,
                                                        still_running, clock)])


def test_the_whole_log_with_and_without_timestamps(tmp_path):
    path = tmp_path / "0.log"
    path.write_bytes(cri("hello") + cri("a long li", tag="P") + cri("ne", stream="stderr") + b"no timestamp\n")
    assert asyncio.run(collect(path)) == b"hello\na long line\nno timestamp\n"
    assert asyncio.run(collect(path, timestamps=True)).split(b"\n")[0] == b"2024-05-01T10:00:00.000000Z hello"


def test_limit_bytes_cuts_the_stream(tmp_path):
    path = tmp_path / "0.log"
    path.write_bytes(cri(*(f"line {i}" for i in range(10000))))
    assert asyncio.run(collect(path, limit_bytes=15)) == b"line 0\nline 1\nl"
    assert asyncio.run(collect(path, limit_bytes=0)) == b""


def test_tail_of_a_large_log_reads_only_its_end(tmp_path):
    path = tmp_path / "0.log"
    block = cri(*(f"line {i:07d} " + "x" * 40 for i in range(100000)))
    with open(path, "wb") as f:
        f.writelines([block] * 4)  # ~36 MB, 400,000 records
        f.write(cri("second to last", "last"))

    async def tail_while_the_loop_ticks(lines: int) -> tuple[bytes, float, float]:
        longest_gap, last = 0.0, time.monotonic()
        done = asyncio.Event()

        async def ticker():  # the instrument: how late the loop wakes us for a 1 ms timer
            nonlocal longest_gap, last
            while not done.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), 0.001)
                now = time.monotonic()
                longest_gap, last = max(longest_gap, now - last), now
        task = asyncio.create_task(ticker())
        started = time.monotonic()
        out = await collect(path, tail_lines=lines)
        elapsed = time.monotonic() - started
        done.set()
        await task
        return out, elapsed, longest_gap

    out, elapsed, longest_gap = asyncio.run(tail_while_the_loop_ticks(3))
    assert out == b"line 0099999 " + b"x" * 40 + b"\nsecond to last\nlast\n"
    assert elapsed < 0.2
    assert longest_gap < 0.1  # the file is read in a thread, not on the event loop
    assert asyncio.run(collect(path, tail_lines=0)) == b""
    assert asyncio.run(collect(path, tail_lines=1)) == b"last\n"


def test_tail_counts_an_unterminated_last_record_and_stops_at_the_start(tmp_path):
    path = tmp_path / "0.log"
    path.write_bytes(cri("one", "two") + b"2024-05-01T10:00:01.000000Z stdout F thr")
    assert asyncio.run(collect(path, tail_lines=2)) == b"two\nthr\n"
    assert asyncio.run(collect(path, tail_lines=50)) == b"one\ntwo\nthr\n"


def test_follow_sees_new_lines_across_rotation_until_the_container_exits(tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "CONTAINER_LOG_MAX_SIZE", 16 * 1024)
    path = tmp_path / "app" / "0.log"

    async def scenario() -> tuple[bytes, int]:
        # The writer rotates the file several times while `kubectl logs -f --tail=1` follows it. Between two of
        # the follower's polls (a FakeClock's 0.1 s) it writes less than a file's worth (four bursts), so no
        # file is rotated away unread.
        clock = FakeClock()
        writer = await ContainerLogWriter.open(path)
        await writer.write(cri("before"))
        running = True
        reader = asyncio.create_task(collect(path, follow=True, tail_lines=1, still_running=lambda: running,
                                             clock=clock))

        async def poll() -> None:  # one poll of the follower, and it has read all there was
            clock.advance(logs.FOLLOW_POLL_SECONDS)
            await asyncio.wait_for(clock.sleeping(), 5)
        await asyncio.wait_for(clock.sleeping(), 5)  # it has sent "before" and waits for more
        for burst in range(40):
            await writer.write(cri(*(f"{burst:02d}-{i:03d}" for i in range(50))))
            if burst % 4 == 3:
                await poll()
        await writer.write(cri("last wo", tag="P"))
        await writer.write(cri("rds"))
        await writer.close()
        running = False
        clock.advance(logs.FOLLOW_POLL_SECONDS)
        out = await asyncio.wait_for(reader, 5)
        return out, len(rotated_logs(path))

    out, rotations = asyncio.run(scenario())
    assert rotations == 4
    expected = ["before"] + [f"{burst:02d}-{i:03d}" for burst in range(40) for i in range(50)] + ["last words"]
    assert out.decode().splitlines() == expected


def test_follow_a_running_container(tmp_path):
    # `running` turns false in wait(), once the process has exited and both log pumps have finished.
    # The program prints a line, then waits for the test's go (a line on a FIFO) once it is in the log.
    go = tmp_path / "go"
    os.mkfifo(go)

    async def with_wait() -> bytes:
        program = "import sys\nf = open(sys.argv[1])\nfor i in range(5):\n    print(i); f.readline()\nprint('bye', end='')"
        container = ContainerProcess("app", [sys.executable, "-uc", program, str(go)], tmp_path / "0.log", {})
        await container.start(enter_argv=[])
        waiter = asyncio.create_task(container.wait())
        follower = asyncio.create_task(collect(container.log_path, follow=True, still_running=lambda: container.running))
        with await asyncio.to_thread(open, go, "w") as told:
            for i in range(5):
                await eventually(lambda i=i: f" {i}\n".encode() in container.log_path.read_bytes())
                told.write("\n")
                told.flush()
        out = await asyncio.wait_for(follower, 5)
        assert await waiter == 0
        return out

    assert asyncio.run(with_wait()) == b"0\n1\n2\n3\n4\nbye"

"""`kubectl logs` as the kubelet serves it from a CRI log file: all of it, --tail from a large file without reading it
all, --timestamps, --limit-bytes, and --follow while the container writes, across the log's rotation."""
from __future__ import annotations

import asyncio
import sys
import time

from kubenet.kubelet import logs
from kubenet.kubelet.containers import ContainerProcess
from kubenet.kubelet.logs import ContainerLogWriter, read_logs, rotated_logs


def cri(*lines: str, stream: str = "stdout", tag: str = "F") -> bytes:
    return b"".join(f"2024-05-01T10:00:00.{i:06d}Z {stream} {tag} {line}\n".encode() for i, line in enumerate(lines))


async def collect(path, follow=False, tail_lines=None, timestamps=False, limit_bytes=None,
                  still_running=lambda: False) -> bytes:
    return b"".join([chunk async for chunk in read_logs(path, follow, tail_lines, timestamps, limit_bytes,
                                                        still_running)])


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

        async def ticker():
            nonlocal longest_gap, last
            while not done.is_set():
                await asyncio.sleep(0.001)
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
        # the follower's polls (0.1 s) it writes less than a file's worth, so no file is rotated away unread.
        writer = await ContainerLogWriter.open(path)
        await writer.write(cri("before"))
        running = True
        reader = asyncio.create_task(collect(path, follow=True, tail_lines=1, still_running=lambda: running))
        await asyncio.sleep(0.15)
        for burst in range(40):
            await writer.write(cri(*(f"{burst:02d}-{i:03d}" for i in range(50))))
            await asyncio.sleep(0.01 if burst % 4 else 0.2)
        await writer.write(cri("last wo", tag="P"))
        await writer.write(cri("rds"))
        await writer.close()
        running = False
        out = await asyncio.wait_for(reader, 5)
        return out, len(rotated_logs(path))

    out, rotations = asyncio.run(scenario())
    assert rotations == 4
    expected = ["before"] + [f"{burst:02d}-{i:03d}" for burst in range(40) for i in range(50)] + ["last words"]
    assert out.decode().splitlines() == expected


def test_follow_a_running_container(tmp_path):
    # `running` turns false in wait(), once the process has exited and both log pumps have finished.
    async def with_wait() -> bytes:
        program = "import time\nfor i in range(5):\n    print(i); time.sleep(0.05)\nprint('bye', end='')"
        container = ContainerProcess("app", [sys.executable, "-uc", program], tmp_path / "0.log", {})
        await container.start(enter_argv=[])
        waiter = asyncio.create_task(container.wait())
        out = await asyncio.wait_for(
            collect(container.log_path, follow=True, still_running=lambda: container.running), 5)
        assert await waiter == 0
        return out

    assert asyncio.run(with_wait()) == b"0\n1\n2\n3\n4\nbye"

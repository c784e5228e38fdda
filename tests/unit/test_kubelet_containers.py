"""A container's output reaches its CRI log file whatever it writes: long lines, lots of lines, stderr closed early,
output without a final newline; and the log rotates like the kubelet's containerLogMaxSize/MaxFiles."""
from __future__ import annotations

import asyncio
import os
import re
import sys

import pytest
import uvloop

from kubenet.kubelet import logs
from kubenet.kubelet.containers import ContainerProcess
from kubenet.kubelet.logs import MAX_LINE_SIZE, CRILineSplitter, rotated_logs
from tests.waiting import eventually

RECORD = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (stdout|stderr) ([FP]) (.*)$", re.DOTALL)


def records(path) -> list[tuple[bytes, bytes, bytes]]:
    """The log's records as (stream, F|P, text), each checked against the CRI format."""
    out = []
    for line in path.read_bytes().split(b"\n")[:-1]:
        match = RECORD.match(line)
        assert match, line[:100]
        out.append(match.groups())
    return out


async def run_container(tmp_path, argv: list[str], timeout: float = 10.0) -> tuple[int, ContainerProcess]:
    container = ContainerProcess("app", argv, tmp_path / "app" / "0.log", {"PATH": "/usr/bin:/bin"})
    await container.start(enter_argv=[])  # no Pod namespaces: the process runs on the host
    code = await asyncio.wait_for(container.wait(), timeout)
    return code, container


def test_a_100kb_line_then_100000_short_lines_are_logged_and_the_container_exits(tmp_path):
    writer = ("import sys\n"
              "out = sys.stdout\n"
              "out.write('x' * 100000 + '\\n')\n"
              "out.writelines(f'{i}\\n' for i in range(1, 100001))\n"
              "sys.stderr.write('done\\n')\n")
    code, container = asyncio.run(run_container(tmp_path, [sys.executable, "-c", writer]))
    assert code == 0
    log = records(container.log_path)
    stdout = [r for r in log if r[0] == b"stdout"]
    # containerd's split: 16 KiB P records, then the rest of the line in an F record
    assert [(tag, len(text)) for _, tag, text in stdout[:7]] == [(b"P", MAX_LINE_SIZE)] * 6 + [(b"F", 1696)]
    assert b"".join(text for _, _, text in stdout[:7]) == b"x" * 100000
    assert [text for _, _, text in stdout[7:]] == [str(i).encode() for i in range(1, 100001)]
    assert all(tag == b"F" for _, tag, _ in stdout[7:])
    assert [r for r in log if r[0] == b"stderr"] == [(b"stderr", b"F", b"done")]


@pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop as in the supervisor"])
def test_the_shell_repro_from_the_bug_report(tmp_path, run):
    script = "head -c 100000 /dev/zero | tr '\\0' x; echo; seq 1 100000"
    code, container = run(run_container(tmp_path, ["sh", "-c", script]))
    assert code == 0
    log = records(container.log_path)
    assert len(log) == 7 + 100000
    assert log[-1] == (b"stdout", b"F", b"100000")


def test_stdout_still_reaches_the_log_after_stderr_is_closed(tmp_path):
    go = tmp_path / "go"
    os.mkfifo(go)
    writer = ("import os, sys\n"
              "sys.stderr.write('closing stderr\\n'); sys.stderr.flush(); os.close(2)\n"
              "open(sys.argv[1]).read()\n"  # until the test has seen stderr's record
              "print('still here', flush=True)\n")

    async def story():
        running = asyncio.create_task(run_container(tmp_path, [sys.executable, "-c", writer, str(go)]))
        log = tmp_path / "app" / "0.log"
        await eventually(lambda: log.exists() and records(log) == [(b"stderr", b"F", b"closing stderr")])
        (await asyncio.to_thread(open, go, "w")).close()
        return await running

    code, container = asyncio.run(story())
    assert code == 0
    assert records(container.log_path) == [(b"stderr", b"F", b"closing stderr"), (b"stdout", b"F", b"still here")]


def test_output_without_a_final_newline_is_a_partial_record(tmp_path):
    code, container = asyncio.run(run_container(tmp_path, ["printf", "one\\ntwo"]))
    assert code == 0
    assert records(container.log_path) == [(b"stdout", b"F", b"one"), (b"stdout", b"P", b"two")]


def test_records_do_not_depend_on_how_the_pipe_chunks_the_output():
    output = b"short\n" + b"y" * (2 * MAX_LINE_SIZE) + b"\n" + b"z" * MAX_LINE_SIZE + b"\n\nend"
    whole = CRILineSplitter(b"stdout")
    expected = whole.feed(output, b"T") + whole.flush(b"T")
    for size in (1, 7, 4096, MAX_LINE_SIZE, MAX_LINE_SIZE + 1):
        splitter = CRILineSplitter(b"stdout")
        got = b"".join(splitter.feed(output[i:i + size], b"T") for i in range(0, len(output), size))
        assert got + splitter.flush(b"T") == expected, size
    assert expected.split(b"\n")[:-1] == [
        b"T stdout F short", b"T stdout P " + b"y" * MAX_LINE_SIZE, b"T stdout F " + b"y" * MAX_LINE_SIZE,
        b"T stdout F " + b"z" * MAX_LINE_SIZE, b"T stdout F ", b"T stdout P end"]


def test_the_log_rotates_past_its_size_and_keeps_four_rotated_files(tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "CONTAINER_LOG_MAX_SIZE", 64 * 1024)
    # ~1.3 MB of numbered lines, flushed in small pieces so the log is written (and rotated) many times
    writer = ("import sys\n"
              "for i in range(40000):\n"
              "    sys.stdout.write(f'line {i:06d}\\n')\n"
              "    if i % 500 == 0: sys.stdout.flush()\n")
    code, container = asyncio.run(run_container(tmp_path, [sys.executable, "-c", writer]))
    assert code == 0
    rotated = rotated_logs(container.log_path)
    assert len(rotated) == 4
    assert all(re.fullmatch(r"0\.log\.\d{8}-\d{6}(\.\d{6})?", p.name) for p in rotated)
    assert all(p.stat().st_size >= 64 * 1024 for p in rotated)
    # Oldest first, then the current file: whole records, in order, with nothing lost between the files.
    numbers = [int(text.split()[1]) for p in [*rotated, container.log_path] for _, _, text in records(p)]
    assert numbers == list(range(numbers[0], 40000))
    assert numbers[0] > 0  # the oldest files were deleted


@pytest.mark.parametrize("argv", [["sh", "-c", "exit 3"], ["sh", "-c", "kill -TERM $$"]])
def test_exit_codes_are_reported_like_a_runtime(tmp_path, argv):
    code, container = asyncio.run(run_container(tmp_path, argv))
    assert code == (3 if "exit" in argv[-1] else 128 + 15)
    assert not container.running
    assert container.log_path.exists()

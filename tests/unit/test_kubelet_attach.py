"""Attaching to a container's own stdio: a `tty: true, stdin: true` container is a shell on a pty that attached
clients see and type into; output reaches every attached client and the CRI log; stdinOnce closes the shell's
stdin when the first client leaves; without a tty, attach streams the stdout/stderr pipes."""
from __future__ import annotations

import asyncio

import uvloop

from kubenet.kubelet.containers import ContainerProcess


async def read_until(session, text: bytes, timeout: float = 5.0) -> bytes:
    seen = b""

    async def collect():
        nonlocal seen
        async for _, data in session.output():
            seen += data
            if text in seen:
                return
    await asyncio.wait_for(collect(), timeout)
    return seen


async def a_shell_on_a_pty(tmp_path, stdin_once: bool = False) -> ContainerProcess:
    container = ContainerProcess("dbg", ["sh"], tmp_path / "dbg" / "0.log",
                                 {"PATH": "/usr/bin:/bin", "PS1": "$ ", "TERM": "xterm"},
                                 tty=True, stdin=True, stdin_once=stdin_once)
    await container.start(enter_argv=[])  # no Pod namespaces: the shell runs on the host
    return container


def test_two_clients_see_what_one_types_and_exit_ends_both(tmp_path):
    async def story():
        container = await a_shell_on_a_pty(tmp_path)
        typist, watcher = container.attach(stdin=True), container.attach(stdin=False)
        typist.resize(120, 40)
        await typist.write_stdin(b"stty size; echo hello-$((6*7))\n")
        assert b"hello-42" in await read_until(typist, b"hello-42")
        seen = await read_until(watcher, b"hello-42")
        assert b"40 120" in seen
        await watcher.write_stdin(b"echo ignored\n")  # a client without stdin cannot type
        await typist.write_stdin(b"exit 3\n")
        async for _ in typist.output():  # its output ends when the shell exits
            pass
        assert await asyncio.wait_for(container.wait(), 5) == 3
        assert await typist.wait() == 0  # attach itself ended without error, as the kubelet reports it
        return container
    container = uvloop.run(story())
    log = container.log_path.read_bytes()
    assert b" stdout F hello-42\r" in log  # a tty's output is logged as stdout, with the terminal's CRLF
    assert b"ignored" not in log


def test_stdin_once_ends_the_shell_when_the_first_client_leaves(tmp_path):
    async def story():
        container = await a_shell_on_a_pty(tmp_path, stdin_once=True)
        session = container.attach(stdin=True)
        await session.write_stdin(b"echo ready\n")
        await read_until(session, b"ready\r\n")
        session.hang_up()  # the client went away: the shell reads EOF (^D) and exits
        return await asyncio.wait_for(container.wait(), 5)
    assert uvloop.run(story()) == 0


def test_attach_without_a_tty_streams_stdout_and_stderr_and_feeds_a_stdin_pipe(tmp_path):
    async def story():
        container = ContainerProcess("app", ["sh", "-c", "read line; echo out-$line; echo err-$line >&2"],
                                     tmp_path / "app" / "0.log", {"PATH": "/usr/bin:/bin"}, stdin=True)
        await container.start(enter_argv=[])
        session = container.attach(stdin=True)
        await session.write_stdin(b"x\n")
        chunks = [chunk async for chunk in session.output()]
        assert await asyncio.wait_for(container.wait(), 5) == 0
        late = container.attach(stdin=False)
        assert [chunk async for chunk in late.output()] == []  # attaching after the end: nothing, no hang
        return chunks
    chunks = asyncio.run(story())
    assert (1, b"out-x\n") in chunks and (2, b"err-x\n") in chunks

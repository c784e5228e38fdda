"""A container whose program reports its start (our image stand-ins) counts as started once it is bound, not
once it exists: before that, kube-proxy would route to a Pod whose port still refuses connections."""
from __future__ import annotations

import asyncio
import os
import socket
import sys
import time

from kubenet.kubelet.containers import ContainerProcess
from kubenet.kubelet.images import catalog
from kubenet.kubelet.images.catalog import PY

ENV = {"PATH": "/usr/bin:/bin", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
# Reports once the test says so (EOF on a FIFO), then idles until stopped.
REPORT_WHEN_TOLD = ("import signal, sys; open(sys.argv[1]).read()\n"
                    "from kubenet.kubelet.images.started import report_started; report_started()\n"
                    "signal.pause()\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start(tmp_path, argv: list[str], report: bool) -> tuple[ContainerProcess, float]:
    container = ContainerProcess("app", argv, tmp_path / "app" / "0.log", ENV, report_start=report)
    began = time.monotonic()
    await container.start(enter_argv=[])  # no Pod namespaces: the process runs on the host
    return container, time.monotonic() - began


def test_start_waits_for_the_program_to_report(tmp_path):
    go = tmp_path / "go"
    os.mkfifo(go)

    async def story():
        starting = asyncio.create_task(start(tmp_path, [sys.executable, "-c", REPORT_WHEN_TOLD, str(go)], report=True))
        told = await asyncio.wait_for(asyncio.to_thread(open, go, "w"), 10)  # returns once the program runs
        assert not starting.done()  # running, not reported: not started
        told.close()
        container, _ = await asyncio.wait_for(starting, 10)
        running = container.running
        await container.stop(0)
        return running

    assert asyncio.run(story())


def test_a_program_that_exits_without_reporting_does_not_hold_the_start(tmp_path):
    async def story():
        container, took = await start(tmp_path, [sys.executable, "-c", "pass"], report=True)
        return took, await container.wait()

    took, code = asyncio.run(story())
    assert took < 2 and code == 0


def test_only_reporting_containers_get_the_pipe(tmp_path):
    show = [sys.executable, "-c", "import os, sys; sys.stdout.write(os.environ.get('KUBENET_STARTED_FD', '-'))"]

    async def story(report: bool) -> bytes:
        container, _ = await start(tmp_path / str(report), show, report)
        await container.wait()  # the log pumps have finished too
        return container.log_path.read_bytes().rsplit(b" ", 1)[-1].strip()  # the CRI record's text

    assert asyncio.run(story(False)) == b"-"
    assert asyncio.run(story(True)).isdigit()


def test_the_nginx_stand_in_accepts_connections_once_it_counts_as_started(tmp_path):
    port = free_port()

    async def story():
        container, _ = await start(tmp_path, [PY, "-m", "kubenet.kubelet.images.web", "nginx", "--port", str(port)],
                                   report=True)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:  # no retry: it must be bound
                conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
                return conn.recv(100)
        finally:
            await container.stop(0)

    assert asyncio.run(story()).startswith(b"HTTP/1.1 200")


def test_which_programs_report():
    assert catalog.reports_start(catalog.container_argv({"image": "httpd"}))
    assert catalog.reports_start(catalog.container_argv({"image": "nginx:1.27"}))
    assert catalog.reports_start(catalog.container_argv({"image": "registry.k8s.io/e2e-test-images/agnhost:2.52",
                                                         "args": ["netexec", "--http-port=8080"]}))
    assert not catalog.reports_start(catalog.container_argv({"image": "registry.k8s.io/e2e-test-images/agnhost"}))
    assert not catalog.reports_start(catalog.container_argv({"image": "busybox"}))
    assert not catalog.reports_start(catalog.container_argv({"image": "nginx", "command": ["sleep", "1"]}))


def test_our_programs_run_the_kubelets_own_kubenet(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/src/tree")
    for image in ("nginx", "registry.k8s.io/e2e-test-images/agnhost", "registry.k8s.io/coredns/coredns"):
        assert catalog.program_env(catalog.container_argv({"image": image})) == {"PYTHONPATH": "/src/tree"}
    assert catalog.program_env(catalog.container_argv({"image": "busybox"})) == {}
    monkeypatch.delenv("PYTHONPATH")
    assert catalog.program_env(catalog.container_argv({"image": "nginx"})) == {}

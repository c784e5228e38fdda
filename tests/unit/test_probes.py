"""The kubelet's prober against servers on 127.0.0.1: httpGet, tcpSocket, exec and grpc handlers with the
prober's messages, thresholds, startup gating, and a liveness failure that kills and restarts the container."""
from __future__ import annotations

import asyncio
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kubenet.kubelet import probes
from kubenet.kubelet.pod_worker import ContainerState
from kubenet.kubelet.status import _container_status
from tests.unit.test_images_support import free_port
from tests.waiting import eventually


class Backend:
    """An HTTP server whose answer a test changes: status, hanging, redirect; it counts requests."""

    def __init__(self):
        self.status, self.location, self.requests = 200, "", []
        self.hang = False
        self.released = threading.Event()  # a hanging request answers once the test is over
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                backend.requests.append((self.path, dict(self.headers)))
                if backend.hang:
                    backend.released.wait()
                body = b"ok"
                self.send_response(backend.status)
                if backend.location:
                    self.send_header("Location", backend.location)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def backend():
    server = Backend()
    yield server
    server.close()


class FakeProcess:
    def __init__(self, env: dict | None = None):
        self.running, self.env, self.stopped_with = True, env or dict(os.environ), None
        self.container_id, self.started_at = "c0ffee", "2025-01-01T00:00:00Z"
        self.stopped = asyncio.Event()

    async def stop(self, grace: float) -> None:
        self.stopped_with, self.running = grace, False
        self.stopped.set()

    async def killed(self) -> float:
        """Wait for the kill (it runs as its own task) and return its grace period."""
        await asyncio.wait_for(self.stopped.wait(), 5)
        return self.stopped_with


class FakeSandbox:
    ip = "127.0.0.1"

    def enter_argv(self) -> list[str]:
        return []


class FakeKubelet:
    def __init__(self):
        self.events: list[tuple[str, str, str]] = []

    def recorder_event(self, obj, type_, reason, message):
        self.events.append((type_, reason, message))


class FakePodWorker:
    """What the prober reads of a PodWorker: pod, containers, sandbox, kubelet, poke()."""

    def __init__(self, container: dict, restart_policy: str = "Always", grace: int | None = None):
        spec = {"containers": [container], "restartPolicy": restart_policy}
        if grace is not None:
            spec["terminationGracePeriodSeconds"] = grace
        self.pod = {"metadata": {"name": "web", "namespace": "default", "uid": "u1"}, "spec": spec}
        self.key = "default/web"
        self.containers = {container["name"]: ContainerState(container)}
        self.sandbox, self.kubelet, self.terminated, self.pokes = FakeSandbox(), FakeKubelet(), False, 0

    @property
    def state(self) -> ContainerState:
        return next(iter(self.containers.values()))

    def start_container(self, env: dict | None = None) -> FakeProcess:
        self.state.process = FakeProcess(env)
        self.state.waiting = None
        self.state.started = True  # what _converge_container sets; sync_pod corrects it for startup probes
        return self.state.process

    def poke(self):
        self.pokes += 1


def container(**probe_fields) -> dict:
    return {"name": "app", "image": "nginx", "ports": [{"name": "http", "containerPort": 0}], **probe_fields}


def http_probe(port, path="/healthz", **fields) -> dict:
    return {"httpGet": {"path": path, "port": port}, "timeoutSeconds": 1, "periodSeconds": 0.05,
            "successThreshold": 1, "failureThreshold": 3, **fields}


async def ticks(worker: probes.ProbeWorker, count: int) -> None:
    """Run the worker's probe `count` times, skipping its waits."""
    for _ in range(count):
        if worker.process is not worker.state.process:
            worker.container_changed()
        worker.started_at = time.monotonic() - 100  # past any initial delay
        await worker.do_probe()


# --- the handlers ------------------------------------------------------------------------------------------
def test_http_get_succeeds_on_2xx_and_reports_statuscode_otherwise(backend):
    action = {"path": "/healthz", "httpHeaders": [{"name": "X-Probe", "value": "yes"}]}
    result = asyncio.run(probes.http_get("127.0.0.1", backend.port, action, 1))
    assert (result.result, result.output) == (probes.SUCCESS, "ok")
    path, headers = backend.requests[-1]
    assert path == "/healthz" and headers["User-Agent"] == "kube-probe/1.32" and headers["X-Probe"] == "yes"
    backend.status = 500
    result = asyncio.run(probes.http_get("127.0.0.1", backend.port, action, 1))
    assert (result.result, result.output) == (probes.FAILURE, "HTTP probe failed with statuscode: 500")


def test_http_get_connection_refused_and_timeout_read_like_go(backend):
    closed = free_port()
    result = asyncio.run(probes.http_get("127.0.0.1", closed, {"path": "/healthz"}, 1))
    assert result.output == (f'Get "http://127.0.0.1:{closed}/healthz": dial tcp 127.0.0.1:{closed}: connect: '
                             "connection refused")
    backend.hang = True
    result = asyncio.run(probes.http_get("127.0.0.1", backend.port, {"path": "/"}, 0.2))
    assert result.result == probes.FAILURE
    assert result.output.endswith("context deadline exceeded (Client.Timeout exceeded while awaiting headers)")


def test_http_get_redirect_off_host_is_a_warning(backend):
    backend.status, backend.location = 302, "http://example.invalid/elsewhere"
    result = asyncio.run(probes.http_get("127.0.0.1", backend.port, {"path": "/"}, 1))
    assert result.result == probes.WARNING and result.output.startswith("Probe terminated redirects")


def test_tcp_socket_and_grpc(backend):
    assert asyncio.run(probes.tcp_connect("127.0.0.1", backend.port, 1)).result == probes.SUCCESS
    closed = free_port()
    result = asyncio.run(probes.tcp_connect("127.0.0.1", closed, 1))
    assert result.output == f"dial tcp 127.0.0.1:{closed}: connect: connection refused"
    assert asyncio.run(probes.grpc_check("127.0.0.1", backend.port, 1)).result == probes.SUCCESS
    result = asyncio.run(probes.grpc_check("127.0.0.1", closed, 1))
    assert result.output == (f'timeout: failed to connect service "127.0.0.1:{closed}" within 1s: context deadline '
                             "exceeded")


def test_exec_exit_code_output_env_and_timeout():
    run = probes.exec_command
    assert asyncio.run(run([], ["sh", "-c", "exit 0"], None, 1)).result == probes.SUCCESS
    result = asyncio.run(run([], ["sh", "-c", "echo not healthy >&2; exit 1"], None, 1))
    assert (result.result, result.output) == (probes.FAILURE, "not healthy\n")
    env = {"PATH": os.environ["PATH"], "READY_FILE": "/"}
    assert asyncio.run(run([], ["sh", "-c", 'test -e "$READY_FILE"'], env, 1)).result == probes.SUCCESS
    result = asyncio.run(run([], ["sleep", "5"], None, 0.2))
    assert (result.result, result.output) == (probes.FAILURE, 'command "sleep 5" timed out')


def test_named_ports_resolve_from_the_container():
    spec = {"name": "app", "ports": [{"name": "http", "containerPort": 8080}]}
    assert probes.resolve_port("http", spec) == 8080
    assert probes.resolve_port("9090", spec) == 9090
    with pytest.raises(probes.ProbeError, match='strconv.Atoi: parsing "metrics": invalid syntax'):
        probes.resolve_port("metrics", spec)


# --- the workers -------------------------------------------------------------------------------------------
def test_readiness_follows_thresholds_and_records_unhealthy_events(backend):
    async def scenario():
        pod = FakePodWorker(container(readinessProbe=http_probe(backend.port, failureThreshold=2)))
        pod.start_container()
        worker = probes.ProbeWorker(pod, pod.state, "readinessProbe", "Readiness")
        await ticks(worker, 1)
        assert pod.state.ready is True
        backend.status = 500
        await ticks(worker, 1)
        assert pod.state.ready is True  # one failure is under failureThreshold=2
        await ticks(worker, 1)
        assert pod.state.ready is False
        assert pod.kubelet.events[-1] == ("Warning", "Unhealthy",
                                          "Readiness probe failed: HTTP probe failed with statuscode: 500")
        assert len([e for e in pod.kubelet.events if e[1] == "Unhealthy"]) == 2  # an event per failed probe
    asyncio.run(scenario())


def test_liveness_failure_kills_with_the_probe_grace_and_says_it_will_restart(backend):
    async def scenario():
        backend.status = 500
        probe = http_probe(backend.port, terminationGracePeriodSeconds=7)
        pod = FakePodWorker(container(livenessProbe=probe), grace=30)
        process = pod.start_container()
        worker = probes.ProbeWorker(pod, pod.state, "livenessProbe", "Liveness")
        await ticks(worker, 2)
        assert process.running  # two failures of three
        await ticks(worker, 1)
        assert await process.killed() == 7.0
        assert ("Normal", "Killing", "Container app failed liveness probe, will be restarted") in pod.kubelet.events
        assert ("Warning", "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500") in \
            pod.kubelet.events
        assert pod.state.next_start and pod.state.next_start <= time.monotonic()  # first restart is immediate
        requests = len(backend.requests)
        await ticks(worker, 2)
        assert len(backend.requests) == requests  # on hold until a new container runs
        pod.start_container()
        await ticks(worker, 1)
        assert len(backend.requests) == requests + 1 and not worker.on_hold
    asyncio.run(scenario())


def test_liveness_kill_with_restart_policy_never_uses_the_pod_grace(backend):
    async def scenario():
        backend.status = 500
        pod = FakePodWorker(container(livenessProbe=http_probe(backend.port, failureThreshold=1)), "Never", 12)
        process = pod.start_container()
        worker = probes.ProbeWorker(pod, pod.state, "livenessProbe", "Liveness")
        await ticks(worker, 1)
        assert await process.killed() == 12.0
        assert ("Normal", "Killing", "Container app failed liveness probe") in pod.kubelet.events
    asyncio.run(scenario())


def test_startup_probe_gates_liveness_and_readiness_and_sets_started(backend):
    async def scenario():
        backend.status = 500
        spec = container(startupProbe=http_probe(backend.port, "/started", failureThreshold=30),
                         livenessProbe=http_probe(backend.port, "/healthz"),
                         readinessProbe=http_probe(backend.port, "/ready"))
        pod = FakePodWorker(spec)
        pod.start_container()
        probes.sync_pod(pod)
        try:
            assert pod.state.started is False and pod.state.ready is False
            status = _container_status(pod, pod.state)
            assert status["started"] is False and status["ready"] is False and "running" in status["state"]
            # Five startup probes (every 0.05 s): liveness and readiness had as many chances to run.
            await eventually(lambda: len(backend.requests) >= 5)
            paths = {path for path, _ in backend.requests}
            assert paths == {"/started"}  # nothing else runs before the container has started
            backend.status = 200
            await eventually(lambda: pod.state.ready, what="ready")
            assert pod.state.started is True and pod.state.ready is True
            assert {"/healthz", "/ready"} <= {path for path, _ in backend.requests}
            assert _container_status(pod, pod.state)["started"] is True
        finally:
            probes.stop_pod(pod)
    asyncio.run(scenario())


def test_containers_without_probes_are_ready_once_running():
    pod = FakePodWorker(container())
    probes.sync_pod(pod)
    assert pod.state.ready is False
    pod.start_container()
    probes.sync_pod(pod)
    assert pod.state.ready is True and pod.state.started is True
    pod.state.process.running = False
    probes.sync_pod(pod)
    assert pod.state.ready is False


def test_a_probe_that_cannot_run_is_an_errored_failure():
    async def scenario():
        probe = {"httpGet": {"path": "/", "port": "metrics"}, "periodSeconds": 1, "failureThreshold": 3}
        pod = FakePodWorker(container(livenessProbe=probe))
        pod.start_container()
        worker = probes.ProbeWorker(pod, pod.state, "livenessProbe", "Liveness")
        await ticks(worker, 1)
        assert pod.kubelet.events == [("Warning", "Unhealthy", ('Liveness probe errored and resulted in unknown '
                                       'state: strconv.Atoi: parsing "metrics": invalid syntax'))]
    asyncio.run(scenario())


def test_liveness_stops_when_the_pod_is_being_deleted(backend):
    async def scenario():
        backend.status = 500
        pod = FakePodWorker(container(livenessProbe=http_probe(backend.port, failureThreshold=1)))
        process = pod.start_container()
        pod.pod["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
        worker = probes.ProbeWorker(pod, pod.state, "livenessProbe", "Liveness")
        worker.container_changed()
        worker.started_at -= 100
        assert await worker.do_probe() is None
        assert process.running and not backend.requests
    asyncio.run(scenario())


def test_end_to_end_liveness_failure_restarts_through_sync_pod(backend):
    """The worker tasks sync_pod starts find the failure on their own and kill the container."""
    async def scenario():
        pod = FakePodWorker(container(livenessProbe=http_probe(backend.port, failureThreshold=2)))
        process = pod.start_container()
        probes.sync_pod(pod)
        try:
            await eventually(lambda: pod.state.ready and len(backend.requests) >= 3)
            assert process.running  # three passed probes
            backend.status = 500
            assert await process.killed() == 30.0  # the pod's default terminationGracePeriodSeconds
            assert pod.pokes > 0
        finally:
            probes.stop_pod(pod)
    asyncio.run(scenario())

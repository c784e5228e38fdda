"""Container probes as the kubelet's prober runs them (pkg/kubelet/prober): one worker per container and probe.

Each worker wakes every periodSeconds; a result only changes the container's state after successThreshold
successes or failureThreshold failures in a row. Startup probes gate the others and set `started`; readiness
sets `ready`; a liveness (or startup) failure kills the container, which restarts per restartPolicy. Every
failed probe records an `Unhealthy` event with the prober's text ("Liveness probe failed: HTTP probe failed with
statuscode: 500"). Probes run from the kubelet's side of the network, like on a real node.

The handlers: httpGet, tcpSocket, exec, and grpc, which kubenet checks as a TCP connect to the port (our images
do not serve gRPC health; the message still reads like the gRPC prober's).
"""
from __future__ import annotations

import asyncio
import logging
import os
import shlex
import signal
import ssl
import time
import urllib.parse
from dataclasses import dataclass

from kubenet.api.version import GIT_VERSION
from kubenet.kubelet.spawn import with_pod_umask

log = logging.getLogger(__name__)
PROBE_TYPES = (("startupProbe", "Startup"), ("readinessProbe", "Readiness"), ("livenessProbe", "Liveness"))
USER_AGENT = "kube-probe/" + ".".join(GIT_VERSION.lstrip("v").split(".")[:2])
MAX_RESPONSE = 10 * 1024   # the prober reads at most 10 KiB of a body or of exec output
FIRST_PROBE_AFTER = 1.0    # seconds after a container starts (see ProbeWorker.run)
SUCCESS, FAILURE, WARNING = "success", "failure", "warning"


class ProbeError(Exception):
    """The probe could not run (e.g. a named port the container does not declare): an 'errored' result."""


@dataclass
class ProbeResult:
    result: str
    output: str = ""


# --- the handlers ---------------------------------------------------------------------------------------
def resolve_port(port, container: dict) -> int:
    """An int port, or a named one from the container's ports (prober.go extractPort / findPortByName)."""
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        number = int(port)
    else:
        number = next((int(p["containerPort"]) for p in container.get("ports") or [] if p.get("name") == port), -1)
        if number == -1:
            raise ProbeError(f'strconv.Atoi: parsing "{port}": invalid syntax')  # after "port {port} not found"
    if not 0 < number < 65536:
        raise ProbeError(f"invalid port number: {number}")
    return number


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _dial_error(address: str, exc: BaseException) -> str:
    """Go's net.Dial error text: `dial tcp 10.244.1.5:8080: connect: connection refused`."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return f"dial tcp {address}: i/o timeout"
    # asyncio words its own strerror ("Connect call failed ..."); the errno is the kernel's answer.
    reason = os.strerror(exc.errno) if getattr(exc, "errno", None) else str(exc)
    return f"dial tcp {address}: connect: {reason.lower()}"


async def http_get(host: str, port: int, action: dict, timeout: float) -> ProbeResult:
    """pkg/probe/http: GET with the probe's headers, redirects followed on the same host, 2xx/3xx succeed."""
    scheme = (action.get("scheme") or "HTTP").lower()
    path = action.get("path") or "/"
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    for header in action.get("httpHeaders") or []:
        headers[header["name"]] = header["value"]
    url = f"{scheme}://{_host_port(host, port)}{path if path.startswith('/') else '/' + path}"
    deadline = time.monotonic() + timeout
    for _ in range(10):
        try:
            status, location, body = await asyncio.wait_for(_http_request(url, headers),
                                                             max(0.001, deadline - time.monotonic()))
        except TimeoutError:
            return ProbeResult(FAILURE, f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while '
                                        "awaiting headers)")
        except OSError as exc:
            target = urllib.parse.urlsplit(url)
            return ProbeResult(FAILURE, f'Get "{url}": {_dial_error(target.netloc, exc)}')
        except (ValueError, asyncio.IncompleteReadError) as exc:
            return ProbeResult(FAILURE, f'Get "{url}": {exc or "EOF"}')
        if 300 <= status < 400 and location:
            follow = urllib.parse.urljoin(url, location)
            if urllib.parse.urlsplit(follow).hostname == urllib.parse.urlsplit(url).hostname:
                url = follow
                continue
        break
    else:
        return ProbeResult(FAILURE, f'Get "{url}": stopped after 10 redirects')
    if 300 <= status < 400:  # a redirect off the host (or without a Location) ends here
        return ProbeResult(WARNING, f"Probe terminated redirects, Response body: {body}")
    if 200 <= status < 300:
        return ProbeResult(SUCCESS, body)
    return ProbeResult(FAILURE, f"HTTP probe failed with statuscode: {status}")


async def _http_request(url: str, headers: dict[str, str]) -> tuple[int, str, str]:
    parts = urllib.parse.urlsplit(url)
    context = None
    if parts.scheme == "https":  # the prober does not verify certificates
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or (443 if context else 80),
                                                   ssl=context)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        head = {"Host": parts.netloc, **headers, "Connection": "close"}
        writer.write((f"GET {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items())
                      + "\r\n").encode())
        await writer.drain()
        status_line = await reader.readline()
        fields = status_line.decode(errors="replace").split(None, 2)
        if len(fields) < 2 or not fields[1].isdigit():
            raise ValueError("malformed HTTP response" if status_line else "")
        response_headers: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            key, _, value = line.decode(errors="replace").partition(":")
            response_headers[key.strip().lower()] = value.strip()
        length = response_headers.get("content-length")
        if length is not None and length.isdigit():
            body = await reader.read(min(int(length), MAX_RESPONSE)) if int(length) else b""
        else:
            body = await reader.read(MAX_RESPONSE)
        return int(fields[1]), response_headers.get("location", ""), body.decode(errors="replace")
    finally:
        writer.close()


async def tcp_connect(host: str, port: int, timeout: float) -> ProbeResult:
    """pkg/probe/tcp: a connection that opens is a success."""
    address = _host_port(host, port)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (TimeoutError, OSError) as exc:
        return ProbeResult(FAILURE, _dial_error(address, exc))
    writer.close()
    return ProbeResult(SUCCESS)


async def grpc_check(host: str, port: int, timeout: float) -> ProbeResult:
    """kubenet has no gRPC health client: a TCP connect stands in for grpc.health.v1.Health/Check."""
    result = await tcp_connect(host, port, timeout)
    if result.result == SUCCESS:
        return result
    # grpc-go dials with WithBlock and retries until the deadline, so every failure reads as a timeout.
    return ProbeResult(FAILURE, f'timeout: failed to connect service "{_host_port(host, port)}" within '
                                f"{timeout:g}s: context deadline exceeded")


async def exec_command(enter_argv: list[str], command: list[str], env: dict | None, timeout: float) -> ProbeResult:
    """pkg/probe/exec: exit 0 is a success; the combined output is the message."""
    if not command:
        raise ProbeError("missing command in exec probe")
    proc = await asyncio.create_subprocess_exec(*with_pod_umask([*enter_argv, *command]),
                                                stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                                                env=env, start_new_session=True)
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        await proc.wait()
        return ProbeResult(FAILURE, f'command "{shlex.join(command)}" timed out')
    text = output[:MAX_RESPONSE].decode(errors="replace")
    return ProbeResult(SUCCESS if proc.returncode == 0 else FAILURE, text)


async def run_probe(probe: dict, container: dict, pod_ip: str, enter_argv: list[str],
                    env: dict | None = None) -> ProbeResult:
    """One probe attempt. Raises ProbeError when it cannot be run at all."""
    timeout = float(probe.get("timeoutSeconds") or 1)
    if "httpGet" in probe:
        action = probe["httpGet"]
        return await http_get(action.get("host") or pod_ip, resolve_port(action.get("port"), container), action,
                              timeout)
    if "tcpSocket" in probe:
        action = probe["tcpSocket"]
        return await tcp_connect(action.get("host") or pod_ip, resolve_port(action.get("port"), container), timeout)
    if "grpc" in probe:
        return await grpc_check(pod_ip, resolve_port(probe["grpc"].get("port"), container), timeout)
    if "exec" in probe:
        return await exec_command(enter_argv, list(probe["exec"].get("command") or []), env, timeout)
    raise ProbeError("missing probe handler")


# --- the workers ----------------------------------------------------------------------------------------
class ProbeWorker:
    """One probe of one container (prober/worker.go): periodic, thresholded, held after a kill until the
    container restarts."""

    def __init__(self, pod_worker, state, field: str, kind: str):
        self.pod_worker = pod_worker
        self.state = state
        self.field = field          # "livenessProbe"
        self.kind = kind            # "Liveness", as the events spell it
        self.process = None         # the container process the results belong to
        self.started_at = 0.0
        self.last_result: str | None = None
        self.result_run = 0
        self.on_hold = False
        self.probed_once = False
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None

    @property
    def spec(self) -> dict:
        return self.state.spec.get(self.field) or {}

    def start(self) -> None:
        self.task = asyncio.create_task(self.run(), name=f"probe-{self.pod_worker.key}-{self.state.name}-{self.kind}")

    async def run(self) -> None:
        while True:
            delay = await self.do_probe()
            if delay is None:
                return
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), delay)
            except TimeoutError:
                pass

    def period(self) -> float:
        return float(self.spec.get("periodSeconds") or 10)

    def container_changed(self) -> None:
        """A new container (first start or restart): reset to the probe's initial result (worker.go)."""
        self.process = self.state.process
        self.started_at = time.monotonic()
        self.last_result, self.result_run, self.on_hold, self.probed_once = None, 0, False, False
        if self.kind == "Readiness":
            self.state.ready = False
        elif self.kind == "Startup":
            self.state.started = False

    async def do_probe(self) -> float | None:
        """One tick. Returns the seconds until the next one, or None when the worker is done."""
        worker, state = self.pod_worker, self.state
        if worker.terminated or worker.sandbox is None and self.process is not None:
            return None
        proc = state.process
        if proc is None or not proc.running:
            if self.kind == "Readiness":
                state.ready = False
            return self.period()
        if proc is not self.process:
            self.container_changed()
        if self.on_hold:
            return self.period()
        deleting = bool(worker.pod["metadata"].get("deletionTimestamp"))
        if deleting and self.kind in ("Liveness", "Startup"):
            return None  # a Pod being deleted is no longer restarted for failing these
        # The first probe comes after initialDelaySeconds and not before the process had a moment to listen:
        # the kubelet's ticker lands somewhere inside the first period; we take an early point in it.
        first = max(float(self.spec.get("initialDelaySeconds") or 0), min(FIRST_PROBE_AFTER, self.period()))
        elapsed = time.monotonic() - self.started_at
        if not self.probed_once and elapsed < first:
            return first - elapsed
        if state.started and self.kind == "Startup":
            return self.period()
        if not state.started and self.kind != "Startup":
            return self.period()
        self.probed_once = True
        result = await self.probe()
        if state.process is not self.process:  # restarted while we were probing
            return 0.0
        if result == self.last_result:
            self.result_run += 1
        else:
            self.last_result, self.result_run = result, 1
        threshold = int(self.spec.get("failureThreshold" if result == FAILURE else "successThreshold") or
                        (3 if result == FAILURE else 1))
        if self.result_run < threshold:
            return self.period()
        self.apply(result)
        return self.period()

    async def probe(self) -> str:
        """Run the probe, record the prober's events, and give success or failure (a warning is a success)."""
        worker, state = self.pod_worker, self.state
        sandbox = worker.sandbox
        try:
            outcome = await run_probe(self.spec, state.spec, sandbox.ip if sandbox else "",
                                      sandbox.enter_argv() if sandbox else [],
                                      getattr(state.process, "env", None))
        except ProbeError as exc:
            worker.kubelet.recorder_event(worker.pod, "Warning", "Unhealthy",
                                          f"{self.kind} probe errored and resulted in unknown state: {exc}")
            return FAILURE
        except OSError as exc:  # e.g. nsenter missing for an exec probe
            worker.kubelet.recorder_event(worker.pod, "Warning", "Unhealthy",
                                          f"{self.kind} probe errored and resulted in unknown state: {exc}")
            return FAILURE
        if outcome.result == FAILURE:
            worker.kubelet.recorder_event(worker.pod, "Warning", "Unhealthy",
                                          f"{self.kind} probe failed: {outcome.output}")
            return FAILURE
        if outcome.result == WARNING:
            worker.kubelet.recorder_event(worker.pod, "Warning", "ProbeWarning",
                                          f"{self.kind} probe warning: {outcome.output}")
        return SUCCESS

    def apply(self, result: str) -> None:
        """The result crossed its threshold: it now decides the container's state."""
        worker, state = self.pod_worker, self.state
        if self.kind == "Readiness":
            state.ready = result == SUCCESS
        elif self.kind == "Startup" and result == SUCCESS:
            state.started = True
            for other in getattr(worker, "probe_workers", {}).get(state.name, []):
                other.wake.set()  # readiness and liveness start now, not a period later
        if result == FAILURE and self.kind in ("Liveness", "Startup"):
            self.on_hold, self.result_run = True, 0
            asyncio.create_task(self.kill())
        worker.poke()

    async def kill(self) -> None:
        """kuberuntime's computePodActions for a failed liveness/startup probe: kill, then restart per policy."""
        worker, state = self.pod_worker, self.state
        proc = state.process
        if proc is None or not proc.running:
            return
        pod_spec = worker.pod["spec"]
        restart = pod_spec.get("restartPolicy", "Always") != "Never"
        message = f"Container {state.name} failed {self.kind.lower()} probe"
        worker.kubelet.recorder_event(worker.pod, "Normal", "Killing",
                                      message + (", will be restarted" if restart else ""))
        grace = self.spec.get("terminationGracePeriodSeconds")
        if grace is None:
            grace = pod_spec.get("terminationGracePeriodSeconds", 30)
        if restart and state.restart_count == 0:
            # The kubelet's back-off only bites from the second restart on: the first one is immediate.
            state.next_start = time.monotonic()
        await proc.stop(float(grace))
        worker.poke()


def sync_pod(worker) -> None:
    """Called on every pod sync (before status is written): start a worker per probe, keep `ready` and
    `started` right for containers without probes."""
    workers = getattr(worker, "probe_workers", None)
    if workers is None:
        workers = worker.probe_workers = {}
    for state in worker.containers.values():
        running = state.process is not None and state.process.running
        mine = workers.get(state.name)
        if mine is None:
            mine = workers[state.name] = [ProbeWorker(worker, state, field, kind)
                                          for field, kind in PROBE_TYPES if state.spec.get(field)]
            for probe_worker in mine:
                probe_worker.start()
        for probe_worker in mine:
            if running and state.process is not probe_worker.process:
                probe_worker.container_changed()   # before this sync's status shows the new container
                probe_worker.wake.set()
        kinds = {p.kind for p in mine}
        if not running:
            state.ready = False
            continue
        if "Startup" not in kinds:
            state.started = True
        if "Readiness" not in kinds:
            state.ready = bool(state.started)


def stop_pod(worker) -> None:
    """The Pod is going away: its probe workers stop (the kubelet's prober manager RemovePod)."""
    for probe_workers in (getattr(worker, "probe_workers", None) or {}).values():
        for probe_worker in probe_workers:
            if probe_worker.task is not None:
                probe_worker.task.cancel()
    worker.probe_workers = {}


# The name the pod worker used before startup and liveness probes existed.
async def run_readiness(worker) -> None:
    sync_pod(worker)

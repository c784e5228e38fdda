"""One Pod on one node: sandbox, containers, restarts with back-off, readiness, status, graceful stop.

Like the kubelet's pod workers, each Pod has its own task that is poked whenever the Pod changes and that
converges the node to the Pod spec; status goes back through the pods/status subresource.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import time
from pathlib import Path

from cni.errors import CNIError
from kubenet.api.errors import APIError
from kubenet.kubelet import probes, recovery
from kubenet.kubelet.containers import ContainerProcess
from kubenet.kubelet.dns import pod_hosts_file, pod_resolv_conf
from kubenet.kubelet.images import catalog
from kubenet.kubelet.sandbox import PodSandbox

log = logging.getLogger(__name__)
BACKOFF_START, BACKOFF_MAX = 10.0, 300.0


class ContainerState:
    """What the kubelet knows of one container across restarts."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.process: ContainerProcess | None = None
        self.restart_count = 0
        self.last_termination: dict | None = None
        self.waiting: tuple[str, str] | None = ("ContainerCreating", "")
        self.backoff = BACKOFF_START
        self.next_start = 0.0
        self.ready = False
        self.started = False

    @property
    def name(self) -> str:
        return self.spec["name"]


class PodWorker:
    def __init__(self, kubelet, pod: dict):
        self.kubelet = kubelet
        self.pod = pod
        self.uid = pod["metadata"]["uid"]
        self.key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
        self.sandbox: PodSandbox | None = None
        self.containers = {c["name"]: ContainerState(c) for c in pod["spec"].get("containers") or []}
        self.init_containers = [ContainerState(c) for c in pod["spec"].get("initContainers") or []]
        self.init_done = not self.init_containers
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._last_status: dict | None = None
        self.terminated = False
        self.stopping = False  # set once the kubelet or a deletion stops this Pod: start nothing new
        self.final = False  # a deleted Pod whose containers have all stopped: its status is terminal
        self._grace_cut = asyncio.Event()  # a deletion with a shorter grace period arrived
        self._sandbox_retry_at = 0.0
        self._sandbox_backoff = 1.0
        self._tasks: set[asyncio.Task] = set()
        self.ended: list[dict] | None = None  # container statuses of a Never Pod that ended with its node
        recovery.carry_over(self)  # a Pod started before the node's last restart: restartCount, lastState, ended

    # --- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"pod-{self.key}")

    def update(self, pod: dict) -> None:
        old_grace = self.pod["metadata"].get("deletionGracePeriodSeconds")
        new_grace = pod["metadata"].get("deletionGracePeriodSeconds")
        if new_grace is not None and old_grace is not None and new_grace < old_grace:
            self._grace_cut.set()  # a stop already running with the longer grace ends sooner
        self.pod = pod
        self._wake.set()

    def poke(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while not self.terminated:
            self._wake.clear()
            try:
                await self.sync()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pod %s: sync failed", self.key)
            if self.terminated:
                break
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._next_deadline())
            except TimeoutError:
                pass

    def _next_deadline(self) -> float:
        waits = [s.next_start - time.monotonic() for s in self._all_states() if s.process is None and s.next_start]
        return max(0.05, min(waits + [1.0]))

    def _all_states(self) -> list[ContainerState]:
        return self.init_containers + list(self.containers.values())

    # --- the sync loop --------------------------------------------------------------------------------
    async def sync(self) -> None:
        if self.pod["metadata"].get("deletionTimestamp"):
            await self.terminate()
            return
        if self.ended is not None:  # a restartPolicy Never Pod whose node restarted: it stays ended (recovery.py)
            await self.write_status()
            return
        if self.sandbox is None:
            if time.monotonic() < self._sandbox_retry_at:
                return
            try:
                await self._create_sandbox()
            except (OSError, RuntimeError, CNIError) as exc:
                self._sandbox_backoff = min(self._sandbox_backoff * 2, BACKOFF_MAX) if self._sandbox_retry_at \
                    else 1.0
                self._sandbox_retry_at = time.monotonic() + self._sandbox_backoff
                self.kubelet.recorder_event(self.pod, "Warning", "FailedCreatePodSandBox",
                                            f"Failed to create pod sandbox: {exc}")
                return
            await self.write_status()
        if not self.init_done:
            await self._run_init_containers()
        if self.init_done:
            for state in self.containers.values():
                await self._converge_container(state)
        probes.sync_pod(self)
        await self.write_status()

    async def _create_sandbox(self) -> None:
        k = self.kubelet
        pod = self.pod
        host_network = bool(pod["spec"].get("hostNetwork"))
        # A hostNetwork Pod shares the node's network, so its hostname is the node's, as on a real node.
        hostname = k.node_name if host_network else (pod["spec"].get("hostname") or pod["metadata"]["name"])[:63]
        sandbox = PodSandbox(netns=k.config.pod_netns_prefix + self.uid.replace("-", "")[:12],
                             node_netns=k.node_netns, hostname=hostname, conflist=k.cni_conflist,
                             container_id=hashlib.sha256(self.uid.encode()).hexdigest()[:32],
                             host_network=host_network, ip=k.node_ip if host_network else "")
        ports = [{"hostPort": p["hostPort"], "containerPort": p["containerPort"],
                  "protocol": p.get("protocol", "TCP").lower(), "hostIP": p.get("hostIP", "")}
                 for c in pod["spec"].get("containers") or [] for p in c.get("ports") or [] if p.get("hostPort")]
        await sandbox.create_network(ports)
        try:
            resolv = pod_resolv_conf(pod, k.node_resolv, k.config.cluster_dns, k.config.cluster_domain).render()
            # Off the event loop: creating files costs ~1 ms each on this disk, more under load.
            await asyncio.to_thread(sandbox.write_files, resolv,
                                    pod_hosts_file(pod, sandbox.ip, k.config.cluster_domain))
            await sandbox.start_pause(await k.projected_volume_mounts(pod))
        except BaseException:
            await sandbox.delete()
            k.remove_pod_dir(pod)
            raise
        self.sandbox = sandbox
        k.recorder_event(pod, "Normal", "Scheduled", None)

    async def _run_init_containers(self) -> None:
        """Init containers run one after another, each to success (the next starts only then). A running one
        is left to run: its exit pokes the worker, which then moves on, restarts it, or fails the Pod."""
        for state in self.init_containers:
            if state.process is not None and state.process.exit_code == 0:
                continue
            await self._converge_container(state, init=True)
            return
        self.init_done = True

    def init_failed(self) -> bool:
        """restartPolicy Never and an init container exited non-zero: the Pod has Failed."""
        return self.pod["spec"].get("restartPolicy") == "Never" and any(
            s.process is not None and s.process.exit_code not in (None, 0) for s in self.init_containers)

    def log_path(self, name: str, attempt: int) -> Path:
        meta = self.pod["metadata"]
        return Path("/var/log/pods") / f"{meta['namespace']}_{meta['name']}_{self.uid}" / name / f"{attempt}.log"

    async def _converge_container(self, state: ContainerState, init: bool = False) -> bool:
        """Start or restart the container per restartPolicy. Returns True if it is (or was just) running."""
        proc = state.process
        if proc is not None and proc.running:
            return True
        policy = self.pod["spec"].get("restartPolicy", "Always")
        if proc is not None:  # it exited
            code = proc.exit_code
            state.last_termination = {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                                      "startedAt": proc.started_at, "finishedAt": proc.finished_at,
                                      "containerID": f"kubenet://{proc.container_id}"}
            if policy == "Never" or (policy == "OnFailure" and code == 0) or (init and code == 0):
                return False
            if not state.next_start:
                # Like the kubelet: the first restart is immediate, then 10 s, 20 s, ... up to 5 min.
                delay = 0.0 if state.restart_count == 0 else state.backoff
                if delay:
                    state.backoff = min(state.backoff * 2, BACKOFF_MAX)
                    state.waiting = ("CrashLoopBackOff", (f"back-off {int(delay)}s restarting failed "
                                                          f"container={state.name} pod={self.pod['metadata']['name']}_"
                                                          f"{self.pod['metadata']['namespace']}({self.uid})"))
                state.next_start = time.monotonic() + delay
            if time.monotonic() < state.next_start:
                return False
        elif state.next_start and time.monotonic() < state.next_start:
            return False
        try:
            argv = catalog.container_argv(state.spec)
        except catalog.ImageNotFound as exc:
            first = state.waiting is None or state.waiting[0] not in ("ErrImagePull", "ImagePullBackOff")
            reason = "ErrImagePull" if first else "ImagePullBackOff"
            state.waiting = (reason, f'Back-off pulling image "{exc}"' if not first else
                             f'failed to pull and unpack image "{exc}": image not found in the kubenet image '
                             f"catalog (known: {', '.join(sorted(catalog.CATALOG))}); give the container a "
                             f"command to run a host program instead")
            state.next_start = time.monotonic() + state.backoff
            state.backoff = min(state.backoff * 2, BACKOFF_MAX)
            if first:
                self.kubelet.recorder_event(self.pod, "Warning", "Failed", f"Failed to pull image \"{exc}\": "
                                            f"{state.waiting[1]}")
            return False
        except FileNotFoundError as exc:
            state.waiting = ("CreateContainerError" if proc is None else "RunContainerError",
                             f'failed to create containerd task: exec: "{exc}": executable file not found in $PATH')
            state.next_start = time.monotonic() + state.backoff
            state.backoff = min(state.backoff * 2, BACKOFF_MAX)
            return False
        attempt = state.restart_count + (1 if proc is not None else 0)
        env = {**await self.kubelet.container_env(self.pod, state.spec, self.sandbox.ip),
               **catalog.program_env(argv)}
        if self.stopping:
            return False
        process = ContainerProcess(state.name, argv, self.log_path(state.name, attempt), env,
                                   cwd=state.spec.get("workingDir"), tty=bool(state.spec.get("tty")),
                                   stdin=bool(state.spec.get("stdin")), stdin_once=bool(state.spec.get("stdinOnce")),
                                   report_start=catalog.reports_start(argv))
        try:
            await process.start(self.sandbox.enter_argv())
        except OSError as exc:  # e.g. a workingDir that does not exist
            state.waiting = ("CreateContainerError" if proc is None else "RunContainerError",
                             f"failed to create containerd task: {exc.strerror or exc}: "
                             f"{exc.filename or ''}".rstrip(": "))
            state.next_start = time.monotonic() + state.backoff
            state.backoff = min(state.backoff * 2, BACKOFF_MAX)
            return False
        if self.stopping:  # the Pod was stopped while this container was starting
            await process.stop(0)
            return False
        if proc is not None:
            state.restart_count += 1
        state.process = process
        state.waiting = None
        state.next_start = 0.0
        state.started = True
        task = asyncio.create_task(self._watch_exit(process))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if proc is None:
            self.kubelet.recorder_event(self.pod, "Normal", "Started", f"Started container {state.name}")
        return True

    async def _watch_exit(self, process: ContainerProcess) -> None:
        await process.wait()
        self.poke()

    # --- termination --------------------------------------------------------------------------------
    async def terminate(self) -> None:
        grace = self.pod["metadata"].get("deletionGracePeriodSeconds")
        if grace is None:
            grace = self.pod["spec"].get("terminationGracePeriodSeconds", 30)
        await self.stop_all(float(grace))
        meta = self.pod["metadata"]
        # As syncTerminatingPod does, report the stopped containers and a terminal phase before the Pod goes, so a
        # watcher sees the final MODIFIED (terminated containers, Succeeded/Failed) and then DELETED.
        self.final = True
        try:
            await self.write_status()
        except APIError as exc:
            log.warning("final status of %s not written: %s", self.key, exc)
        try:
            await self.kubelet.client.delete("pods", meta["name"], meta["namespace"], grace_period_seconds=0,
                                             preconditions={"uid": self.uid})
        except APIError as exc:
            if exc.code not in (404, 409):
                raise
        self.terminated = True
        # The Pod is gone from the API: its logs go too (the kubelet's container GC).
        await asyncio.to_thread(shutil.rmtree, self.log_path("x", 0).parent.parent, True)

    async def stop_all(self, grace: float) -> None:
        """Stop every container (SIGTERM, SIGKILL after `grace`, sooner if a shorter grace arrives), then the
        sandbox. Nothing is started after this begins."""
        self.stopping = True
        probes.stop_pod(self)
        states = [s for s in self._all_states() if s.process is not None and s.process.running]
        stops = asyncio.gather(*(s.process.stop(grace) for s in states))
        cut = asyncio.ensure_future(self._grace_cut.wait())
        await asyncio.wait({stops, cut}, return_when=asyncio.FIRST_COMPLETED)
        if not stops.done():
            await asyncio.gather(*(s.process.stop(0) for s in states))
            await stops
        cut.cancel()
        if self.sandbox is not None:
            await self.sandbox.delete()
            self.sandbox = None
        self.kubelet.remove_pod_dir(self.pod)

    # --- status ---------------------------------------------------------------------------------------
    async def write_status(self) -> None:
        from kubenet.kubelet.status import pod_status
        status = pod_status(self)
        if status == self._last_status:
            return
        meta = self.pod["metadata"]
        try:
            updated = await self.kubelet.client.patch("pods", meta["name"], {"status": status}, meta["namespace"],
                                                      "merge", "status")
            self.pod = updated
            self._last_status = status
        except APIError as exc:
            if exc.code != 404:
                raise


def container_env_defaults(pod: dict) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            "HOSTNAME": pod["spec"].get("hostname") or pod["metadata"]["name"], "HOME": "/root",
            "TERM": "xterm"}


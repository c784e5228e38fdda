"""The kubelet of one node: registers the Node, renews its Lease, runs the Pods bound to it."""
from __future__ import annotations

import asyncio
import logging
import os
import platform
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from kubenet.api.errors import APIError, StreamError
from kubenet.api.meta import now_micro, now_rfc3339
from kubenet.api.version import GIT_VERSION
from kubenet.client.base import Client
from kubenet.client.events import EventRecorder
from kubenet.client.informer import Informer
from kubenet.clock import REAL_CLOCK, Clock
from kubenet.kubelet import projected
from kubenet.kubelet.config import KubeletConfig
from kubenet.kubelet.dns import ResolvConf, parse_resolv_conf
from kubenet.kubelet.env import container_env
from kubenet.kubelet.pod_worker import PodWorker, container_env_defaults
from kubenet.kubelet.static_pods import StaticPods, is_mirror_pod
from kubenet.kubelet.streaming import AttachSession, ExecProcess, read_logs
from kubenet.kubelet.tokens import TOKEN_TTL_SECONDS, TokenRefreshers

log = logging.getLogger(__name__)
LEASE_DURATION = 40
LEASE_RENEW = 10.0
HOUSEKEEPING_PERIOD = 10.0


class Kubelet:
    def __init__(self, client: Client, config: KubeletConfig, static_pods: StaticPods | None = None,
                 clock: Clock = REAL_CLOCK):
        self.client = client
        self.clock = clock  # paces the lease renewal
        self.config = config
        self.node_name = config.node_name
        self.node_ip = config.node_ip
        self.node_netns = config.node_netns
        self.control_plane = config.control_plane
        self.static_pods = static_pods  # the control-plane node's: only their mirror Pods are posted here
        self.pod_cidr: str | None = None
        self.workers: dict[str, PodWorker] = {}  # by Pod UID
        self.recorder = EventRecorder(client, "kubelet", self.node_name)
        self.pods = Informer(client, "pods", field_selector=f"spec.nodeName={self.node_name}")
        self.node_resolv = self._node_resolv()
        self._tasks: list[asyncio.Task] = []
        self._event_tasks: set[asyncio.Task] = set()
        self.token_refreshers = TokenRefreshers(clock)

    # --- configuration derived from the node ------------------------------------------------------------
    def _node_resolv(self) -> ResolvConf:
        try:
            conf = parse_resolv_conf(Path("/etc/resolv.conf").read_text())
        except OSError:
            conf = ResolvConf()
        # The cluster DNS forwards to these; never to itself.
        conf.nameservers = [n for n in conf.nameservers if n != self.config.cluster_dns]
        return conf

    @property
    def cni_conflist(self) -> dict:
        node_dir = self.config.root_dir / "nodes" / self.node_name
        return {"cniVersion": "1.1.0", "name": "kubenet", "plugins": [
            {"type": "kubenet-bridge", "bridge": "cni0", "isGateway": True, "isDefaultGateway": True,
             "hairpinMode": True, "ipMasq": False, "mtu": 1500,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": self.pod_cidr}]],
                      "dataDir": str(node_dir / "cni" / "networks")}},
            {"type": "portmap", "capabilities": {"portMappings": True}}],
            "cacheDir": str(node_dir / "cni" / "cache")}

    # --- Node and Lease ---------------------------------------------------------------------------------
    def _node_object(self) -> dict:
        labels = {"kubernetes.io/hostname": self.node_name, "kubernetes.io/os": "linux",
                  "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64"}
        if self.control_plane:
            labels["node-role.kubernetes.io/control-plane"] = ""
        return {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.node_name, "labels": labels,
                             "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                             "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
                "spec": {}}

    def _node_status(self, ready: bool, old: dict | None) -> dict:
        now = now_rfc3339()
        mem_kib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024
        cpus = str(os.cpu_count() or 1)
        capacity = {"cpu": cpus, "memory": f"{mem_kib}Ki", "pods": "110", "ephemeral-storage": "100Gi",
                    "hugepages-2Mi": "0"}
        previous = {c["type"]: c for c in (old or {}).get("conditions") or []}

        def cond(ctype, status, reason, message):
            prev = previous.get(ctype)
            since = prev["lastTransitionTime"] if prev and prev["status"] == status else now
            return {"type": ctype, "status": status, "lastHeartbeatTime": now, "lastTransitionTime": since,
                    "reason": reason, "message": message}
        return {
            "capacity": capacity, "allocatable": dict(capacity),
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status") if ready else
                cond("Ready", "False", "KubeletNotReady", "container runtime network not ready: NetworkReady=false "
                     "reason:NetworkPluginNotReady message:Network plugin returns error: no podCIDR assigned")],
            "addresses": [{"type": "InternalIP", "address": self.node_ip}, {"type": "Hostname",
                                                                           "address": self.node_name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"machineID": self.node_name, "systemUUID": self.node_name, "bootID": "",
                         "kernelVersion": platform.release(), "osImage": _os_image(),
                         "containerRuntimeVersion": "kubenet://0.1.0", "kubeletVersion": GIT_VERSION,
                         "kubeProxyVersion": GIT_VERSION, "operatingSystem": "linux", "architecture": "amd64"},
            "images": [],
        }

    async def register(self) -> dict:
        try:
            node = await self.client.create("nodes", self._node_object())
            # The kubelet names its Node in events with UID = node name, which is what `kubectl describe node`
            # searches for; these are the events a real node shows as it starts.
            ref = {**node, "metadata": {**node["metadata"], "uid": self.node_name}}
            status_now = f"Node {self.node_name} status is now: "
            for reason, message in (("Starting", "Starting kubelet."),
                                    ("NodeHasSufficientMemory", status_now + "NodeHasSufficientMemory"),
                                    ("NodeHasNoDiskPressure", status_now + "NodeHasNoDiskPressure"),
                                    ("NodeHasSufficientPID", status_now + "NodeHasSufficientPID"),
                                    ("NodeAllocatableEnforced", "Updated Node Allocatable limit across pods")):
                self.recorder_event(ref, "Normal", reason, message)
        except APIError as exc:
            if exc.code != 409:
                raise
            node = await self.client.get("nodes", self.node_name)
        return await self.post_status(node)

    async def post_status(self, node: dict | None = None) -> dict:
        node = node or await self.client.get("nodes", self.node_name)
        self.pod_cidr = node["spec"].get("podCIDR")
        status = self._node_status(bool(self.pod_cidr), node.get("status"))
        return await self.client.patch("nodes", self.node_name, {"status": status}, None, "merge", "status")

    async def wait_pod_cidr(self, timeout: float = 30.0) -> str:
        """Wait until the node IPAM controller gives our Node a spec.podCIDR, watching that one Node (a field
        selector on its name, as the kubelet's node informer does) rather than asking again and again."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    node = await self.client.get("nodes", self.node_name)
                    if not node["spec"].get("podCIDR"):
                        node = await self._next_with_pod_cidr(node["metadata"]["resourceVersion"])
                    if node is not None:
                        await self.post_status(node)
                        return self.pod_cidr
        except TimeoutError:
            raise TimeoutError(f"node {self.node_name} got no podCIDR") from None

    async def _next_with_pod_cidr(self, resource_version: str) -> dict | None:
        """Our Node once a watch from `resource_version` shows it with a podCIDR; None if the stream ended."""
        async for etype, node in self.client.watch("nodes", None, resource_version,
                                                   field_selector=f"metadata.name={self.node_name}"):
            if etype == "ERROR":
                return None  # e.g. 410 Gone: read the Node again
            if etype in ("ADDED", "MODIFIED") and node["spec"].get("podCIDR"):
                return node
        return None

    async def _renew_lease(self) -> None:
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                 "metadata": {"name": self.node_name, "namespace": "kube-node-lease"},
                 "spec": {"holderIdentity": self.node_name, "leaseDurationSeconds": LEASE_DURATION}}
        while True:
            now = now_micro(self.clock.now())
            try:
                try:
                    await self.client.patch("leases.coordination.k8s.io", self.node_name,
                                            {"spec": {"renewTime": now}}, "kube-node-lease")
                except APIError as exc:
                    if exc.code != 404:
                        raise
                    lease["spec"]["renewTime"] = now
                    await self.client.create("leases.coordination.k8s.io", lease, "kube-node-lease")
                await self.post_status()
            except APIError as exc:
                log.warning("kubelet %s: lease/status: %s", self.node_name, exc.message)
            await self.clock.sleep(LEASE_RENEW)

    # --- Pods ---------------------------------------------------------------------------------------------
    def _on_pod(self, pod: dict) -> None:
        if is_mirror_pod(pod):  # a static Pod's reflection in the API: never run as a Pod of its own
            if self.static_pods is not None:
                self.static_pods.mirror_changed(pod)
            return
        uid = pod["metadata"]["uid"]
        worker = self.workers.get(uid)
        if worker is None:
            if pod.get("status", {}).get("phase") in ("Succeeded", "Failed") and not \
                    pod["metadata"].get("deletionTimestamp"):
                return
            worker = PodWorker(self, pod)
            self.workers[uid] = worker
            worker.start()
        else:
            worker.update(pod)

    def _on_pod_deleted(self, pod: dict) -> None:
        if is_mirror_pod(pod):
            if self.static_pods is not None:
                self.static_pods.mirror_changed(pod)  # posted again, as the real kubelet does
            return
        worker = self.workers.pop(pod["metadata"]["uid"], None)
        if worker is not None and not worker.terminated:
            # Gone from the API (force-deleted): stop it now, whatever grace period a stop already uses.
            gone = {**pod, "metadata": {**pod["metadata"], "deletionGracePeriodSeconds": 0}}
            gone["metadata"].setdefault("deletionTimestamp", now_rfc3339())
            worker.update(gone)

    async def container_env(self, pod: dict, container: dict, pod_ip: str) -> dict[str, str]:
        return {**container_env_defaults(pod), **await container_env(self, pod, container, pod_ip)}

    # --- the Pod's files on the node --------------------------------------------------------------------------
    def pod_dir(self, pod: dict) -> Path:
        return self.config.root_dir / "pods" / pod["metadata"]["uid"]

    def remove_pod_dir(self, pod: dict) -> None:
        self.token_refreshers.stop(pod["metadata"]["uid"])
        shutil.rmtree(self.pod_dir(pod), ignore_errors=True)

    async def projected_volume_mounts(self, pod: dict) -> list[tuple[Path, str]]:
        """Write the Pod's ServiceAccount token volumes (kube-api-access-*: token, ca.crt, namespace, as its spec
        projects them) and return (directory, mountPath) pairs for the sandbox to bind-mount read-only."""
        mounts: list[tuple[Path, str]] = []
        for volume in projected.token_volumes(pod):
            directory = projected.volume_dir(self.pod_dir(pod), volume)
            files = await projected.projected_files(self, pod, volume)
            token = volume.token_source
            issue = self._token_issuer(pod, token)
            token_path = token.get("path") or "token"
            files[token_path] = (await issue()).encode()
            # File creation costs ~1 ms each on this disk (more under load): a thread keeps it off the event loop.
            await asyncio.to_thread(projected.write_files, directory, files)
            # Like the kubelet's projected token: rewritten at 80 % of its lifetime for as long as the Pod runs.
            self.token_refreshers.start(f"{pod['metadata']['uid']}/{volume.name}", directory, issue,
                                        int(token.get("expirationSeconds") or TOKEN_TTL_SECONDS), token_path)
            mounts += [(directory, path) for path in volume.mount_paths]
        return mounts

    def _token_issuer(self, pod: dict, source: dict) -> Callable[[], Awaitable[str]]:
        """A coroutine function that fetches the Pod's bound token for a serviceAccountToken projection through the
        TokenRequest API, as the kubelet's token manager does (pkg/kubelet/token): the API server signs it."""
        name = pod["spec"].get("serviceAccountName") or "default"
        namespace = pod["metadata"]["namespace"]
        request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                   "spec": {"audiences": [source["audience"]] if source.get("audience") else [],
                            "expirationSeconds": int(source.get("expirationSeconds") or TOKEN_TTL_SECONDS),
                            "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": pod["metadata"]["name"],
                                               "uid": pod["metadata"]["uid"]}}}

        async def issue() -> str:
            try:
                answer = await self.client.create("serviceaccounts", request, namespace, subresource="token",
                                                  name=name)
            except APIError as exc:  # the sandbox is retried with back-off, as after a failed mount
                raise RuntimeError(f"failed to fetch token: {exc.message}") from None
            return answer["status"]["token"]
        return issue

    # --- the node-agent protocol (kubenet/api/node_agent.py): what pods/log, exec, attach, portforward reach ---
    def _container(self, pod: dict, container: str) -> tuple[PodWorker, object]:
        if is_mirror_pod(pod):  # the component runs inside the supervisor: there is no container to enter
            raise StreamError(f'unable to upgrade connection: container not found ("{container}")')
        worker = self.workers.get(pod["metadata"]["uid"])
        state = worker.containers.get(container) if worker else None
        if state is None and worker is not None:
            state = next((s for s in worker.init_containers if s.name == container), None)
        if worker is None or state is None or state.process is None:
            waiting = state.waiting[0] if state is not None and state.waiting else "ContainerCreating"
            raise StreamError(f'container "{container}" in pod "{pod["metadata"]["name"]}" is waiting to start: '
                              f"{waiting}")
        return worker, state

    async def logs(self, pod: dict, container: str, follow: bool = False, previous: bool = False,
                   tail_lines: int | None = None, timestamps: bool = False,
                   limit_bytes: int | None = None) -> AsyncIterator[bytes]:
        if is_mirror_pod(pod) and self.static_pods is not None:
            try:
                return self.static_pods.logs(pod, container, follow, previous, tail_lines, timestamps, limit_bytes)
            except LookupError:
                raise StreamError(f'previous terminated container "{container}" in pod "{pod["metadata"]["name"]}" '
                                  "not found") from None
        worker, state = self._container(pod, container)
        attempt = state.restart_count - (1 if previous else 0)
        if previous and attempt < 0:
            raise StreamError(f'previous terminated container "{container}" in pod "{pod["metadata"]["name"]}" '
                              "not found")
        proc = state.process

        def running() -> bool:
            return not previous and proc.running and state.process is proc
        return read_logs(worker.log_path(container, attempt), follow and not previous, tail_lines, timestamps,
                         limit_bytes, running)

    async def exec(self, pod: dict, container: str, command: list[str], tty: bool) -> ExecProcess:
        worker, state = self._container(pod, container)
        if not state.process.running or worker.sandbox is None:
            raise StreamError(f'unable to upgrade connection: container not found ("{container}")')
        env = await self.container_env(worker.pod, state.spec, worker.sandbox.ip)
        if tty:
            env.setdefault("TERM", "xterm")
        process = ExecProcess(worker.sandbox.enter_argv() + list(command), env, tty)
        await process.start()
        return process

    async def attach(self, pod: dict, container: str, stdin: bool) -> AttachSession:
        """A client attached to the running container's own stdio (not a new process, unlike exec)."""
        _, state = self._container(pod, container)
        if not state.process.running:
            raise StreamError(f'unable to upgrade connection: container not found ("{container}")')
        return state.process.attach(stdin)

    async def open_connection(self, pod: dict, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A TCP connection to the Pod's port for pods/portforward: to the Pod IP, which the host routes to this
        node (a real kubelet dials localhost inside the Pod's netns, so it also reaches loopback-only servers)."""
        worker = self.workers.get(pod["metadata"]["uid"])
        if worker is None or worker.sandbox is None or not worker.sandbox.ip:
            raise StreamError(f'pod "{pod["metadata"]["name"]}" has no sandbox on node {self.node_name}')
        try:
            return await asyncio.wait_for(asyncio.open_connection(worker.sandbox.ip, port), 10)
        except OSError as exc:  # worded like Go's dialer error, which kubectl prints
            reason = "i/o timeout" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc)).lower()
            raise StreamError(f"dial tcp {worker.sandbox.ip}:{port}: connect: {reason}") from None

    def recorder_event(self, obj: dict, type_: str, reason: str, message: str | None) -> None:
        if reason == "Scheduled":
            return  # the scheduler records that one
        task = asyncio.create_task(self.recorder.event(obj, type_, reason, message or reason))
        self._event_tasks.add(task)  # keep a reference until it is done (asyncio holds only weak ones)
        task.add_done_callback(self._event_tasks.discard)

    async def start(self) -> None:
        await self.register()
        await self.wait_pod_cidr()
        self.pods.add_handlers(self._on_pod, lambda old, new: self._on_pod(new), self._on_pod_deleted)
        if self.static_pods is not None:
            self.static_pods.start(self.client)
        self._tasks = [asyncio.create_task(self.pods.run(), name=f"kubelet-{self.node_name}-pods"),
                       asyncio.create_task(self._renew_lease(), name=f"kubelet-{self.node_name}-lease"),
                       asyncio.create_task(self._housekeeping(), name=f"kubelet-{self.node_name}-housekeeping")]

    async def _housekeeping(self) -> None:
        """Stop workers whose Pod is gone from the API (kubelet HandlePodCleanups): a relist after a broken
        watch can replace a deleted Pod by a new one of the same name without a delete event for the old."""
        while True:
            await asyncio.sleep(HOUSEKEEPING_PERIOD)
            if not self.pods.has_synced():
                continue
            live = {p["metadata"]["uid"] for p in self.pods.list()}
            for uid, worker in list(self.workers.items()):
                if uid not in live and not worker.terminated:
                    self._on_pod_deleted(worker.pod)

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.static_pods is not None:
            await self.static_pods.stop()
        # Workers first stop starting things, then their tasks end, then every container and sandbox goes.
        workers = list(self.workers.values())
        for w in workers:
            w.stopping = True
            if w._task:
                w._task.cancel()
        await asyncio.gather(*(w._task for w in workers if w._task), return_exceptions=True)
        await asyncio.gather(*(w.stop_all(0) for w in workers), return_exceptions=True)



def _os_image() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return "Linux"

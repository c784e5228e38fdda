"""Static Pods and their mirror Pods (kubelet pkg/kubelet/config file source, pkg/kubelet/pod mirror_client.go).

A kubeadm or kind control-plane node runs kube-apiserver, kube-controller-manager and kube-scheduler as static
Pods: the kubelet starts them from manifest files, not from the API, and posts a *mirror Pod* for each so that
`kubectl get pods -n kube-system` shows them. Here those components are coroutines of the supervisor already
running beside the kubelet, so the kubelet never starts a container for them; it only does the mirror side:

- one mirror Pod per static Pod, `<component>-<node>`, annotated `kubernetes.io/config.mirror` (= the static
  Pod's hash, which is also its UID), `config.hash`, `config.seen`, `config.source: file`, controlled by the
  Node; its status is the component's (Running and Ready while the supervisor runs it);
- a mirror Pod that is deleted, or edited to another hash, is deleted for good and posted again (upstream
  syncPod: "Mirror pod is not the same as the static pod, recreating it");
- the component's output: its log records (the loggers that belong to it) become klog-style lines in CRI
  records in `/var/log/pods/kube-system_<pod>_<hash>/<container>/0.log`, read by `kubectl logs` like any
  container's log.
The kubelet's Pod sync skips mirror Pods (`is_mirror_pod`), as the real one never runs a mirror Pod.
"""
from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from kubenet.api.errors import APIError
from kubenet.api.meta import now_micro, now_rfc3339
from kubenet.client.base import Client
from kubenet.kubelet.logs import CRILineSplitter, read_logs

log = logging.getLogger(__name__)

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
HASH_ANNOTATION = "kubernetes.io/config.hash"
SEEN_ANNOTATION = "kubernetes.io/config.seen"
SOURCE_ANNOTATION = "kubernetes.io/config.source"
LOG_ROOT = Path("/var/log/pods")
NAMESPACE = "kube-system"
RETRY_MIN, RETRY_MAX = 1.0, 30.0


def is_mirror_pod(pod: dict) -> bool:
    return MIRROR_ANNOTATION in (pod["metadata"].get("annotations") or {})


@dataclass
class StaticPod:
    """A static Pod as its manifest says it (name already `<component>-<node>`), and the loggers whose
    records are its container's output."""
    manifest: dict
    loggers: tuple[str, ...]
    uid: str = field(init=False)

    def __post_init__(self) -> None:
        # The file source's UID is a hash of the manifest (and the node), so a changed manifest is a new Pod.
        raw = json.dumps(self.manifest, sort_keys=True, separators=(",", ":")).encode()
        self.uid = hashlib.md5(raw, usedforsecurity=False).hexdigest()

    @property
    def name(self) -> str:
        return self.manifest["metadata"]["name"]

    @property
    def container(self) -> str:
        return self.manifest["spec"]["containers"][0]["name"]

    @property
    def log_path(self) -> Path:
        return LOG_ROOT / f"{NAMESPACE}_{self.name}_{self.uid}" / self.container / "0.log"


_KLOG_LEVELS = {logging.DEBUG: "I", logging.INFO: "I", logging.WARNING: "W", logging.ERROR: "E",
                logging.CRITICAL: "F"}


class ComponentLogHandler(logging.Handler):
    """A component's log records as its container's stderr: klog's header (`I1204 18:37:18.123456 <pid>
    file.py:42] message`) in CRI records, appended to the static Pod's log file."""

    def __init__(self, path: Path):
        super().__init__(logging.INFO)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = open(path, "ab")  # noqa: SIM115 (open while the kubelet runs the static Pod; close() ends it)
        self._splitter = CRILineSplitter(b"stderr")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # klog's header, in UTC as in a control-plane container: Lmmdd hh:mm:ss.uuuuuu pid file:line]
            stamp = time.strftime("%m%d %H:%M:%S", time.gmtime(record.created))
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            line = (f"{_KLOG_LEVELS.get(record.levelno, 'I')}{stamp}.{int(record.created % 1 * 1e6):06d} "
                    f"{os.getpid():7d} {record.filename}:{record.lineno}] {text}\n")
            self._file.write(self._splitter.feed(line.encode(), now_micro().encode()))
            self._file.flush()
        except (OSError, ValueError, TypeError):  # a log handler must never raise into the component that logged
            self.handleError(record)

    def close(self) -> None:
        try:
            self._file.close()
        finally:
            super().close()


class StaticPods:
    """The mirror-Pod side of a kubelet's static Pods (for the control-plane node)."""

    def __init__(self, node_name: str, node_ip: str, pods: list[StaticPod]):
        self.client: Client | None = None
        self.node_name = node_name
        self.node_ip = node_ip
        self.pods = {p.name: p for p in pods}
        self.started_at = now_rfc3339()
        self._handlers: list[tuple[logging.Logger, logging.Handler]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    # --- the components' output ------------------------------------------------------------------------
    def capture_logs(self) -> None:
        """Start recording each component's output; called before the components start (as containerd's
        pipes exist before the process), so their first lines are in the log too."""
        if self._handlers:
            return
        for pod in self.pods.values():
            handler = ComponentLogHandler(pod.log_path)
            for name in pod.loggers:
                logger = logging.getLogger(name)
                logger.addHandler(handler)
                self._handlers.append((logger, handler))

    def start(self, client: Client) -> None:
        """Post and keep the mirror Pods (the kubelet calls this once its Node is registered)."""
        self.client = client
        self.capture_logs()
        self._task = asyncio.create_task(self._run(), name=f"kubelet-{self.node_name}-mirror-pods")
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for logger, handler in self._handlers:
            logger.removeHandler(handler)
        for handler in {h for _, h in self._handlers}:
            handler.close()
        self._handlers.clear()

    def logs(self, pod: dict, container: str, follow: bool, previous: bool, tail_lines: int | None,
             timestamps: bool, limit_bytes: int | None):
        static = self.pods.get(pod["metadata"]["name"])
        if static is None or container != static.container:
            raise LookupError(container)
        if previous:
            raise LookupError(container)
        return read_logs(static.log_path, follow, tail_lines, timestamps, limit_bytes, lambda: True)

    # --- mirror Pods -----------------------------------------------------------------------------------
    def mirror_changed(self, pod: dict) -> None:
        """Any event about a mirror Pod of this node: look again (it may be deleted or edited)."""
        if pod["metadata"]["name"] in self.pods:
            self._wake.set()

    async def _run(self) -> None:
        delay = RETRY_MIN
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                for static in self.pods.values():
                    await self._sync(static)
                delay = RETRY_MIN
            except APIError as exc:  # e.g. the Node is gone: retried with back-off, logged each time
                log.warning("kubelet %s: mirror pods (retry in %gs): %s", self.node_name, delay, exc.message)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                self._wake.set()

    async def _sync(self, static: StaticPod) -> None:
        try:
            mirror = await self.client.get("pods", static.name, NAMESPACE)
        except APIError as exc:
            if exc.code != 404:
                raise
            mirror = None
        if mirror is not None and (mirror["metadata"].get("deletionTimestamp") or
                                   (mirror["metadata"].get("annotations") or {}).get(MIRROR_ANNOTATION) != static.uid):
            # Deleted (gracefully) or not ours any more: remove it for good, then post it again.
            try:
                await self.client.delete("pods", static.name, NAMESPACE, grace_period_seconds=0,
                                         preconditions={"uid": mirror["metadata"]["uid"]})
            except APIError as exc:
                if exc.code not in (404, 409):
                    raise
            mirror = None
        if mirror is None:
            mirror = await self.client.create("pods", await self._mirror_object(static), NAMESPACE)
        status = self._status(static, mirror)
        if status != mirror.get("status"):
            await self.client.update("pods", {**mirror, "status": status}, NAMESPACE, subresource="status")

    async def _mirror_object(self, static: StaticPod) -> dict:
        pod = copy.deepcopy(static.manifest)
        pod["metadata"].setdefault("annotations", {}).update({
            HASH_ANNOTATION: static.uid, MIRROR_ANNOTATION: static.uid, SEEN_ANNOTATION: self.started_at,
            SOURCE_ANNOTATION: "file"})
        node = await self.client.get("nodes", self.node_name)
        pod["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": self.node_name,
                                               "uid": node["metadata"]["uid"], "controller": True}]
        pod["spec"]["nodeName"] = self.node_name
        return pod

    def _status(self, static: StaticPod, mirror: dict) -> dict:
        """What the kubelet reports for a running static Pod: Running, Ready, the node's IP (hostNetwork)."""
        since = self.started_at
        container = static.manifest["spec"]["containers"][0]
        conditions = [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": since}
                      for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                "PodScheduled")]
        old = mirror.get("status") or {}
        return {"phase": "Running", "conditions": conditions, "hostIP": self.node_ip,
                "hostIPs": [{"ip": self.node_ip}], "podIP": self.node_ip, "podIPs": [{"ip": self.node_ip}],
                "startTime": since, "qosClass": old.get("qosClass", "Burstable"),
                "containerStatuses": [{
                    "name": container["name"], "image": container["image"], "imageID": "",
                    "containerID": f"kubenet://{static.uid}", "ready": True, "started": True, "restartCount": 0,
                    "state": {"running": {"startedAt": since}}, "lastState": {}}]}

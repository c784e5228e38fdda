"""A gracefully deleted Pod's last word: the kubelet reports its containers terminated and a terminal phase
(syncTerminatingPod, getPhase for a terminal Pod) before the Pod is removed; a watcher sees it, then DELETED."""
from __future__ import annotations

import json
import os
import select
import time

import pytest

pytestmark = pytest.mark.root

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: main
    image: busybox
    command: {command}
"""


def _read_until(proc, marker: str, timeout: float) -> str:
    """What a watch printed (one JSON event a line) until a whole line holding `marker` (bounded)."""
    fd, buf, deadline = proc.stdout.fileno(), b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = buf.decode(errors="replace")
        if marker in text and "\n" in text[text.index(marker):]:
            break
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
    return buf.decode(errors="replace")


def test_a_deleted_pod_reports_terminated_containers_and_a_terminal_phase(sandbox_cluster_factory):
    cluster = sandbox_cluster_factory(nodes=1)
    kubectl = cluster.kubectl
    # sh ignores nothing: SIGTERM ends it with 143 (Error, Failed); the trap exits 0 (Completed, Succeeded).
    cases = {"ends-badly": '["sleep", "3600"]',
             "ends-well": '["sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 0.2; done"]'}
    for name, command in cases.items():
        kubectl("apply", "-f", "-", input=POD.format(name=name, command=command))
    for name in cases:
        kubectl("wait", "--for=condition=Ready", f"pod/{name}", "--timeout=60s", timeout=70)
    watches = {name: kubectl.popen("get", "pod", name, "--watch", "-o", "json", "--output-watch-events")
               for name in cases}
    try:
        seen = {name: _read_until(proc, '{"type":"ADDED"', 20) for name, proc in watches.items()}  # watching
        kubectl("delete", "pod", *cases, "--wait=true", timeout=60)
        finals = {}
        for name, proc in watches.items():
            out = seen[name] + _read_until(proc, '{"type":"DELETED"', 20)
            events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]  # not kubectl warnings
            assert [e["type"] for e in events][-2:] == ["MODIFIED", "DELETED"], out[-2000:]
            finals[name] = events[-2]["object"]  # the last MODIFIED before the Pod went
    finally:
        for proc in watches.values():
            if proc.poll() is None:
                proc.kill()
    bad, good = finals["ends-badly"], finals["ends-well"]
    assert bad["status"]["phase"] == "Failed" and good["status"]["phase"] == "Succeeded"
    for pod, code, reason in ((bad, 143, "Error"), (good, 0, "Completed")):
        (status,) = pod["status"]["containerStatuses"]
        terminated = status["state"]["terminated"]
        assert (terminated["exitCode"], terminated["reason"]) == (code, reason), status
        assert terminated["finishedAt"] and status["ready"] is False
        ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
        assert (ready["status"], ready.get("reason")) == ("False", "PodCompleted")

"""A Pod the kubelet finds already started by an earlier run of its node (the supervisor crashed and `kubenet up`
resumed the cluster): its sandbox and containers went with the crash (`kubenet up` killed what was left through the
cluster's cgroup and removed the netns), so the kubelet makes a new sandbox and starts the containers again, as a
kubelet does after a node reboot (kuberuntime_manager computePodActions: the sandbox changed, so every container is
re-created).

What carries over from the Pod's last status is what a real node shows then: each container's restartCount goes
up by one and its lastState is `terminated` with reason Unknown and exit code 255 (what containerd reports for a
task that was running when its node went away); the kubelet records the event SandboxChanged. The new container
logs to `<restartCount>.log`, so `kubectl logs --previous` shows the output from before the crash.
"""
from __future__ import annotations

from kubenet.api.meta import now_rfc3339

UNKNOWN_EXIT_CODE = 255
SANDBOX_CHANGED = "Pod sandbox changed, it will be killed and re-created."


def carry_over(worker) -> bool:
    """Set the worker's container states from the Pod's status when an earlier kubelet ran its containers;
    returns whether it had (the Pod is being recovered)."""
    statuses = (worker.pod.get("status") or {}).get("containerStatuses") or []
    recovered = False
    now = now_rfc3339()
    for status in statuses:
        state = worker.containers.get(status.get("name"))
        if state is None or not status.get("containerID"):
            continue
        recovered = True
        shown = status.get("state") or {}
        state.restart_count = int(status.get("restartCount") or 0) + 1
        if shown.get("terminated"):  # it had exited and was about to be restarted
            state.last_termination = dict(shown["terminated"])
        else:
            started = (shown.get("running") or {}).get("startedAt") or now
            state.last_termination = {"exitCode": UNKNOWN_EXIT_CODE, "reason": "Unknown", "startedAt": started,
                                      "finishedAt": now, "containerID": status["containerID"]}
    if recovered:
        worker.kubelet.recorder_event(worker.pod, "Normal", "SandboxChanged", SANDBOX_CHANGED)
    return recovered

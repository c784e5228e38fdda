"""A Pod the kubelet finds already started by an earlier run of its node (the supervisor crashed and `kubenet up`
resumed the cluster): its sandbox and containers went with the crash (`kubenet up` killed what was left through the
cluster's cgroup and removed the netns), so the kubelet makes a new sandbox and starts the containers again, as a
kubelet does after a node reboot (kuberuntime_manager computePodActions: the sandbox changed, so every container is
re-created).

What carries over from the Pod's last status is what a real node shows then: each container's restartCount goes
up by one and its lastState is `terminated` with reason Unknown and exit code 255 (what containerd reports for a
task that was running when its node went away); the kubelet records the event SandboxChanged. The new container
logs to `<restartCount>.log`, so `kubectl logs --previous` shows the output from before the crash.

A restartPolicy Never Pod is not given a new sandbox (computePodActions: "Should not restart the pod"): its
containers stay terminated, those that were running with reason Unknown and exit code 255, and the Pod Fails.
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
    if not recovered:
        return False
    if worker.pod["spec"].get("restartPolicy") == "Never":
        worker.ended = [_ended(status, worker.containers[status["name"]]) for status in statuses
                        if status.get("name") in worker.containers]
        worker.init_done = True  # it ran: its init containers had completed
        return True
    worker.kubelet.recorder_event(worker.pod, "Normal", "SandboxChanged", SANDBOX_CHANGED)
    return True


def _ended(status: dict, state) -> dict:
    """A Never Pod's container status after its node restarted: terminated, as it was or as Unknown/255."""
    terminated = state.last_termination if status.get("containerID") else None
    shown = dict(status, ready=False, started=False, restartCount=int(status.get("restartCount") or 0),
                 lastState={})
    if terminated is not None:
        shown["state"] = {"terminated": terminated}
    return shown

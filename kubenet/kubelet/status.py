"""PodStatus as the kubelet reports it: phase, conditions, IPs, containerStatuses (kubelet_pods.go)."""
from __future__ import annotations

from kubenet.api.meta import now_rfc3339
from kubenet.kubelet.images import catalog


def _container_status(worker, state, init: bool = False) -> dict:
    spec = state.spec
    out = {"name": state.name, "image": spec.get("image", ""), "imageID": "", "ready": False,
           "restartCount": state.restart_count, "started": False}
    proc = state.process
    if catalog.lookup(spec.get("image", "")) is not None or proc is not None:
        out["imageID"] = catalog.image_ref(spec.get("image", ""))
    if proc is not None:
        out["containerID"] = f"kubenet://{proc.container_id}"
    if proc is not None and proc.running and state.waiting is None:
        out["state"] = {"running": {"startedAt": proc.started_at}}
        out["ready"] = state.ready and not init
        out["started"] = bool(state.started)  # false while a startupProbe has not yet succeeded
    elif proc is not None and state.waiting is None or (proc is not None and state.waiting is None):
        out["state"] = {"terminated": {"exitCode": proc.exit_code, "reason": "Completed" if proc.exit_code == 0
                                       else "Error", "startedAt": proc.started_at, "finishedAt": proc.finished_at,
                                       "containerID": f"kubenet://{proc.container_id}"}}
    else:
        reason, message = state.waiting or ("ContainerCreating", "")
        out["state"] = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
        if proc is not None and not proc.running:
            out["state"] = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
    if state.last_termination and state.restart_count > 0:
        out["lastState"] = {"terminated": state.last_termination}
    else:
        out["lastState"] = {}
    if init:
        out["started"] = bool(proc and proc.running)
    return out


def _phase(worker, statuses: list[dict]) -> str:
    policy = worker.pod["spec"].get("restartPolicy", "Always")
    if worker.final:
        # getPhase for a terminal (deleted, stopped) Pod, whatever its restartPolicy: Succeeded when every container
        # exited 0, otherwise Failed (one that never ran counts as a failure).
        ended = [s["state"].get("terminated") for s in statuses]
        return "Succeeded" if ended and all(t and t["exitCode"] == 0 for t in ended) else "Failed"
    if worker.init_failed():
        return "Failed"
    if worker.sandbox is None or not worker.init_done:
        return "Pending"
    running = sum(1 for s in statuses if "running" in s["state"])
    terminated = [s["state"]["terminated"] for s in statuses if "terminated" in s["state"]]
    waiting = sum(1 for s in statuses if "waiting" in s["state"])
    if running:
        return "Running"
    if waiting and any(s["restartCount"] > 0 or s.get("lastState") for s in statuses):
        return "Running"  # crash-looping containers keep the Pod Running
    if terminated and len(terminated) == len(statuses):
        if policy == "Always":
            return "Running"  # it will be restarted
        if all(t["exitCode"] == 0 for t in terminated):
            return "Succeeded"
        return "Failed" if policy == "Never" else "Running"
    return "Pending"


def pod_status(worker) -> dict:
    pod = worker.pod
    old = pod.get("status") or {}
    now = now_rfc3339()
    if worker.ended is not None:  # its containers ended with the node (kubelet/recovery.py)
        statuses, init_statuses = worker.ended, old.get("initContainerStatuses") or []
        ended = [s["state"].get("terminated") for s in statuses]
        phase = "Succeeded" if all(t and t.get("exitCode") == 0 for t in ended) else "Failed"
    else:
        statuses = [_container_status(worker, s) for s in worker.containers.values()]
        init_statuses = [_container_status(worker, s, init=True) for s in worker.init_containers]
        phase = _phase(worker, statuses)
    containers_ready = bool(statuses) and all(s["ready"] for s in statuses)
    terminal = phase in ("Succeeded", "Failed")
    conds = {
        "PodReadyToStartContainers": worker.sandbox is not None,
        "Initialized": worker.init_done,
        "Ready": containers_ready and not terminal,
        "ContainersReady": containers_ready and not terminal,
        "PodScheduled": True,
    }
    previous = {c["type"]: c for c in old.get("conditions") or []}
    conditions = []
    for ctype, ok in conds.items():
        status = "True" if ok else "False"
        prev = previous.get(ctype)
        cond = {"type": ctype, "status": status, "lastProbeTime": None,
                "lastTransitionTime": prev["lastTransitionTime"] if prev and prev.get("status") == status else now}
        if not ok and ctype in ("Ready", "ContainersReady"):
            unready = [s["name"] for s in statuses if not s["ready"]]
            if terminal:
                cond["reason"] = "PodCompleted"
            else:
                cond["reason"] = "ContainersNotReady"
                cond["message"] = f"containers with unready status: [{' '.join(unready)}]"
        if not ok and ctype == "Initialized":
            cond["reason"] = "ContainersNotInitialized"
            pending = [s["name"] for s in init_statuses if "terminated" not in s["state"]
                       or s["state"]["terminated"]["exitCode"] != 0]
            cond["message"] = f"containers with incomplete status: [{' '.join(pending)}]"
        conditions.append(cond)
    status = {"phase": phase, "conditions": conditions, "hostIP": worker.kubelet.node_ip,
              "hostIPs": [{"ip": worker.kubelet.node_ip}],
              "startTime": old.get("startTime") or now, "containerStatuses": statuses,
              "qosClass": old.get("qosClass", "BestEffort")}
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    if worker.sandbox is not None and worker.sandbox.ip:
        status["podIP"] = worker.sandbox.ip
        status["podIPs"] = [{"ip": worker.sandbox.ip}]
    return status

"""Pod state as the workload and endpoint controllers and the scheduler read it (k8s pkg/api/v1/pod, pkg/controller).

Readiness, availability, phases and port lookup are read the same way by every controller, so they live here
once; nothing in this module talks to the API. Its neighbours: taints, tolerations and node affinity are
`kubenet.api.scheduling` (the scheduler reads them too), ControllerRevision hashing is `controllers.history`,
conditions and controller references are `kubenet.api.meta`.
"""
from __future__ import annotations

import datetime as dt

from kubenet.api.meta import get_condition, parse_time

# --- pod state ---------------------------------------------------------------------------------------------

def pod_condition(pod: dict, ctype: str) -> dict | None:
    return get_condition(pod, ctype)


def is_pod_ready(pod: dict) -> bool:
    cond = pod_condition(pod, "Ready")
    return bool(cond and cond.get("status") == "True")


def is_terminating(obj: dict) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or "Pending"


def is_terminal(pod: dict) -> bool:
    return phase(pod) in ("Succeeded", "Failed")


def is_running_and_ready(pod: dict) -> bool:
    return phase(pod) == "Running" and is_pod_ready(pod)


def is_available(pod: dict, min_ready_seconds: int, now: dt.datetime | None = None) -> bool:
    """Ready for at least minReadySeconds (podutil.IsPodAvailable)."""
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = parse_time(pod_condition(pod, "Ready").get("lastTransitionTime"))
    now = now or dt.datetime.now(dt.UTC)
    return since is not None and since + dt.timedelta(seconds=min_ready_seconds) <= now


def is_active(pod: dict) -> bool:
    """Counts toward a controller's replicas: not finished and not being deleted (controller.IsPodActive)."""
    return not is_terminal(pod) and not is_terminating(pod)


def should_be_in_endpoints(pod: dict, include_terminating: bool) -> bool:
    """endpointslice util ShouldPodBeInEndpoints: an IP, not finished, not terminating unless asked."""
    if not (pod.get("status") or {}).get("podIP"):
        return False
    if is_terminal(pod):
        return False
    return include_terminating or not is_terminating(pod)


def find_port(pod: dict, service_port: dict) -> int | None:
    """The container port a Service port's targetPort means for this Pod (podutil.FindPort).

    A number is taken as is; a name is looked up among the Pod's container ports with the same protocol,
    and a Pod without that name has no such port (None)."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol", "TCP")
    for container in (pod.get("spec") or {}).get("containers") or []:
        for p in container.get("ports") or []:
            if p.get("name") == target and p.get("protocol", "TCP") == protocol:
                return p.get("containerPort")
    return None

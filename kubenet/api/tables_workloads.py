"""Server-side table printers for Pods and the workload controllers (apps/v1, batch/v1).

Columns, cells and the Pod STATUS/RESTARTS logic follow Kubernetes 1.32's
pkg/printers/internalversion/printers.go (printPod, printDeployment, printJob, ...).
"""
from __future__ import annotations

from datetime import datetime

from kubenet.api.tables_format import (
    AGE_COLUMN,
    CONTAINERS_DOC,
    IMAGES_DOC,
    NAME_COLUMN,
    age,
    column,
    condition_true,
    container_cells,
    format_label_selector,
    format_labels,
    human_duration,
    name_of,
    parse_time,
    since,
)

POD_COLUMNS = [
    NAME_COLUMN,
    column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    column("Status", "The aggregate status of the containers in this pod."),
    column("Restarts", "The number of times the containers in this pod have been restarted and when the last "
                       "container in this pod has restarted."),
    AGE_COLUMN,
    column("IP", "podIP address allocated to the pod.", priority=1),
    column("Node", "NodeName indicates in which node this pod is scheduled.", priority=1),
    column("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node, but it "
                             "cannot be scheduled right away as preemption victims receive their graceful "
                             "termination periods.", priority=1),
    column("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness.", priority=1),
]

# Reason the node lifecycle controller sets on Pods of an unreachable node (NodeUnreachablePodReason).
_NODE_UNREACHABLE = "NodeLost"


def _is_restartable_init(container: dict | None) -> bool:
    # A sidecar: an init container with restartPolicy Always keeps running next to the app containers.
    return bool(container) and container.get("restartPolicy") == "Always"


def _later(current: datetime | None, candidate: str | None) -> datetime | None:
    when = parse_time(candidate)
    if when is None:
        return current
    return when if current is None or when > current else current


def _last_finished(status: dict) -> str | None:
    return ((status.get("lastState") or {}).get("terminated") or {}).get("finishedAt")


def pod_status_cells(pod: dict, now: datetime) -> tuple[str, str, str]:
    """READY, STATUS and RESTARTS exactly as the real printPod computes them."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    containers, init_containers = spec.get("containers") or [], spec.get("initContainers") or []
    init_by_name = {c.get("name"): c for c in init_containers}
    total = len(containers) + sum(1 for c in init_containers if _is_restartable_init(c))
    ready = restarts = sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None
    phase = status.get("phase", "")
    reason = status.get("reason") or phase
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    initializing = False
    for index, cs in enumerate(status.get("initContainerStatuses") or []):
        restarts += int(cs.get("restartCount") or 0)
        last_restart = _later(last_restart, _last_finished(cs))
        sidecar = _is_restartable_init(init_by_name.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += int(cs.get("restartCount") or 0)
            last_sidecar_restart = _later(last_sidecar_restart, _last_finished(cs))
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and int(terminated.get("exitCode") or 0) == 0:
            continue
        if sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:
            if not terminated.get("reason"):
                if terminated.get("signal"):
                    reason = f"Init:Signal:{terminated['signal']}"
                else:
                    reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
            else:
                reason = "Init:" + terminated["reason"]
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{index}/{len(init_containers)}"
        initializing = True
        break

    if not initializing or condition_true(status.get("conditions"), "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            last_restart = _later(last_restart, _last_finished(cs))
            state = cs.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated is not None:
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{terminated.get('exitCode', 0)}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        # A Pod whose last container completed while another still runs is still Running.
        if reason == "Completed" and has_running:
            reason = "Running" if condition_true(status.get("conditions"), "Ready") else "NotReady"

    deleting = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
    if deleting and status.get("reason") == _NODE_UNREACHABLE:
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration((now - last_restart).total_seconds())} ago)"
    return f"{ready}/{total}", reason, restarts_text


def pod_row(pod: dict, now: datetime) -> list:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready, reason, restarts = pod_status_cells(pod, now)
    pod_ips = status.get("podIPs") or []
    pod_ip = (pod_ips[0].get("ip") if pod_ips else "") or "<none>"
    gates_text = "<none>"
    gates = spec.get("readinessGates") or []
    if gates:
        by_type = {}
        for condition in status.get("conditions") or []:
            by_type.setdefault(condition.get("type"), condition)
        true_count = sum(1 for g in gates if (by_type.get(g.get("conditionType")) or {}).get("status") == "True")
        gates_text = f"{true_count}/{len(gates)}"
    return [name_of(pod), ready, reason, restarts, age(pod, now), pod_ip, spec.get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>", gates_text]


def _template_spec(obj: dict) -> dict:
    return ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}


DEPLOYMENT_COLUMNS = [
    NAME_COLUMN,
    column("Ready", "Number of the pod with ready state"),
    column("Up-to-date", "Total number of non-terminating pods targeted by this deployment that have the desired "
                         "template spec."),
    column("Available", "Total number of available non-terminating pods (ready for at least minReadySeconds) "
                        "targeted by this deployment."),
    AGE_COLUMN,
    column("Containers", CONTAINERS_DOC, priority=1),
    column("Images", IMAGES_DOC, priority=1),
    column("Selector", "Label selector for pods.", priority=1),
]


def deployment_row(obj: dict, now: datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = container_cells(_template_spec(obj))
    return [name_of(obj), f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0), age(obj, now),
            names, images, format_label_selector(spec.get("selector"))]


REPLICASET_COLUMNS = [
    NAME_COLUMN,
    column("Desired", "Replicas is the number of desired pods.", "integer"),
    column("Current", "Replicas is the most recently observed number of non-terminating pods.", "integer"),
    column("Ready", "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.",
           "integer"),
    AGE_COLUMN,
    column("Containers", CONTAINERS_DOC, priority=1),
    column("Images", IMAGES_DOC, priority=1),
    column("Selector", "Selector is a label query over pods that should match the replica count.", priority=1),
]


def _replicas_row(obj: dict, now: datetime, selector: str) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = container_cells(_template_spec(obj))
    return [name_of(obj), spec.get("replicas", 0), status.get("replicas", 0), status.get("readyReplicas", 0),
            age(obj, now), names, images, selector]


def replicaset_row(obj: dict, now: datetime) -> list:
    return _replicas_row(obj, now, format_label_selector((obj.get("spec") or {}).get("selector")))


REPLICATIONCONTROLLER_COLUMNS = [
    NAME_COLUMN,
    column("Desired", "Replicas is the number of desired replicas.", "integer"),
    column("Current", "Replicas is the most recently observed number of replicas.", "integer"),
    column("Ready", "The number of ready replicas for this replication controller.", "integer"),
    AGE_COLUMN,
    column("Containers", CONTAINERS_DOC, priority=1),
    column("Images", IMAGES_DOC, priority=1),
    column("Selector", "Selector is a label query over pods that should match the Replicas count.", priority=1),
]


def replicationcontroller_row(obj: dict, now: datetime) -> list:
    """printReplicationController: the ReplicaSet's cells, the map selector printed as labels (`app=web`)."""
    return _replicas_row(obj, now, format_labels((obj.get("spec") or {}).get("selector")))


STATEFULSET_COLUMNS = [
    NAME_COLUMN,
    column("Ready", "Number of the pod with ready state"),
    AGE_COLUMN,
    column("Containers", CONTAINERS_DOC, priority=1),
    column("Images", IMAGES_DOC, priority=1),
]


def statefulset_row(obj: dict, now: datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = container_cells(_template_spec(obj))
    return [name_of(obj), f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}", age(obj, now),
            names, images]


DAEMONSET_COLUMNS = [
    NAME_COLUMN,
    column("Desired", "The total number of nodes that should be running the daemon pod (including nodes "
                      "correctly running the daemon pod).", "integer"),
    column("Current", "The number of nodes that are running at least 1 daemon pod and are supposed to run the "
                      "daemon pod.", "integer"),
    column("Ready", "numberReady is the number of nodes that should be running the daemon pod and have one or "
                    "more of the daemon pod running with a Ready Condition.", "integer"),
    column("Up-to-date", "The total number of nodes that are running updated daemon pod", "integer"),
    column("Available", "The number of nodes that should be running the daemon pod and have one or more of the "
                        "daemon pod running and available (ready for at least spec.minReadySeconds)", "integer"),
    column("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node."),
    AGE_COLUMN,
    column("Containers", CONTAINERS_DOC, priority=1),
    column("Images", IMAGES_DOC, priority=1),
    column("Selector", "A label query over pods that are managed by the daemon set.", priority=1),
]


def daemonset_row(obj: dict, now: datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = container_cells(_template_spec(obj))
    return [name_of(obj), status.get("desiredNumberScheduled", 0), status.get("currentNumberScheduled", 0),
            status.get("numberReady", 0), status.get("updatedNumberScheduled", 0), status.get("numberAvailable", 0),
            format_labels(_template_spec(obj).get("nodeSelector")), age(obj, now), names, images,
            format_label_selector(spec.get("selector"))]


JOB_COLUMNS = [
    NAME_COLUMN,
    column("Status", "Status of the job."),
    column("Completions", "The number of pods which reached phase Succeeded."),
    column("Duration", "Time required to complete the job."),
    AGE_COLUMN,
    column("Containers", CONTAINERS_DOC, priority=1),
    column("Images", IMAGES_DOC, priority=1),
    column("Selector", "A label query over pods that should match the pod count.", priority=1),
]


def job_row(obj: dict, now: datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif (spec.get("parallelism") or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    started, completed = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    duration = ""
    if started is not None:
        duration = human_duration(((completed or now) - started).total_seconds())
    conditions = status.get("conditions")
    if condition_true(conditions, "Complete"):
        state = "Complete"
    elif condition_true(conditions, "Failed"):
        state = "Failed"
    elif (obj.get("metadata") or {}).get("deletionTimestamp"):
        state = "Terminating"
    elif condition_true(conditions, "Suspended"):
        state = "Suspended"
    elif condition_true(conditions, "FailureTarget"):
        state = "FailureTarget"
    else:
        state = "Running"
    names, images = container_cells(_template_spec(obj))
    return [name_of(obj), state, completions, duration, age(obj, now), names, images,
            format_label_selector(spec.get("selector"))]


CRONJOB_COLUMNS = [
    NAME_COLUMN,
    column("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
    column("Timezone", "The time zone name for the given schedule, see "
                       "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
    column("Suspend", "This flag tells the controller to suspend subsequent executions, it does not apply to "
                      "already started executions.", "boolean"),
    column("Active", "A list of pointers to currently running jobs.", "integer"),
    column("Last Schedule", "Information when was the last time the job was successfully scheduled."),
    AGE_COLUMN,
    column("Containers", CONTAINERS_DOC, priority=1),
    column("Images", IMAGES_DOC, priority=1),
    column("Selector", "A label query over pods that should match the pod count.", priority=1),
]


def cronjob_row(obj: dict, now: datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = container_cells((job_spec.get("template") or {}).get("spec"))
    last = since(status["lastScheduleTime"], now) if status.get("lastScheduleTime") else "<none>"
    # printBoolPtr: "<unset>" for a nil pointer (defaulting normally sets suspend: false)
    suspend = "<unset>" if spec.get("suspend") is None else ("True" if spec["suspend"] else "False")
    return [name_of(obj), spec.get("schedule", ""), spec.get("timeZone") or "<none>", suspend,
            len(status.get("active") or []), last, age(obj, now), names, images,
            format_label_selector(job_spec.get("selector"))]


CONTROLLERREVISION_COLUMNS = [
    NAME_COLUMN,
    column("Controller", "Controller of the object"),
    column("Revision", "Revision indicates the revision of the state represented by Data."),
    AGE_COLUMN,
]


def controllerrevision_row(obj: dict, now: datetime) -> list:
    controller = "<none>"
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            group = ref.get("apiVersion", "").rpartition("/")[0]
            # formatResourceName: lower-cased "kind.group/name" ("daemonset.apps/ds1")
            kind = ref.get("kind", "") + (f".{group}" if group else "")
            controller = f"{kind.lower()}/{ref.get('name', '')}"
            break
    return [name_of(obj), controller, obj.get("revision", 0), age(obj, now)]

"""Pod and node helpers the workload and endpoint controllers share (k8s pkg/api/v1/pod, component-helpers).

Readiness, port lookup, taints/tolerations and node affinity are read the same way by every controller, so
they live here once; nothing in this module talks to the API.
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json

from kubenet.api.meta import parse_time

# --- pod state ---------------------------------------------------------------------------------------------

def pod_condition(pod: dict, ctype: str) -> dict | None:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


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


# --- taints, tolerations, node selection ---------------------------------------------------------------------

def tolerates(toleration: dict, taint: dict) -> bool:
    """v1.Toleration.ToleratesTaint: effect (empty = all), key (empty + Exists = all), value for Equal."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    op = toleration.get("operator") or "Equal"
    if not toleration.get("key"):
        return op == "Exists"
    if toleration["key"] != taint.get("key"):
        return False
    if op == "Exists":
        return True
    return (toleration.get("value") or "") == (taint.get("value") or "")


def untolerated_taint(tolerations: list[dict], taints: list[dict], effects: tuple[str, ...]) -> dict | None:
    for taint in taints:
        if taint.get("effect") not in effects:
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def _expression_matches(expr: dict, value: str | None) -> bool:
    op, values = expr.get("operator"), expr.get("values") or []
    if op == "In":
        return value is not None and value in values
    if op == "NotIn":
        return value is None or value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt"):
        try:
            v, ref = int(value), int(values[0])
        except (TypeError, ValueError, IndexError):
            return False
        return v > ref if op == "Gt" else v < ref
    return False


def node_selector_term_matches(term: dict, node: dict) -> bool:
    labels = node["metadata"].get("labels") or {}
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False  # an empty term matches no objects
    fields_of = {"metadata.name": node["metadata"]["name"]}
    return all(_expression_matches(e, labels.get(e["key"])) for e in exprs) and \
        all(_expression_matches(f, fields_of.get(f["key"])) for f in fields)


def pod_matches_node(pod_spec: dict, node: dict) -> bool:
    """nodeSelector and required node affinity (component-helpers nodeaffinity.GetRequiredNodeAffinity)."""
    labels = node["metadata"].get("labels") or {}
    for k, v in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required is None:
        return True
    return any(node_selector_term_matches(t, node) for t in required.get("nodeSelectorTerms") or [])


def node_condition(node: dict, ctype: str) -> dict | None:
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


# --- ControllerRevisions (pkg/controller/history) --------------------------------------------------------------

_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # rand.SafeEncodeString: no vowels, no look-alikes


def template_hash(template: dict, collision_count: int = 0) -> str:
    """A short, stable, name-safe hash of a pod template (the role of history.HashControllerRevision)."""
    raw = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        raw += str(collision_count).encode()
    digest = int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")
    out = []
    while len(out) < 10:
        digest, r = divmod(digest, len(_SAFE_ALPHABET))
        out.append(_SAFE_ALPHABET[r])
    return "".join(out)


def revision_data(template: dict) -> dict:
    """What a ControllerRevision stores for an apps workload: a patch that replaces the pod template."""
    data = copy.deepcopy(template)
    data["$patch"] = "replace"
    return {"spec": {"template": data}}


def revision_template(revision: dict) -> dict:
    template = copy.deepcopy(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template


def owned_by(obj: dict, owner: dict) -> bool:
    uid = owner["metadata"].get("uid")
    return any(ref.get("controller") and ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or [])

"""Filter plugins (pkg/scheduler/framework/plugins): can this Pod run on this node at all?

Each filter returns None when the node passes, or a `Rejection` with the reasons the real plugin gives
(they end up, counted per reason, in the FailedScheduling message) and whether preemption could help.
Filters run in the default profile's order and the first rejection wins, as in the framework.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kubenet.api.meta import get_condition
from kubenet.api.quantity import QuantityError, parse_quantity
from kubenet.api.scheduling import pod_matches_node, tolerates, untolerated_taints

# Reasons, word for word as the plugins report them.
ERR_UNSCHEDULABLE = "node(s) were unschedulable"
ERR_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ERR_PORTS = "node(s) didn't have free ports for the requested pod ports"
ERR_TOO_MANY_PODS = "Too many pods"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"


@dataclass
class Rejection:
    reasons: list[str]
    unresolvable: bool  # UnschedulableAndUnresolvable: evicting other Pods would not help
    plugin: str = ""


@dataclass
class NodeState:
    """A node with the Pods already on it (bound or assumed), as the scheduler cache sees it."""
    node: dict
    pods: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.node["metadata"]["name"]


# --- tolerations and taints -------------------------------------------------------------------------------

def node_taints(node: dict) -> list[dict]:
    """The node's taints; a node that is not Ready but not tainted yet gets the taint the node lifecycle
    controller would add, so the scheduler's answer (and message) does not depend on that race."""
    taints = list((node.get("spec") or {}).get("taints") or [])
    ready = get_condition(node, "Ready")
    status = (ready or {}).get("status", "Unknown")
    implied = None if status == "True" else (TAINT_NOT_READY if status == "False" else TAINT_UNREACHABLE)
    if implied and not any(t.get("key") == implied for t in taints):
        taints.append({"key": implied, "effect": "NoSchedule"})
    return taints


def untolerated(pod: dict, taints: list[dict], effects: tuple[str, ...]) -> list[dict]:
    return untolerated_taints(pod["spec"].get("tolerations") or [], taints, effects)


def node_unschedulable(pod: dict, state: NodeState) -> Rejection | None:
    if not (state.node.get("spec") or {}).get("unschedulable"):
        return None
    taint = {"key": TAINT_UNSCHEDULABLE, "effect": "NoSchedule"}
    if any(tolerates(t, taint) for t in pod["spec"].get("tolerations") or []):
        return None
    return Rejection([ERR_UNSCHEDULABLE], True, "NodeUnschedulable")


def taint_toleration(pod: dict, state: NodeState) -> Rejection | None:
    bad = untolerated(pod, node_taints(state.node), ("NoSchedule", "NoExecute"))
    if not bad:
        return None
    t = bad[0]
    return Rejection([f"node(s) had untolerated taint {{{t.get('key', '')}: {t.get('value') or ''}}}"], True,
                     "TaintToleration")


# --- node selector and affinity (the rules are kubenet.api.scheduling's) -------------------------------------

def node_affinity(pod: dict, state: NodeState) -> Rejection | None:
    if pod_matches_node(pod["spec"], state.node):
        return None
    return Rejection([ERR_AFFINITY], True, "NodeAffinity")


# --- host ports -----------------------------------------------------------------------------------------

def host_ports(pod: dict) -> set[tuple[str, str, int]]:
    out = set()
    for c in pod["spec"].get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                out.add((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", int(p["hostPort"])))
    return out


def _ports_conflict(a: tuple[str, str, int], b: tuple[str, str, int]) -> bool:
    if a[1:] != b[1:]:
        return False
    return a[0] == b[0] or "0.0.0.0" in (a[0], b[0])


def node_ports(pod: dict, state: NodeState) -> Rejection | None:
    wanted = host_ports(pod)
    if not wanted:
        return None
    used = set().union(*(host_ports(p) for p in state.pods)) if state.pods else set()
    if any(_ports_conflict(w, u) for w in wanted for u in used):
        return Rejection([ERR_PORTS], False, "NodePorts")
    return None


# --- resources --------------------------------------------------------------------------------------------

def _amount(resource: str, value) -> int:
    """cpu in millicores, everything else in whole units (bytes, counts)."""
    try:
        q = parse_quantity(value)
    except (QuantityError, TypeError):
        return 0
    return q.milli_value() if resource == "cpu" else q.value_int()


def pod_requests(pod: dict) -> dict[str, int]:
    """Effective requests: the sum over containers, at least the largest init container, plus overhead."""
    total: dict[str, int] = {}
    for c in pod["spec"].get("containers") or []:
        for r, v in ((c.get("resources") or {}).get("requests") or {}).items():
            total[r] = total.get(r, 0) + _amount(r, v)
    for c in pod["spec"].get("initContainers") or []:
        for r, v in ((c.get("resources") or {}).get("requests") or {}).items():
            total[r] = max(total.get(r, 0), _amount(r, v))
    for r, v in (pod["spec"].get("overhead") or {}).items():
        total[r] = total.get(r, 0) + _amount(r, v)
    return total


def node_allocatable(node: dict) -> dict[str, int]:
    status = node.get("status") or {}
    source = status.get("allocatable") or status.get("capacity") or {}
    return {r: _amount(r, v) for r, v in source.items()}


def node_requested(state: NodeState) -> dict[str, int]:
    used: dict[str, int] = {}
    for p in state.pods:
        for r, v in pod_requests(p).items():
            used[r] = used.get(r, 0) + v
    return used


def resources_fit(pod: dict, state: NodeState) -> Rejection | None:
    allocatable = node_allocatable(state.node)
    reasons = []
    # A node that reports no pod capacity is treated as unlimited (an emulated node may not say).
    if "pods" in allocatable and len(state.pods) + 1 > allocatable["pods"]:
        reasons.append(ERR_TOO_MANY_PODS)
    requested = node_requested(state)
    for resource, amount in sorted(pod_requests(pod).items(), key=lambda kv: (kv[0] not in ("cpu", "memory"),
                                                                                kv[0])):
        if amount > 0 and amount > allocatable.get(resource, 0) - requested.get(resource, 0):
            reasons.append(f"Insufficient {resource}")
    return Rejection(reasons, False, "NodeResourcesFit") if reasons else None


# The default profile's filter order.
FILTERS = [node_unschedulable, taint_toleration, node_affinity, node_ports, resources_fit]


def run_filters(pod: dict, state: NodeState) -> Rejection | None:
    for f in FILTERS:
        rejection = f(pod, state)
        if rejection is not None:
            return rejection
    return None

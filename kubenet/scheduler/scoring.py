"""Score plugins: among the nodes that fit, which is best? Each gives 0..100 per node; the sum decides.

- NodeResourcesFit (LeastAllocated): the more cpu and memory left after placing the Pod, the better; Pods
  without requests count as 100m cpu / 200Mi memory (the scheduler's non-zero defaults).
- Spreading (SelectorSpread / default topology spread): fewer Pods of the same owner on a node is better.
- TaintToleration: fewer untolerated PreferNoSchedule taints is better.
- NodeAffinity: the summed weights of matching preferred terms.
"""
from __future__ import annotations

from kubenet.api.meta import controller_of
from kubenet.api.scheduling import term_matches
from kubenet.scheduler.filters import NodeState, node_allocatable, node_taints, pod_requests, untolerated

MAX_SCORE = 100
DEFAULT_MILLI_CPU = 100
DEFAULT_MEMORY = 200 * 1024 * 1024


def _non_zero(requests: dict[str, int]) -> tuple[int, int]:
    return requests.get("cpu") or DEFAULT_MILLI_CPU, requests.get("memory") or DEFAULT_MEMORY


def least_allocated(pod: dict, states: list[NodeState]) -> dict[str, float]:
    want_cpu, want_mem = _non_zero(pod_requests(pod))
    scores = {}
    for s in states:
        alloc = node_allocatable(s.node)
        used_cpu = sum(_non_zero(pod_requests(p))[0] for p in s.pods)
        used_mem = sum(_non_zero(pod_requests(p))[1] for p in s.pods)
        parts = []
        for capacity, used in ((alloc.get("cpu", 0), used_cpu + want_cpu), (alloc.get("memory", 0),
                                                                            used_mem + want_mem)):
            parts.append(0 if capacity <= 0 or used > capacity else (capacity - used) * MAX_SCORE / capacity)
        scores[s.name] = sum(parts) / len(parts)
    return scores


def _reverse_normalize(counts: dict[str, int]) -> dict[str, float]:
    top = max(counts.values(), default=0)
    if top == 0:
        return {n: MAX_SCORE for n in counts}
    return {n: MAX_SCORE * (top - c) / top for n, c in counts.items()}


def spread(pod: dict, states: list[NodeState]) -> dict[str, float]:
    owner = controller_of(pod)
    if owner is None:
        return {s.name: 0 for s in states}
    uid = owner.get("uid")
    counts = {s.name: sum(1 for p in s.pods if (controller_of(p) or {}).get("uid") == uid) for s in states}
    return _reverse_normalize(counts)


def taint_preference(pod: dict, states: list[NodeState]) -> dict[str, float]:
    return _reverse_normalize({s.name: len(untolerated(pod, node_taints(s.node), ("PreferNoSchedule",)))
                               for s in states})


def preferred_affinity(pod: dict, states: list[NodeState]) -> dict[str, float]:
    terms = (((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {})
             .get("preferredDuringSchedulingIgnoredDuringExecution") or [])
    raw = {s.name: sum(int(t.get("weight") or 0) for t in terms if term_matches(t.get("preference") or {}, s.node))
           for s in states}
    top = max(raw.values(), default=0)
    return {n: (MAX_SCORE * v / top if top else 0) for n, v in raw.items()}


SCORERS = [least_allocated, spread, taint_preference, preferred_affinity]


def score_nodes(pod: dict, states: list[NodeState]) -> dict[str, float]:
    totals = {s.name: 0.0 for s in states}
    for scorer in SCORERS:
        for name, value in scorer(pod, states).items():
            totals[name] += value
    return totals

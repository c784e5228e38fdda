"""Which nodes a Pod may run on: taints and tolerations, nodeSelector and node affinity.

The scheduler's filters and scorers, the DaemonSet controller (NodeShouldRunDaemonPod) and the node lifecycle
controller's taint eviction all read these rules, so they are written once, here, after the upstream helpers
they all call: k8s.io/api/core/v1 Toleration.ToleratesTaint, component-helpers/scheduling/corev1
(FindMatchingUntoleratedTaint, nodeaffinity.GetRequiredNodeAffinity, NodeSelector.Match).
"""
from __future__ import annotations

from kubenet.api.selectors import Requirement

# --- taints and tolerations ------------------------------------------------------------------------------------

def tolerates(toleration: dict, taint: dict) -> bool:
    """Toleration.ToleratesTaint: an empty effect matches every effect, an empty key every key; then the
    operator decides: Exists matches any value, Equal (also the empty operator) the same value; any other
    operator nothing. An empty key with Equal is not "all taints": it still compares the values, as upstream
    (validation refuses that combination, but a Pod read from storage is not re-validated)."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    return op == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def untolerated_taints(tolerations: list[dict], taints: list[dict], effects: tuple[str, ...]) -> list[dict]:
    """The taints with one of these effects that no toleration tolerates, in the node's order (the first is
    FindMatchingUntoleratedTaint's answer)."""
    return [t for t in taints if t.get("effect") in effects and not any(tolerates(x, t) for x in tolerations)]


# --- node selector and affinity ---------------------------------------------------------------------------------

_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!", "Gt": "gt", "Lt": "lt"}


def _requirement_matches(expr: dict, fields: dict) -> bool:
    """A NodeSelectorRequirement read as a labels.Requirement (nodeSelectorRequirementsAsSelector); an operator
    it does not know makes the term unparseable, and an unparseable term matches nothing."""
    op = _OPERATORS.get(expr.get("operator") or "")
    if op is None:
        return False
    return Requirement(expr.get("key") or "", op, tuple(expr.get("values") or ())).matches(fields)


def term_matches(term: dict, node: dict) -> bool:
    """A NodeSelectorTerm: every matchExpression against the node's labels and every matchField against its
    fields (only metadata.name exists); an empty term matches nothing."""
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False
    labels = node["metadata"].get("labels") or {}
    node_fields = {"metadata.name": node["metadata"]["name"]}
    return all(_requirement_matches(e, labels) for e in exprs) and \
        all(f.get("key") == "metadata.name" and _requirement_matches(f, node_fields) for f in fields)


def pod_matches_node(pod_spec: dict, node: dict) -> bool:
    """nodeSelector and required node affinity (nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)): every
    nodeSelector pair, and at least one required term (a required affinity with no terms matches nothing)."""
    labels = node["metadata"].get("labels") or {}
    for k, v in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required is None:
        return True
    return any(term_matches(t, node) for t in required.get("nodeSelectorTerms") or [])

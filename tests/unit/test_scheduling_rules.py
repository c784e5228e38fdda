"""Taints, tolerations and node affinity: one rule (kubenet.api.scheduling) that the scheduler, the DaemonSet
controller and taint eviction all read, with upstream's Toleration.ToleratesTaint semantics."""
from __future__ import annotations

import pytest

from kubenet.api.scheduling import pod_matches_node, tolerates, untolerated_taints
from kubenet.controllers.daemonset import node_should_run
from kubenet.scheduler.filters import NodeState, taint_toleration

NO_VALUE = {"key": "dedicated", "effect": "NoSchedule"}
GPU = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


@pytest.mark.parametrize("toleration, taint, expected", [
    ({"operator": "Exists"}, GPU, True),  # empty key + Exists: every taint
    ({"operator": "Equal"}, NO_VALUE, True),  # empty key + Equal: every key, but the value must be equal ("")
    ({}, NO_VALUE, True),  # the empty operator means Equal
    ({"operator": "Equal"}, GPU, False),  # ... so a taint with a value is not tolerated
    ({"operator": "Equal", "value": "gpu"}, GPU, True),
    ({"key": "dedicated", "value": "cpu"}, GPU, False),
    ({"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}, GPU, False),
    ({"key": "other", "operator": "Exists"}, GPU, False),
    ({"operator": "Lt", "value": "gpu"}, GPU, False),  # an operator ToleratesTaint does not know tolerates nothing
])
def test_tolerates_taint_as_upstream(toleration, taint, expected):
    assert tolerates(toleration, taint) is expected


def node(taints: list[dict], labels: dict | None = None) -> dict:
    return {"metadata": {"name": "kubenet-worker", "labels": labels or {}}, "spec": {"taints": taints},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}


@pytest.mark.parametrize("tolerations", [[{"operator": "Equal", "effect": "NoSchedule"}], [{"operator": "Equal"}],
                                         [{"operator": "Equal", "value": "x"}], [{"operator": "Exists"}]])
def test_scheduler_and_daemonset_agree_on_an_empty_key(tolerations):
    """The DaemonSet controller had its own copy that refused every empty-key toleration but Exists, so it and the
    scheduler disagreed about where a Pod may run; now both give upstream's answer."""
    tainted = node([NO_VALUE])
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}], "tolerations": tolerations}}
    expected = not untolerated_taints(tolerations, [NO_VALUE], ("NoSchedule",))
    assert (taint_toleration(pod, NodeState(tainted)) is None) is expected
    assert node_should_run(pod["spec"], tainted)[0] is expected
    assert expected is (tolerations != [{"operator": "Equal", "value": "x"}])


def test_node_affinity_fields_and_operators():
    n = node([], {"gen": "5"})

    def fits(**term) -> bool:
        return pod_matches_node({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [term]}}}}, n)
    assert fits(matchFields=[{"key": "metadata.name", "operator": "NotIn", "values": ["other"]}])
    assert not fits(matchFields=[{"key": "spec.unknown", "operator": "NotIn", "values": ["x"]}])  # no such field
    assert not fits(matchExpressions=[{"key": "gen", "operator": "Gt", "values": []}])  # unparseable: no match
    assert not fits(matchExpressions=[{"key": "gen", "operator": "Near", "values": ["5"]}])
    assert fits(matchExpressions=[{"key": "gen", "operator": "Lt", "values": ["6"]}])
    assert pod_matches_node({"nodeSelector": {"gen": "5"}}, n)
    assert not pod_matches_node({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": []}}}}, n)

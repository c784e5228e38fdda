"""ReplicationController: the ReplicaSet controller's behaviour over core/v1 RCs with a map selector."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from kubenet.api import tables, validation
from kubenet.api.defaults import apply_defaults
from kubenet.api.errors import APIError
from kubenet.api.kinds import by_resource
from kubenet.apiserver import subresources
from kubenet.controllers.replication import ReplicationManager
from tests.unit.controller_harness import Cluster

RC = by_resource("", "replicationcontrollers")


def rc(name: str = "web", replicas: int = 3, selector: dict | None = None) -> dict:
    body = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas,
                     "template": {"metadata": {"labels": {"app": name, "tier": "front"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    if selector is not None:
        body["spec"]["selector"] = selector
    return body


def test_defaults_take_the_selector_and_labels_from_the_template():
    obj = rc(replicas=None)
    del obj["spec"]["replicas"]
    apply_defaults(RC, obj)
    assert obj["spec"]["selector"] == {"app": "web", "tier": "front"}
    assert obj["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert obj["spec"]["replicas"] == 1


def test_validation_messages_match_kubernetes():
    no_selector = rc(selector={})
    del no_selector["spec"]["template"]["metadata"]["labels"]
    apply_defaults(RC, no_selector)
    assert [(e.field, e.type) for e in validation.validate(RC, no_selector)] == \
        [("spec.selector", "FieldValueRequired")]
    mismatch = rc(selector={"app": "other"})
    apply_defaults(RC, mismatch)
    errs = validation.validate(RC, mismatch)
    assert [(e.field, e.detail) for e in errs] == [("spec.template.metadata.labels",
                                                    "`selector` does not match template `labels`")]
    negative = rc(replicas=-1)
    apply_defaults(RC, negative)
    assert [e.field for e in validation.validate(RC, negative)] == ["spec.replicas"]


def test_table_columns_are_kubectl_get_rc():
    obj = rc(selector={"app": "web"})
    obj["metadata"]["creationTimestamp"] = "2024-01-01T00:00:00Z"
    obj["status"] = {"replicas": 3, "readyReplicas": 2}
    table = tables.table(RC, [obj], now=datetime(2024, 1, 1, 0, 5, tzinfo=UTC))
    assert [c["name"] for c in table["columnDefinitions"]] == \
        ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"]
    assert table["rows"][0]["cells"] == ["web", 3, 3, 2, "5m", "c", "nginx", "app=web"]


def test_pods_follow_replicas_with_map_selector_scale_and_adoption():
    async def story():
        async with Cluster(ReplicationManager) as c:
            orphan = {"metadata": {"name": "stray", "labels": {"app": "web", "tier": "front", "x": "y"}},
                      "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
            await c.client.create("pods", orphan, "default")
            made = await c.client.create("replicationcontrollers", rc(), "default")
            pods = await c.wait_for_pods(3)
            for p in pods:
                ref = p["metadata"]["ownerReferences"][0]
                assert (ref["apiVersion"], ref["kind"], ref["uid"], ref["controller"]) == \
                    ("v1", "ReplicationController", made["metadata"]["uid"], True)
            assert "stray" in {p["metadata"]["name"] for p in pods}  # adopted: only two were made
            created = await c.events("SuccessfulCreate")
            assert len(created) == 2 and all(e["source"]["component"] == "replication-controller" for e in created)

            async def status():
                s = (await c.client.get("replicationcontrollers", "web", "default")).get("status") or {}
                return s if s.get("replicas") == 3 and s.get("fullyLabeledReplicas") == 3 else None
            await c.until(status)

            scale = subresources.get_scale(c.registry, RC, "default", "web")
            assert scale["status"]["selector"] == "app=web,tier=front" and scale["spec"]["replicas"] == 3
            scale["spec"]["replicas"] = 1
            subresources.update_scale(c.registry, RC, "default", "web", scale)
            await c.wait_for_pods(1)
    asyncio.run(story())


def test_an_rc_never_selects_by_an_empty_map():
    with pytest.raises(APIError) as err:
        async def create():
            async with Cluster(ReplicationManager) as c:
                bad = rc(selector={})
                bad["spec"]["template"]["metadata"]["labels"] = {}
                await c.client.create("replicationcontrollers", bad, "default")
        asyncio.run(create())
    assert err.value.code == 422 and "spec.selector: Required value" in err.value.message

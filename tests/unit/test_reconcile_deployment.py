"""Deployment controller, one reconcile at a time: the exact writes for a given cache (fake_client.py)."""
from __future__ import annotations

import asyncio

from kubenet.controllers.base import Informers
from kubenet.controllers.deployment import DeploymentController
from tests.unit.fake_client import FakeClient, reconcile_once
from tests.unit.test_controller_deployment import deployment

HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"


async def setup(**spec) -> tuple[FakeClient, DeploymentController]:
    client = FakeClient()
    await client.seed("namespaces", {"metadata": {"name": "default"}})
    body = deployment(replicas=3, **spec)
    await client.seed("deployments.apps", {**body, "metadata": {"name": "web", "namespace": "default"}})
    return client, DeploymentController(client, Informers(client))


async def rolled_out(client: FakeClient, controller: DeploymentController) -> dict:
    """Reconcile the first revision, then report its ReplicaSet fully available (as its controller would)."""
    await reconcile_once(controller, "default/web", client)
    (rs,) = [a.name for a in client.writes("replicasets.apps")]
    current = await client.registry_get("replicasets.apps", rs)
    current["status"] = {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "observedGeneration": 1}
    return await client.unrecorded_update("replicasets.apps", current, subresource="status")


async def new_image(client: FakeClient, image: str, **spec) -> None:
    d = await client.registry_get("deployments.apps", "web")
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    d["spec"].update(spec)
    await client.unrecorded_update("deployments.apps", d)


def test_a_new_deployment_creates_its_replicaset_at_full_size_and_records_revision_one():
    async def story():
        client, controller = await setup()
        actions = await reconcile_once(controller, "default/web", client)
        assert [a.key for a in actions][:3] == [("create", "replicasets.apps", None), ("create", "events", None),
                                                ("update", "deployments.apps", None)]
        assert all(a.key == ("update", "deployments.apps", "status") for a in actions[3:]) and actions[3:]
        rs = actions[0].object
        pod_hash = rs["metadata"]["labels"][HASH]
        assert rs["metadata"]["name"] == f"web-{pod_hash}" and rs["spec"]["replicas"] == 3
        assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", HASH: pod_hash}
        assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", HASH: pod_hash}
        assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
        assert rs["metadata"]["annotations"][REVISION] == "1"
        assert actions[1].object["message"] == f"Scaled up replica set web-{pod_hash} to 3"
        assert actions[2].object["metadata"]["annotations"][REVISION] == "1"
        progressing = next(c for c in actions[-1].object["status"]["conditions"] if c["type"] == "Progressing")
        assert progressing["reason"] == "NewReplicaSetCreated"
    asyncio.run(story())


def test_a_rolling_update_surges_one_pod_and_keeps_every_old_one_until_new_ones_are_available():
    async def story():
        client, controller = await setup()
        old = await rolled_out(client, controller)
        await new_image(client, "nginx:1.26")
        actions = await reconcile_once(controller, "default/web", client)
        (created,) = [a for a in actions if a.key == ("create", "replicasets.apps", None)]
        # maxSurge 25% of 3 rounds up to 1; maxUnavailable 25% rounds down to 0
        assert created.object["spec"]["replicas"] == 1
        assert created.object["metadata"]["annotations"][REVISION] == "2"
        assert created.object["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
        assert not [a for a in client.writes("replicasets.apps") if a.name == old["metadata"]["name"]]
        assert [a.object["message"] for a in client.writes("events")] == [
            f"Scaled up replica set {created.name} to 1"]
    asyncio.run(story())


def test_a_paused_deployment_makes_no_replicaset_for_a_new_template():
    async def story():
        client, controller = await setup()
        await rolled_out(client, controller)
        await new_image(client, "nginx:1.26", paused=True)
        await reconcile_once(controller, "default/web", client)
        assert client.writes("replicasets.apps") == [] and client.writes("events") == []
    asyncio.run(story())


def test_a_deployment_without_a_selector_gets_a_warning_and_nothing_else():
    async def story():
        client, controller = await setup()
        await reconcile_once(controller, "default/web", client)  # fills the caches, rolls out
        d = await client.registry_get("deployments.apps", "web")
        # What an object stored by an older API version can hold (apps/v1 validation refuses it today).
        controller.deployments.cache["default/web"] = {**d, "spec": {**d["spec"], "selector": None}}
        client.clear()
        await controller.reconcile("default/web")
        (event,) = [a.object for a in client.writes("events")]
        assert (event["type"], event["reason"]) == ("Warning", "SelectingAll")
        assert client.writes("replicasets.apps") == []
    asyncio.run(story())

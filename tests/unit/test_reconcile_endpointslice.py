"""EndpointSlice controller, one reconcile at a time: the exact writes for a given cache (fake_client.py)."""
from __future__ import annotations

import asyncio

from kubenet.controllers.base import Informers
from kubenet.controllers.endpointslice import EndpointSliceController
from tests.unit.controller_harness import READY_AT, pod, service
from tests.unit.fake_client import FakeClient, reconcile_once

SLICES = "endpointslices.discovery.k8s.io"


def running_pod(name: str, ip: str, ready: bool, labels: dict | None = None) -> dict:
    p = pod(name, labels or {"app": "web"}, ports=[{"containerPort": 8080}])
    p["metadata"]["namespace"] = "default"
    p["spec"]["nodeName"] = "kn-worker"
    p["status"] = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "conditions": [
        {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": READY_AT}]}
    return p


async def setup(*pods: dict, selector: dict | None = None) -> tuple[FakeClient, EndpointSliceController]:
    client = FakeClient()
    await client.seed("namespaces", {"metadata": {"name": "default"}})
    svc = service("web", {"app": "web"} if selector is None else selector)
    await client.seed("services", {**svc, "metadata": {"name": "web", "namespace": "default"}})
    if pods:
        await client.seed_with_status("pods", *pods)
    return client, EndpointSliceController(client, Informers(client))


def endpoints(eps: dict) -> dict[str, dict]:
    return {e["addresses"][0]: e["conditions"] for e in eps["endpoints"]}


def test_a_service_gets_one_slice_with_every_selected_pod_and_its_readiness():
    async def story():
        client, controller = await setup(running_pod("web-0", "10.244.1.10", True),
                                         running_pod("web-1", "10.244.1.11", False),
                                         running_pod("other", "10.244.1.12", True, labels={"app": "db"}))
        actions = await reconcile_once(controller, "default/web", client)
        (create,) = actions
        assert create.key == ("create", SLICES, None)
        eps = create.object
        assert eps["metadata"]["generateName"] == "web-" and eps["addressType"] == "IPv4"
        assert eps["metadata"]["labels"] == {"kubernetes.io/service-name": "web",
                                             "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
        assert [(r["kind"], r["name"], r["controller"]) for r in eps["metadata"]["ownerReferences"]] == [
            ("Service", "web", True)]
        assert endpoints(eps) == {"10.244.1.10": {"ready": True, "serving": True, "terminating": False},
                                  "10.244.1.11": {"ready": False, "serving": False, "terminating": False}}
        assert eps["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]  # targetPort, by name
    asyncio.run(story())


def test_a_slice_written_but_not_yet_seen_is_not_made_twice():
    async def story():
        client, controller = await setup(running_pod("web-0", "10.244.1.10", True))
        await reconcile_once(controller, "default/web", client)
        client.clear()
        await controller.reconcile("default/web")  # the informer has not shown our slice yet
        assert client.actions == []
        assert controller.queue.busy(horizon=0.1)  # asked again shortly (the endpointSliceTracker's wait)
        controller.queue.shutdown()
    asyncio.run(story())


def test_slices_that_already_say_the_right_thing_are_not_written():
    async def story():
        client, controller = await setup(running_pod("web-0", "10.244.1.10", True))
        await reconcile_once(controller, "default/web", client)
        actions = await reconcile_once(controller, "default/web", client)  # the cache now holds our slice
        assert actions == []
    asyncio.run(story())


def test_a_pod_turning_unready_updates_its_slice_in_place():
    async def story():
        client, controller = await setup(running_pod("web-0", "10.244.1.10", True),
                                         running_pod("web-1", "10.244.1.11", True))
        assert len(await reconcile_once(controller, "default/web", client)) == 1  # the slice, created
        p = await client.registry_get("pods", "web-1")
        p["status"]["conditions"][0]["status"] = "False"
        await client.unrecorded_update("pods", p, subresource="status")
        (update,) = await reconcile_once(controller, "default/web", client)
        (created,) = (await client.list(SLICES, "default"))[0]
        assert update.key == ("update", SLICES, None) and update.name == created["metadata"]["name"]
        assert endpoints(update.object)["10.244.1.11"]["ready"] is False
        assert endpoints(update.object)["10.244.1.10"]["ready"] is True
    asyncio.run(story())


def test_a_service_without_a_selector_is_left_to_its_user():
    async def story():
        client, controller = await setup(running_pod("web-0", "10.244.1.10", True), selector={})
        assert await reconcile_once(controller, "default/web", client) == []
    asyncio.run(story())

"""Namespace deletion (content first, then the finalizer) and the default ServiceAccount."""
from __future__ import annotations

import asyncio

from kubenet.api.errors import APIError
from kubenet.controllers.garbagecollector import GarbageCollector
from kubenet.controllers.namespace import NamespaceController
from kubenet.controllers.replicaset import ReplicaSetController
from kubenet.controllers.serviceaccount import ServiceAccountController
from tests.unit.controller_harness import Cluster, replicaset


def test_namespace_deletion_removes_content_then_the_namespace():
    async def story():
        async with Cluster(NamespaceController, GarbageCollector, ReplicaSetController,
                           ServiceAccountController) as c:
            await c.client.create("namespaces", {"metadata": {"name": "team"}})
            await c.client.create("configmaps", {"metadata": {"name": "settings"}}, "team")
            await c.client.create("replicasets.apps", replicaset(replicas=2), "team")
            pods = await c.wait_for_pods(2, "team")
            await c.until(lambda: c.client.get("serviceaccounts", "default", "team"))
            bound = pods[0]["metadata"]["name"]  # on a node: deleted gracefully, waits for its kubelet
            await c.bind(bound, "kubenet-worker", "team")

            await c.client.delete("namespaces", "team")
            ns = await c.client.get("namespaces", "team")
            assert ns["status"]["phase"] == "Terminating" and ns["spec"]["finalizers"] == ["kubernetes"]

            async def only_the_bound_pod_left():
                ns = await c.client.get("namespaces", "team")
                conds = {x["type"]: x for x in ns["status"].get("conditions") or []}
                remaining = conds.get("NamespaceContentRemaining")
                return ns if remaining and remaining["status"] == "True" else None
            ns = await c.until(only_the_bound_pod_left)
            conds = {x["type"]: x for x in ns["status"]["conditions"]}
            assert conds["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
            assert conds["NamespaceContentRemaining"]["message"] == \
                "Some resources are remaining: pods. has 1 resource instances"
            assert conds["NamespaceDeletionDiscoveryFailure"]["reason"] == "ResourcesDiscovered"
            assert await c.gone("configmaps", "settings", "team")
            assert await c.gone("replicasets.apps", "web", "team")
            assert await c.gone("serviceaccounts", "default", "team")  # and not recreated

            # Creating in a Terminating namespace is refused, as on a real cluster.
            try:
                await c.client.create("configmaps", {"metadata": {"name": "late"}}, "team")
                raise AssertionError("create in a terminating namespace succeeded")
            except APIError as exc:
                assert exc.code == 403

            await c.client.delete("pods", bound, "team", grace_period_seconds=0)  # the kubelet finished
            await c.until(lambda: c.gone("namespaces", "team", None))
    asyncio.run(story())


def test_every_active_namespace_gets_a_default_service_account():
    async def story():
        async with Cluster(ServiceAccountController) as c:
            await c.client.create("namespaces", {"metadata": {"name": "apps"}})
            for ns in ("default", "apps"):
                await c.until(lambda ns=ns: c.client.get("serviceaccounts", "default", ns))
            first = await c.client.get("serviceaccounts", "default", "apps")
            await c.client.delete("serviceaccounts", "default", "apps")

            async def recreated():
                try:
                    sa = await c.client.get("serviceaccounts", "default", "apps")
                except APIError:
                    return None
                return sa if sa["metadata"]["uid"] != first["metadata"]["uid"] else None
            await c.until(recreated)
    asyncio.run(story())

"""ControllerRevisions (controllers/history.py): the one ensure_revision of the DaemonSet and StatefulSet
controllers, against a real registry: create, reuse, a cache that is behind, and a hash collision."""
from __future__ import annotations

import asyncio

from kubenet.apiserver.registry import Registry
from kubenet.client.local import LocalClient
from kubenet.controllers import history
from kubenet.store.memory import MemoryStore

DS = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
      "spec": {"selector": {"matchLabels": {"app": "agent"}},
               "template": {"metadata": {"labels": {"app": "agent"}},
                            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}


async def setup() -> tuple[LocalClient, dict]:
    client = LocalClient(Registry(MemoryStore()))
    await client.create("namespaces", {"metadata": {"name": "default"}})
    return client, await client.create("daemonsets.apps", DS, "default")


def test_a_revision_is_made_once_and_reused_also_when_the_cache_is_behind():
    async def story():
        client, ds = await setup()
        first = await history.ensure_revision(client, ds, "daemonsets.apps", [])
        assert first["revision"] == 1 and first["metadata"]["labels"][history.HASH_LABEL] in first["metadata"]["name"]
        assert first["metadata"]["ownerReferences"][0]["uid"] == ds["metadata"]["uid"]
        assert history.revision_template(first) == ds["spec"]["template"]
        again = await history.ensure_revision(client, ds, "daemonsets.apps", [first])
        assert again is first  # found among the owner's revisions: no write
        behind = await history.ensure_revision(client, ds, "daemonsets.apps", [])  # 409, read back, same template
        assert behind["metadata"]["uid"] == first["metadata"]["uid"]
        items, _ = await client.list("controllerrevisions.apps", "default")
        assert len(items) == 1
    asyncio.run(story())


def test_a_hash_collision_raises_the_collision_count_and_the_next_revision_is_named_anew():
    async def story():
        client, ds = await setup()
        name = f"agent-{history.template_hash(ds['spec']['template'])}"
        other = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": name, "namespace": "default"}, "revision": 1,
                 "data": history.revision_data({"spec": {"containers": [{"name": "x", "image": "other"}]}})}
        await client.create("controllerrevisions.apps", other, "default")
        assert await history.ensure_revision(client, ds, "daemonsets.apps", []) is None  # 409: another template
        ds = await client.get("daemonsets.apps", "agent", "default")
        assert ds["status"]["collisionCount"] == 1
        made = await history.ensure_revision(client, ds, "daemonsets.apps", [])
        assert made["metadata"]["name"] == f"agent-{history.template_hash(ds['spec']['template'], 1)}" != name
    asyncio.run(story())

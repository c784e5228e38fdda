"""Add-ons: bootstrap, health and the image catalog take everything about an add-on from its Addon value."""
from __future__ import annotations

import asyncio

import pytest

from kubenet import addons
from kubenet.addons import Addon, AddonImage, HealthCheck, coredns
from kubenet.api.errors import APIError
from kubenet.cluster import bootstrap, health
from kubenet.cluster.config import ClusterConfig
from kubenet.kubelet.images import catalog


class RecordingClient:
    """Records creates; a second create of the same object answers 409 like the API server."""

    def __init__(self) -> None:
        self.created: list[tuple[str, str | None, str]] = []

    async def create(self, resource: str, obj: dict, namespace: str | None = None) -> dict:
        key = (resource, namespace, obj["metadata"]["name"])
        if key in self.created:
            raise APIError(409, "AlreadyExists", f"{obj['metadata']['name']} already exists")
        self.created.append(key)
        return obj


def _sa(name: str) -> tuple[str, dict]:
    return "serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount",
                               "metadata": {"name": name, "namespace": "kube-system"}}


FAKE = Addon(
    name="Fake",
    rbac=lambda facts: [_sa("fake")],
    manifests=lambda facts: [("configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                             "metadata": {"name": "fake", "namespace": "kube-system"},
                                             "data": {"dns": facts.dns_ip}})],
    images=(AddonImage("example.com/fake", entrypoint=("/fake",), default_tag="v1",
                       programs={"/fake": lambda argv, tag: ("echo", tag, *argv[1:])}),),
    health=HealthCheck("fake thing", lambda facts: facts.cluster_domain == "cluster.local"),
)


def test_bootstrap_creates_each_addons_rbac_then_its_manifests_once(monkeypatch):
    monkeypatch.setattr(bootstrap, "ADDONS", (coredns.ADDON, FAKE))
    client = RecordingClient()
    config = ClusterConfig(name="kxunit")
    asyncio.run(bootstrap.bootstrap(client, config))
    asyncio.run(bootstrap.bootstrap(client, config))  # a resumed cluster: 409s are fine
    tail = client.created[-4:]
    assert tail == [("services", "kube-system", "kube-dns"), ("deployments.apps", "kube-system", "coredns"),
                    ("serviceaccounts", "kube-system", "fake"), ("configmaps", "kube-system", "fake")]


def test_a_cluster_without_nodes_gets_no_addons():
    client = RecordingClient()
    asyncio.run(bootstrap.bootstrap(client, ClusterConfig(name="kxunit"), with_addons=False))
    assert not [c for c in client.created if c[1] == "kube-system"]


def test_coredns_is_registered_with_kubeadms_objects_and_its_image():
    assert addons.ADDONS[0] is coredns.ADDON
    objs = coredns.ADDON.manifests(ClusterConfig(name="kxunit"))
    service = next(o for r, o in objs if r == "services")
    assert service["spec"]["clusterIP"] == ClusterConfig(name="kxunit").dns_ip
    deployment = next(o for r, o in objs if r == "deployments.apps")
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert catalog.lookup(image) is not None
    argv = catalog.container_argv(deployment["spec"]["template"]["spec"]["containers"][0])
    assert argv[:2] == ["sh", "-c"] and "-m coredns_py" in argv[2]


def test_health_runs_every_addons_check_only_when_the_cluster_has_nodes(monkeypatch):
    monkeypatch.setattr(addons, "ADDONS", (FAKE,))
    assert [c.name for c in health.addon_checks(ClusterConfig(name="kxunit", nodes=1))] == ["fake thing"]
    assert health.addon_checks(ClusterConfig(name="kxunit", nodes=0)) == []


@pytest.mark.parametrize("addon", addons.ADDONS, ids=lambda a: a.name)
def test_every_addon_image_is_in_the_catalog(addon):
    for image in addon.images:
        assert catalog.lookup(f"{image.repository}:{image.default_tag}") is not None
        for binary in image.programs:
            assert catalog.container_argv({"image": image.repository, "command": [binary]})[0] != binary

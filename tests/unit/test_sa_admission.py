"""A new Pod gets the kube-api-access-<5 chars> projected volume and mount, as the ServiceAccount admission plugin
adds them on every real cluster; and the kubelet writes exactly the files that volume projects."""
from __future__ import annotations

import asyncio
import re
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from kubenet.api.errors import APIError
from kubenet.api.kinds import by_kind
from kubenet.apiserver.registry import Registry
from kubenet.client.local import LocalClient
from kubenet.kubelet import projected
from kubenet.kubelet.tokens import TOKEN_FILE_MODE
from kubenet.store.memory import MemoryStore

POD, SA, NS = by_kind("v1", "Pod"), by_kind("v1", "ServiceAccount"), by_kind("v1", "Namespace")
MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


@pytest.fixture
def registry() -> Registry:
    reg = Registry(MemoryStore())
    reg.create(NS, None, {"metadata": {"name": "default"}})
    return reg


def pod(name: str = "p", **spec) -> dict:
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}


def test_a_new_pod_gets_the_projected_volume_and_its_mount(registry):
    created = registry.create(POD, "default", pod(initContainers=[{"name": "i", "image": "busybox"}]))
    volumes = created["spec"]["volumes"]
    assert len(volumes) == 1 and re.fullmatch(r"kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}", volumes[0]["name"])
    assert volumes[0]["projected"] == {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace",
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}
    for container in created["spec"]["containers"] + created["spec"]["initContainers"]:
        assert container["volumeMounts"] == [{"name": volumes[0]["name"], "readOnly": True, "mountPath": MOUNT}]


def test_automount_false_on_the_pod_or_its_service_account_leaves_the_spec_alone(registry):
    created = registry.create(POD, "default", pod("off", automountServiceAccountToken=False))
    assert "volumes" not in created["spec"] and "volumeMounts" not in created["spec"]["containers"][0]
    registry.create(SA, "default", {"metadata": {"name": "quiet"}, "automountServiceAccountToken": False})
    created = registry.create(POD, "default", pod("quiet", serviceAccountName="quiet"))
    assert "volumes" not in created["spec"]
    # The Pod's own choice wins over its ServiceAccount's.
    created = registry.create(POD, "default", pod("loud", serviceAccountName="quiet",
                                                  automountServiceAccountToken=True))
    assert created["spec"]["volumes"][0]["name"].startswith("kube-api-access-")


def test_a_volume_already_at_the_path_wins(registry):
    spec = pod("own", volumes=[{"name": "mine", "emptyDir": {}}])
    spec["spec"]["containers"][0]["volumeMounts"] = [{"name": "mine", "mountPath": MOUNT}]
    created = registry.create(POD, "default", spec)
    assert [v["name"] for v in created["spec"]["volumes"]] == ["mine"]
    assert created["spec"]["containers"][0]["volumeMounts"] == [{"name": "mine", "mountPath": MOUNT}]


def test_mirror_pods_and_pod_templates_are_left_alone(registry):
    mirror = pod("kube-apiserver-node")
    mirror["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "abc"}
    assert "volumes" not in registry.create(POD, "default", mirror)["spec"]
    rs = registry.create(by_kind("apps/v1", "ReplicaSet"), "default", {
        "metadata": {"name": "rs"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
            "metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    assert "volumes" not in rs["spec"]["template"]["spec"]


def test_projected_volumes_are_validated(registry):
    bad = pod("bad", volumes=[{"name": "t", "projected": {"sources": [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 60}}]}}])
    with pytest.raises(APIError) as err:
        registry.create(POD, "default", bad)
    assert err.value.code == 422
    assert "spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not " \
           "specify a duration less than 10 minutes" in err.value.message


def test_the_kubelet_writes_what_the_volume_projects(registry, tmp_path):
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "ca.crt").write_text("CLUSTER CA\n")
    created = registry.create(POD, "default", pod("files"))
    kubelet = SimpleNamespace(client=LocalClient(registry), node_ip="172.18.0.2",
                              config=SimpleNamespace(ca_file=Path(tmp_path) / "pki" / "ca.crt"))
    [volume] = projected.token_volumes(created)
    assert volume.mount_paths == [MOUNT] and volume.token_source == {"expirationSeconds": 3607, "path": "token"}
    # No kube-root-ca.crt yet: the cluster CA it would publish stands in; once it exists, its ca.crt is used.
    files = asyncio.run(projected.projected_files(kubelet, created, volume))
    assert files == {"ca.crt": b"CLUSTER CA\n", "namespace": b"default"}
    registry.create(by_kind("v1", "ConfigMap"), "default", {"metadata": {"name": "kube-root-ca.crt"},
                                                            "data": {"ca.crt": "PUBLISHED CA\n"}})
    files = asyncio.run(projected.projected_files(kubelet, created, volume))
    assert files["ca.crt"] == b"PUBLISHED CA\n"
    projected.write_files(tmp_path / "vol", files)
    assert sorted(p.name for p in (tmp_path / "vol").iterdir()) == ["ca.crt", "namespace"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "vol").iterdir()} == {TOKEN_FILE_MODE}


def test_a_pod_without_a_token_volume_gets_no_mount(registry):
    created = registry.create(POD, "default", pod("none", automountServiceAccountToken=False))
    assert projected.token_volumes(created) == []


def test_a_pod_naming_a_missing_service_account_is_forbidden(registry):
    with pytest.raises(APIError) as err:
        registry.create(POD, "default", pod("lost", serviceAccountName="ghost"))
    assert err.value.code == 403 and err.value.message == (
        'pods "lost" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found')
    generated = pod()
    generated["metadata"] = {"generateName": "web-5d8f-"}
    generated["spec"]["serviceAccountName"] = "ghost"
    with pytest.raises(APIError) as err:
        registry.create(POD, "default", generated)
    assert err.value.message.startswith('pods "web-5d8f-" is forbidden: error looking up service account')
    with pytest.raises(APIError) as err:
        registry.create(POD, "nowhere", pod("lost", serviceAccountName="ghost"))
    assert err.value.code == 404  # the namespace is looked at first
    registry.create(SA, "default", {"metadata": {"name": "ghost"}})
    assert registry.create(POD, "default", pod("found", serviceAccountName="ghost"))["spec"]["volumes"]

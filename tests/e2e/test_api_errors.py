"""Bad input gets Kubernetes' Status and loses nothing: undecodable bodies, oversize bodies, wrong kinds."""
from __future__ import annotations

import asyncio
import json

import pytest

from kubenet.client.http import HTTPClient

PODS = "/api/v1/namespaces/default/pods"


async def raw(kubeconfig, method: str, path: str, body: bytes | None = None,
              content_type: str = "application/json") -> tuple[int, dict]:
    client = HTTPClient(str(kubeconfig))
    try:
        async with client.session.request(method, client.server + path, data=body,
                                          headers={"Content-Type": content_type}) as resp:
            payload = await resp.read()
            return resp.status, json.loads(payload) if payload else {}
    finally:
        await client.close()


def call(plane, *args, **kwargs):
    return asyncio.run(raw(plane.kubeconfig, *args, **kwargs))


@pytest.mark.parametrize("body,content_type", [
    (b"{not json", "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b'{"metadata": "x"}', "application/json"),
    (b"\x00\xff\xfe garbage", "application/json"),
    (b"k8s\x00\x0a\x03bad", "application/vnd.kubernetes.protobuf"),
    (b"key: [unclosed", "application/yaml"),
])
def test_undecodable_bodies_are_400_and_write_nothing(control_plane, body, content_type):
    before = call(control_plane, "GET", PODS)[1]["metadata"]["resourceVersion"]
    status, reply = call(control_plane, "POST", PODS, body, content_type)
    assert status == 400 and reply["kind"] == "Status" and reply["reason"] == "BadRequest", reply
    assert call(control_plane, "GET", PODS)[1]["metadata"]["resourceVersion"] == before


def test_a_body_over_3_mib_is_413(control_plane):
    big = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"},
                      "data": {"x": "a" * (3 * 1024 * 1024 + 10)}}).encode()
    status, reply = call(control_plane, "POST", "/api/v1/namespaces/default/configmaps", big)
    assert status == 413 and reply["reason"] == "RequestEntityTooLarge"


def test_unknown_paths_and_kinds(control_plane):
    status, reply = call(control_plane, "GET", "/apis/apps/v1/namespaces/default/widgets")
    assert status == 404 and reply["message"] == "the server could not find the requested resource"
    status, reply = call(control_plane, "POST", PODS, json.dumps({"apiVersion": "apps/v1", "kind": "Deployment",
                                                                   "metadata": {"name": "x"}}).encode())
    assert status == 400 and "does not match the expected" in reply["message"]
    status, reply = call(control_plane, "GET", "/api/v1/namespaces/nowhere/pods/x")
    assert status == 404 and reply["message"] == 'pods "x" not found'
    status, reply = call(control_plane, "POST", "/api/v1/namespaces/nowhere/configmaps",
                         json.dumps({"metadata": {"name": "c"}}).encode())
    assert status == 404 and reply["message"] == 'namespaces "nowhere" not found'


def test_conflict_on_a_stale_resource_version(control_plane):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stale"}, "data": {"a": "1"}}
    status, created = call(control_plane, "POST", "/api/v1/namespaces/default/configmaps", json.dumps(cm).encode())
    assert status == 201
    fresh = dict(created, data={"a": "2"})
    assert call(control_plane, "PUT", "/api/v1/namespaces/default/configmaps/stale", json.dumps(fresh).encode())[0] \
        == 200
    status, reply = call(control_plane, "PUT", "/api/v1/namespaces/default/configmaps/stale",
                         json.dumps(dict(created, data={"a": "3"})).encode())
    assert status == 409 and reply["reason"] == "Conflict"
    assert reply["message"] == ('Operation cannot be fulfilled on configmaps "stale": the object has been modified; '
                                "please apply your changes to the latest version and try again")


def test_readyz_verbose_and_version(control_plane):
    async def get_text(path):
        client = HTTPClient(str(control_plane.kubeconfig))
        try:
            async with client.session.get(client.server + path) as resp:
                return resp.status, await resp.text()
        finally:
            await client.close()
    status, text = asyncio.run(get_text("/readyz?verbose"))
    assert status == 200 and "[+]ping ok" in text and "readyz check passed" in text
    assert json.loads(asyncio.run(get_text("/version"))[1])["gitVersion"].startswith("v1.32.")

"""What the wire shows a client beyond the objects: content negotiation (406), watch options (422), headers."""
from __future__ import annotations

import asyncio
import json

import pytest

from kubenet.client.http import HTTPClient

PODS = "/api/v1/namespaces/default/pods"
NOT_ACCEPTABLE = ("only the following media types are accepted: application/json, application/yaml, "
                  "application/vnd.kubernetes.protobuf")


async def _get(kubeconfig, path: str, headers: dict) -> tuple[int, dict, bytes]:
    client = HTTPClient(str(kubeconfig))
    try:
        async with client.session.get(client.server + path, headers=headers) as resp:
            return resp.status, dict(resp.headers), await resp.read()
    finally:
        await client.close()


def get(plane, path: str, **headers: str) -> tuple[int, dict, bytes]:
    return asyncio.run(_get(plane.kubeconfig, path, headers))


@pytest.mark.parametrize("accept", ["application/frob", "text/plain", "text/html, image/png",
                                    "application/json;as=Frob;v=v1;g=meta.k8s.io"])
def test_an_accept_naming_nothing_the_api_writes_is_406(control_plane, accept):
    status, _, body = get(control_plane, PODS, Accept=accept)
    reply = json.loads(body)
    assert status == 406, body
    assert reply == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                     "message": NOT_ACCEPTABLE, "reason": "NotAcceptable", "code": 406}


@pytest.mark.parametrize("accept", [
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
    "application/vnd.kubernetes.protobuf", "application/vnd.kubernetes.protobuf,application/json", "*/*",
    "application/json, */*", "application/*", "text/html, */*;q=0.8", "application/yaml", ""])
def test_the_accept_headers_clients_send_are_served(control_plane, accept):
    status, _, body = get(control_plane, PODS, Accept=accept)
    assert status == 200, body


def test_kubectl_still_lists_watches_and_reads_raw(control_plane):
    kubectl = control_plane.kubectl
    assert "NAME" in kubectl("get", "namespaces")
    assert json.loads(kubectl("get", "--raw", PODS))["kind"] == "PodList"
    assert "default" in kubectl("get", "namespaces", "--watch", "--request-timeout=2s", check=False)

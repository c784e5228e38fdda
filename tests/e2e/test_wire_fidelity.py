"""What the wire shows a client beyond the objects: content negotiation (406), watch options (422), headers."""
from __future__ import annotations

import asyncio
import json
import socket
import ssl

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


def _invalid(detail: str) -> str:
    return f'ListOptions.meta.k8s.io "" is invalid: {detail}'


@pytest.mark.parametrize("query,message", [
    ("watch=true&resourceVersionMatch=NotOlderThan",
     _invalid("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents "
              "is provided")),
    ("watch=true&resourceVersionMatch=NotOlderThan&continue=abc",
     _invalid("[resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless "
              "sendInitialEvents is provided, resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden "
              "when continue is provided]")),
    ("watch=true&sendInitialEvents=true",
     _invalid("[resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to "
              "NotOlderThan, sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the "
              "WatchList feature gate is enabled]")),
    ("resourceVersionMatch=Exact", _invalid("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden "
                                            "unless resourceVersion is provided")),
    ("sendInitialEvents=true", _invalid("sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list")),
])
def test_list_and_watch_options_are_checked_as_validate_list_options_does(control_plane, query, message):
    status, _, body = get(control_plane, f"{PODS}?{query}&timeoutSeconds=2")
    reply = json.loads(body)
    assert (status, reply["reason"], reply["message"]) == (422, "Invalid", message), body
    assert reply["details"]["kind"] == "ListOptions" and reply["details"]["group"] == "meta.k8s.io"


def test_watch_options_upstream_allows(control_plane):
    # continue alone and limit are ignored by a watch; a negative timeout is a timer already fired: an empty 200.
    for query in ("watch=true&continue=abc&timeoutSeconds=1", "watch=true&limit=5&timeoutSeconds=1",
                  "watch=true&timeoutSeconds=-5"):
        status, _, body = get(control_plane, f"{PODS}?{query}")
        assert status == 200 and body == b"", (query, body)


def test_a_zero_timeout_watch_gets_the_default_not_an_instant_end(control_plane):
    async def first_event() -> bytes:
        client = HTTPClient(str(control_plane.kubeconfig))
        try:
            async with client.session.get(client.server + "/api/v1/namespaces?watch=true&timeoutSeconds=0") as resp:
                return await asyncio.wait_for(resp.content.readline(), 5)
        finally:
            await client.close()
    assert json.loads(asyncio.run(first_event()))["type"] == "ADDED"


def test_no_reply_carries_a_server_header(control_plane):
    # Go's net/http sends none; aiohttp's "Python/3.11 aiohttp/..." told every client what runs the API server.
    for path, headers in ((PODS, {}), ("/api/v1/namespaces/nowhere/pods/x", {}), ("/version", {}),
                          (PODS, {"Accept": "application/frob"}), ("/api/v1/namespaces?watch=true&timeoutSeconds=1", {}),
                          ("/healthz", {})):
        status, reply_headers, _ = get(control_plane, path, **headers)
        assert "Server" not in reply_headers, (path, status, reply_headers)


def test_an_unparseable_request_gets_no_server_header_either(control_plane):
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", control_plane.plane.config.api_port), timeout=5) as raw_sock, \
            ctx.wrap_socket(raw_sock) as tls:
        tls.sendall(b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = tls.recv(4096)
            if not chunk:
                break
            reply += chunk
    head = reply.split(b"\r\n\r\n")[0].decode()
    assert " 400 " in head.split("\r\n")[0] and "\r\nserver:" not in head.lower(), head

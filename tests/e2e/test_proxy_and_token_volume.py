"""On a running cluster: the services/.../proxy and pods/.../proxy subresources (kubectl get --raw, kubectl proxy +
curl, kubectl cluster-info), and the kube-api-access-* projected volume a Pod's containers see."""
from __future__ import annotations

import base64
import json
import re
import subprocess

import pytest

from tests.e2e.conftest import free_port, wait_for

pytestmark = [pytest.mark.root, pytest.mark.slow]
NS = "/api/v1/namespaces/default"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.52"


@pytest.fixture(scope="module")
def cluster(sandbox_cluster_factory):
    cluster = sandbox_cluster_factory(nodes=1)
    k = cluster.kubectl
    k("create", "deployment", "echo", f"--image={AGNHOST}", "--port=8080", "--", "/agnhost", "netexec",
      "--http-port=8080")
    k("expose", "deployment", "echo", "--port=80", "--target-port=8080", "--name=echo")
    k("create", "service", "clusterip", "idle", "--tcp=80:8080")  # selects nothing: no endpoints
    wait_for(lambda: "NOW:" in k("get", "--raw", f"{NS}/services/echo:80/proxy/", check=False), timeout=60,
             what="the echo Service through the proxy")
    return cluster


@pytest.fixture(scope="module")
def kubectl_proxy(cluster):
    """`kubectl proxy` in the sandbox netns; yields a curl that runs there too."""
    port = free_port()
    proc = cluster.kubectl.popen("proxy", f"--port={port}")

    def curl(path: str, *flags: str) -> str:
        return cluster.host("curl", "-s", "-m", "10", *flags, f"http://127.0.0.1:{port}{path}").stdout
    curl.port = port
    try:
        wait_for(lambda: cluster.host("curl", "-s", f"http://127.0.0.1:{port}/version").returncode == 0,
                 what="kubectl proxy")
        yield curl
    finally:
        proc.terminate()
        proc.wait(10)


def echo_pod(cluster) -> dict:
    pods = json.loads(cluster.kubectl("get", "pods", "-l", "app=echo", "-o", "json"))["items"]
    return pods[0]


def test_get_raw_reaches_a_service_and_a_pod(cluster):
    k = cluster.kubectl
    assert k("get", "--raw", f"{NS}/services/echo:80/proxy/echo?msg=through-the-service") == "through-the-service"
    assert k("get", "--raw", f"{NS}/services/http:echo:80/proxy/echo?msg=scheme") == "scheme"
    pod = echo_pod(cluster)["metadata"]["name"]
    # No port: the first container port the Pod declares (8080).
    assert k("get", "--raw", f"{NS}/pods/{pod}/proxy/hostname") == pod
    assert k("get", "--raw", f"{NS}/pods/{pod}:8080/proxy/echo?msg=pod") == "pod"
    # An HTML page (whose links the proxy rewrites) arrives whole.
    k("run", "page", "--image=nginx", "--port=80")
    wait_for(lambda: "<title>Welcome to nginx!</title>" in k("get", "--raw", f"{NS}/pods/page/proxy/", check=False),
             timeout=30, what="the nginx page through the pod proxy")


def test_errors_are_the_real_servers(cluster, kubectl_proxy):
    k = cluster.kubectl
    out = k("get", "--raw", f"{NS}/services/idle:80/proxy/", check=False)
    assert 'Error from server (ServiceUnavailable): no endpoints available for service "idle"' in out
    out = k("get", "--raw", f"{NS}/services/echo:81/proxy/", check=False)
    assert 'no service port 81 found for service "echo"' in out
    assert 'endpoints "nothere" not found' in k("get", "--raw", f"{NS}/services/nothere/proxy/", check=False)
    assert 'pods "nothere" not found' in k("get", "--raw", f"{NS}/pods/nothere/proxy/", check=False)
    assert 'invalid service request "a:b:c:d"' in k("get", "--raw", f"{NS}/services/a:b:c:d/proxy/", check=False)
    status = json.loads(kubectl_proxy(f"{NS}/services/idle:80/proxy/"))
    assert status["code"] == 503 and status["reason"] == "ServiceUnavailable"
    pod = echo_pod(cluster)
    refused = kubectl_proxy(f"{NS}/pods/{pod['metadata']['name']}:81/proxy/", "-i")
    assert refused.startswith("HTTP/1.1 503")
    assert (f"Error trying to reach service: 'dial tcp {pod['status']['podIP']}:81: connect: connection refused'"
            in refused)


def test_proxying_is_authorized_as_the_proxy_subresource(cluster):
    k = cluster.kubectl
    out = k("--as=jane", "get", "--raw", f"{NS}/services/echo:80/proxy/", check=False)
    assert ('services "echo:80" is forbidden: User "jane" cannot get resource "services/proxy" in API group "" in '
            'the namespace "default"') in out
    k("create", "role", "proxy-echo", "--verb=get", "--resource=services/proxy", "--resource-name=echo:80")
    k("create", "rolebinding", "jane-proxy", "--role=proxy-echo", "--user=jane")
    wait_for(lambda: k("--as=jane", "get", "--raw", f"{NS}/services/echo:80/proxy/echo?msg=ok", check=False) == "ok",
             what="jane's proxy access")


def test_kubectl_proxy_and_curl(cluster, kubectl_proxy):
    base = f"{NS}/services/echo:80/proxy"
    # The bare .../proxy redirects to .../proxy/ (GET and HEAD), as the real server does.
    head = kubectl_proxy(base, "-i")
    assert head.startswith("HTTP/1.1 301") and f"Location: {base}/" in head
    assert "NOW:" in kubectl_proxy(base, "-L")
    # Path, query, method and body reach the Pod; the API server's own credentials do not.
    assert kubectl_proxy(f"{base}/echo?msg=hello%20world") == "hello world"
    assert kubectl_proxy(f"{base}/header?key=X-Forwarded-Uri") == f"{base}/header"
    assert kubectl_proxy(f"{base}/header?key=Authorization") == ""
    assert kubectl_proxy(f"{base}/header?key=Content-Length", "-X", "POST", "-d", "a=bcd") == "5"
    # A redirect from the backend to itself stays under the proxy.
    moved = kubectl_proxy(f"{base}/redirect?location=/echo%3Fmsg%3Dmoved", "-i")
    assert f"Location: {base}/echo?msg=moved" in moved
    assert kubectl_proxy(f"{base}/redirect?location=/echo%3Fmsg%3Dmoved", "-L") == "moved"
    kubectl_proxy(f"{base}/redirect?location=/put", "-X", "PUT")
    pod = echo_pod(cluster)["metadata"]["name"]
    assert "PUT /redirect?msg=/put" in cluster.kubectl("logs", pod)


WS_ECHO = """
from aiohttp import web
async def echo(request):
    ws = web.WebSocketResponse(protocols=["echo.v1"])
    await ws.prepare(request)
    async for msg in ws:
        await ws.send_str("echo:" + msg.data)
    return ws
app = web.Application(); app.router.add_get("/ws", echo)
web.run_app(app, port=8765, print=None)
"""
WS_CLIENT = """
import asyncio, sys, aiohttp
async def main():
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(sys.argv[1], protocols=["echo.v1"]) as ws:
            await ws.send_str("hi")
            print(ws.protocol, (await ws.receive(timeout=5)).data)
asyncio.run(main())
"""


def test_a_websocket_through_kubectl_proxy(cluster, kubectl_proxy):
    k = cluster.kubectl
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ws"}, "spec": {"containers": [
        {"name": "ws", "image": "python:3.11-slim", "command": ["python3", "-c", WS_ECHO],
         "ports": [{"containerPort": 8765}]}]}}
    k("apply", "-f", "-", input=json.dumps(manifest))
    wait_for(lambda: kubectl_proxy(f"{NS}/pods/ws/proxy/nothing", "-o", "/dev/null", "-w", "%{http_code}") == "404",
             timeout=30, what="the websocket pod's server")
    port = kubectl_proxy.port
    out = cluster.host("python3", "-c", WS_CLIENT, f"ws://127.0.0.1:{port}{NS}/pods/ws:8765/proxy/ws")
    assert out.stdout.strip() == "echo.v1 echo:hi", out.stdout + out.stderr


TLS_SERVER = """
import http.server, ssl, sys
class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"over tls " + self.path.encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
server = http.server.HTTPServer(("0.0.0.0", 8443), Hello)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[1], sys.argv[2])
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"""


def test_the_https_scheme_reaches_a_tls_backend_without_verifying_it(cluster, tmp_path):
    # A self-signed certificate: the API server's proxy transport does not verify backends (InsecureSkipVerify).
    key, cert = tmp_path / "tls.key", tmp_path / "tls.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=tls",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "tls"}, "spec": {"containers": [
        {"name": "tls", "image": "python:3.11-slim", "command": ["python3", "-c", TLS_SERVER, str(cert), str(key)],
         "ports": [{"containerPort": 8443}]}]}}
    k = cluster.kubectl
    k("apply", "-f", "-", input=json.dumps(manifest))
    raw = f"{NS}/pods/https:tls:8443/proxy/hello?x=1"
    assert wait_for(lambda: k("get", "--raw", raw, check=False) == "over tls /hello?x=1", timeout=30,
                    what="the TLS pod through the https: proxy")
    # Plain HTTP to a TLS port fails as the real proxy would, reaching the server but not being understood.
    assert "over tls" not in k("get", "--raw", f"{NS}/pods/tls:8443/proxy/hello", check=False)


def test_cluster_info_links_to_the_dns_service_proxy(cluster):
    out = cluster.kubectl("cluster-info")
    links = re.findall(r"https://\S+", re.sub(r"\x1b\[[0-9;]*m", "", out))
    assert any(link.endswith("/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy") for link in links), out


def test_the_pods_spec_shows_the_token_volume_its_containers_see(cluster):
    k = cluster.kubectl
    pod = echo_pod(cluster)
    name = pod["metadata"]["name"]
    [volume] = [v for v in pod["spec"]["volumes"] if v["name"].startswith("kube-api-access-")]
    assert re.fullmatch(r"kube-api-access-[a-z0-9]{5}", volume["name"])
    assert pod["spec"]["containers"][0]["volumeMounts"] == [
        {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": volume["name"], "readOnly": True}]
    described = k("describe", "pod", name)
    assert f"/var/run/secrets/kubernetes.io/serviceaccount from {volume['name']} (ro)" in described
    assert "TokenExpirationSeconds:  3607" in described and "ConfigMapName:           kube-root-ca.crt" in described
    sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount"
    assert k("exec", name, "--", "ls", sa_dir).split() == ["ca.crt", "namespace", "token"]
    assert k("exec", name, "--", "cat", f"{sa_dir}/namespace") == "default"
    ca = (cluster.config.data / "pki" / "ca.crt").read_text()
    assert k("exec", name, "--", "cat", f"{sa_dir}/ca.crt") == ca
    touch = k("exec", name, "--", "touch", f"{sa_dir}/x", check=False)
    assert "Read-only file system" in touch


def test_the_kubelet_mounts_what_the_spec_says(cluster):
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "own-token"}, "spec": {
        "automountServiceAccountToken": False,
        "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"],
                        "volumeMounts": [{"name": "vault", "mountPath": "/var/run/secrets/tokens"}]}],
        "volumes": [{"name": "vault", "projected": {"sources": [
            {"serviceAccountToken": {"path": "vault-token", "expirationSeconds": 7200, "audience": "vault"}}]}}]}}
    k = cluster.kubectl
    k("apply", "-f", "-", input=json.dumps(manifest))
    wait_for(lambda: k("get", "pod", "own-token", "-o", "jsonpath={.status.phase}") == "Running",
             what="the own-token pod")
    assert [v["name"] for v in json.loads(k("get", "pod", "own-token", "-o", "json"))["spec"]["volumes"]] == \
        ["vault"]
    listing = k("exec", "own-token", "--", "ls", "-R", "/var/run/secrets")
    assert "vault-token" in listing and "kubernetes.io" not in listing, listing
    token = k("exec", "own-token", "--", "cat", "/var/run/secrets/tokens/vault-token")
    body = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert claims["aud"] == ["vault"] and claims["exp"] - claims["iat"] == 7200
    assert claims["kubernetes.io"]["pod"]["name"] == "own-token"

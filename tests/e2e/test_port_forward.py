"""kubectl port-forward as a user meets it: reach a Pod (or a Service's or Deployment's Pod) on a local port.

kubectl 1.32 tunnels SPDY through a WebSocket first; KUBECTL_PORT_FORWARD_WEBSOCKETS=false makes it use the plain
SPDY/3.1 upgrade, so the byte-heavy stories run over both.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from contextlib import contextmanager

import pytest

from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.root, pytest.mark.slow]
MIB = 1024 * 1024
TRANSPORTS = {"websocket": (), "spdy": ("env", "KUBECTL_PORT_FORWARD_WEBSOCKETS=false")}

# A TCP echo server: what goes in comes back, so one connection moves data both ways at once.
ECHO_SERVER = """
import socketserver
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        while data := self.request.recv(65536):
            self.request.sendall(data)
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("0.0.0.0", 9000), Echo).serve_forever()
"""

# Sends SIZE random bytes to 127.0.0.1:PORT while reading the echo; prints how much came back and whether it matched.
ECHO_CLIENT = """
import hashlib, os, socket, sys, threading
port, size = int(sys.argv[1]), int(sys.argv[2])
data = os.urandom(size)
conn = socket.create_connection(("127.0.0.1", port), timeout=30)
def send():
    conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)
sender = threading.Thread(target=send)
sender.start()
received = bytearray()
while chunk := conn.recv(65536):
    received += chunk
sender.join()
print(len(received), hashlib.sha256(received).digest() == hashlib.sha256(data).digest())
"""


@pytest.fixture(scope="module")
def cluster(sandbox_cluster_factory):
    return sandbox_cluster_factory(nodes=1)


def pod_running(kubectl, name: str) -> bool:
    pod = json.loads(kubectl("get", "pod", name, "-o", "json", check=False) or "{}")
    return pod.get("status", {}).get("phase") == "Running"


def run_pod(cluster, manifest: dict) -> None:
    cluster.kubectl("apply", "-f", "-", input=json.dumps(manifest))
    name = manifest["metadata"]["name"]
    wait_for(lambda: pod_running(cluster.kubectl, name), timeout=30, what=f"pod {name} running")


def command_pod(name: str, image: str, command: list[str]) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": name, "image": image, "command": command}]}}


@contextmanager
def port_forward(cluster, *args: str, transport: str = "websocket"):
    kubectl = dataclasses.replace(cluster.kubectl, prefix=cluster.kubectl.prefix + TRANSPORTS[transport])
    proc = kubectl.popen("port-forward", *args)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def curl(cluster, url: str) -> str:
    return cluster.host("curl", "-s", "-m", "5", url).stdout


def test_port_forward_to_nginx_pod(cluster):
    cluster.kubectl("run", "web", "--image", "nginx")
    wait_for(lambda: pod_running(cluster.kubectl, "web"), timeout=30, what="pod web running")
    with port_forward(cluster, "pod/web", "18080:80"):
        page = wait_for(lambda: curl(cluster, "http://127.0.0.1:18080"), what="the nginx page through the forward")
        assert "Welcome to nginx!" in page
        # A browser opens many connections at once: each becomes its own pair of streams in one session.
        codes = cluster.host("sh", "-c", "seq 20 | xargs -P 20 -I{} curl -s -m 10 -o /dev/null -w '%{http_code}\\n' "
                                         "http://127.0.0.1:18080/", timeout=30).stdout.split()
        assert codes == ["200"] * 20


def test_port_forward_to_service_and_deployment(cluster):
    cluster.kubectl("create", "deployment", "shop", "--image", "nginx")
    cluster.kubectl("expose", "deployment", "shop", "--port", "8080", "--target-port", "80")
    wait_for(lambda: "Running" in cluster.kubectl("get", "pods", "-l", "app=shop"), timeout=30,
             what="the shop pod running")
    # kubectl picks a Pod behind the Service and maps the Service port 8080 to the container port 80 itself.
    with port_forward(cluster, "svc/shop", "18082:8080"):
        assert "Welcome to nginx!" in wait_for(lambda: curl(cluster, "http://127.0.0.1:18082"), what="svc forward")
    with port_forward(cluster, "deploy/shop", "18083:80"):
        assert "Welcome to nginx!" in wait_for(lambda: curl(cluster, "http://127.0.0.1:18083"), what="deploy forward")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_download_a_mebibyte_file(cluster, transport, tmp_path):
    tmp_path.chmod(0o755)
    name = f"files-{transport}"
    run_pod(cluster, command_pod(name, "busybox", [
        "sh", "-c", f"cd {tmp_path} && head -c {MIB} /dev/urandom > blob && exec python3 -m http.server 8000"]))
    wait_for(lambda: (tmp_path / "blob").exists() and (tmp_path / "blob").stat().st_size == MIB, what="the file")
    expected = hashlib.sha256((tmp_path / "blob").read_bytes()).hexdigest()
    # kubectl exec (WebSocket v5) still works next to port-forward.
    assert cluster.kubectl("exec", name, "--", "sha256sum", str(tmp_path / "blob")).split()[0] == expected
    with port_forward(cluster, f"pod/{name}", "18084:8000", transport=transport):
        wait_for(lambda: cluster.host("curl", "-s", "-m", "3", "-o", "/dev/null", "http://127.0.0.1:18084/").returncode
                 == 0, what="the forward listening")
        fetched = cluster.host("sh", "-c", "curl -s -m 20 http://127.0.0.1:18084/blob | sha256sum", timeout=30)
    assert fetched.stdout.split()[0] == expected


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_echo_four_mebibytes_both_ways(cluster, transport):
    name = f"echo-{transport}"
    run_pod(cluster, command_pod(name, "busybox", ["python3", "-c", ECHO_SERVER]))
    with port_forward(cluster, f"pod/{name}", "19000:9000", transport=transport):
        wait_for(lambda: cluster.host("python3", "-c", "import socket; socket.create_connection(('127.0.0.1', 19000))"
                                      ).returncode == 0, what="the forward listening")
        echoed = cluster.host("python3", "-c", ECHO_CLIENT, "19000", str(4 * MIB), timeout=60)
    assert echoed.stdout.split() == [str(4 * MIB), "True"], echoed.stderr


def test_refused_connection_is_reported_and_ends_the_forward(cluster):
    run_pod(cluster, command_pod("quiet", "busybox", ["sleep", "infinity"]))
    with port_forward(cluster, "pod/quiet", "18085:9999") as proc:
        wait_for(lambda: cluster.host("curl", "-s", "-m", "3", "http://127.0.0.1:18085/").returncode in (52, 56),
                 what="curl to see the connection close")
        # Like kubectl against a real cluster: the error from the node ends port-forward.
        output, _ = proc.communicate(timeout=10)
    assert proc.returncode != 0
    assert "error forwarding port 9999 to pod quiet" in output and "connection refused" in output
    assert "lost connection to pod" in output


def test_port_forward_without_upgrade_is_a_bad_request(cluster):
    proc = cluster.host("curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--cert",
                        str(cluster.config.data / "pki" / "admin.crt"), "--key",
                        str(cluster.config.data / "pki" / "admin.key"),
                        "https://127.0.0.1:6443/api/v1/namespaces/default/pods/web/portforward", "-X", "POST")
    assert proc.stdout == "400", proc.stderr


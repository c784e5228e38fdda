"""The web images as a learner curls them: traefik/whoami's report, httpd's and nginx's own 404 pages,
hashicorp/http-echo, registry.k8s.io/echoserver and hello-app."""
from __future__ import annotations

import json
import socket

import pytest

from kubenet.kubelet.images.web import interface_addresses
from tests.unit.test_images_support import Program, free_port, http, run
from tests.waiting import wait_for

MODULE = "kubenet.kubelet.images.web"
HOST = socket.gethostname()


def serve(args: list[str], env: dict | None = None, port: int | None = None):
    port = port or free_port()
    program = Program(MODULE, [a.replace("{port}", str(port)) for a in args], env=env)
    program.wait_tcp(port)
    return program, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def whoami():
    program, base = serve(["whoami", "--port", "{port}"])
    yield base
    program.stop()


def test_interface_addresses_include_loopback():
    addresses = interface_addresses()
    assert addresses[0] == "127.0.0.1"  # lo is ifindex 1, its IPv4 address first, like Go lists them


def test_whoami_reports_hostname_every_ip_remote_addr_and_the_request(whoami):
    status, headers, body = http(f"{whoami}/some/path?x=1", headers={"X-Forwarded-For": "203.0.113.7"})
    lines = body.split("\n")
    assert status == 200 and headers["Content-Type"] == "text/plain; charset=utf-8"
    assert lines[0] == f"Hostname: {HOST}"
    assert [line for line in lines if line.startswith("IP: ")] == [f"IP: {ip}" for ip in interface_addresses()]
    remote = next(line for line in lines if line.startswith("RemoteAddr: "))
    assert remote.startswith("RemoteAddr: 127.0.0.1:")
    request = body[body.index("GET "):]
    port = whoami.rsplit(":", 1)[1]
    assert request.startswith(f"GET /some/path?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: Python-urllib/")
    assert "\r\nX-Forwarded-For: 203.0.113.7\r\n" in request and request.endswith("\r\n\r\n")


def test_whoami_api_is_json_and_health_can_be_set(whoami):
    _status, headers, body = http(f"{whoami}/api", headers={"X-Test": "1"})
    data = json.loads(body)
    assert headers["Content-Type"] == "application/json" and body.endswith("}\n")
    assert list(data) == ["hostname", "ip", "headers", "url", "host", "method", "remoteAddr"]
    assert (data["hostname"], data["url"], data["method"]) == (HOST, "/api", "GET")
    assert data["headers"]["X-Test"] == ["1"] and "127.0.0.1" in data["ip"]
    assert http(f"{whoami}/health")[0] == 200
    assert http(f"{whoami}/health", "POST", b"503")[0] == 200
    assert http(f"{whoami}/health")[0] == 503
    http(f"{whoami}/health", "POST", b"200")


def test_whoami_port_from_the_environment_and_name_flag():
    port = free_port()
    program, base = serve(["whoami", "--name", "blue"], env={"WHOAMI_PORT_NUMBER": str(port)}, port=port)
    try:
        assert http(base)[2].startswith(f"Name: blue\nHostname: {HOST}\n")
        assert f"Starting up on port {port}" in program.stderr
    finally:
        program.stop()


def test_nginx_and_httpd_answer_their_own_404_pages():
    nginx, nginx_base = serve(["nginx", "--port", "{port}"])
    httpd, httpd_base = serve(["httpd", "--port", "{port}"])
    try:
        status, headers, body = http(f"{nginx_base}/")
        assert status == 200 and headers["Server"] == "nginx/1.27.3" and "Welcome to nginx!" in body
        status, headers, body = http(f"{nginx_base}/missing")
        assert (status, headers["Content-Type"], headers["Content-Length"]) == (404, "text/html", "153")
        assert body == ("<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found"
                        "</h1></center>\r\n<hr><center>nginx/1.27.3</center>\r\n</body>\r\n</html>\r\n")
        status, headers, body = http(f"{httpd_base}/missing")
        assert (status, headers["Server"]) == (404, "Apache/2.4.62 (Unix)")
        assert headers["Content-Type"] == "text/html; charset=iso-8859-1"
        assert body == ('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found'
                        "</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this "
                        "server.</p>\n</body></html>\n")
        assert http(f"{httpd_base}/")[2].startswith("<html><body><h1>It works!</h1>")
        assert '"GET /missing HTTP/1.1" 404 153 "-" "Python-urllib/' in nginx.stdout
    finally:
        nginx.stop()
        httpd.stop()


def test_http_echo_serves_its_text_and_health():
    program, base = serve(["http-echo", "-text=hello world", "-listen=:{port}"])
    try:
        status, headers, body = http(f"{base}/anything")
        assert (status, body, headers["X-App-Name"]) == (200, "hello world\n", "http-echo")
        assert http(f"{base}/health")[2] == '{"status":"ok"}\n'
        assert "[INFO] server is listening on :" in program.stderr
    finally:
        program.stop()
    missing = run(MODULE, ["http-echo", f"-listen=:{free_port()}"], env={"ECHO_TEXT": ""})
    assert (missing.returncode, missing.stderr) == (127, "Missing -text option OR ENV var TEXT is empty!\n")


def test_echoserver_echoes_the_request():
    program, base = serve(["echoserver", "--port", "{port}"], env={"HOSTNAME": "echo-7d9c"})
    try:
        status, headers, body = http(f"{base}/path?a=b", "POST", b"payload", {"X-Custom": "yes"})
        assert status == 200 and headers["Server"] == "echoserver"
        assert body.startswith("\n\nHostname: echo-7d9c\n\nPod Information:\n\t-no pod information available-\n")
        for line in ("\tmethod=POST", "\treal path=/path?a=b", "\tquery=a=b", "\trequest_version=1.1",
                     f"\trequest_uri=http://127.0.0.1:{base.rsplit(':', 1)[1]}/path?a=b", "\tx-custom=yes  ",
                     "Request Body:\npayload"):
            assert line in body
    finally:
        program.stop()


def test_hello_app_says_hello_with_its_version():
    port = free_port()
    program, base = serve(["hello-app", "--version", "2.0.0"], env={"PORT": str(port)}, port=port)
    try:
        assert http(base)[2] == f"Hello, world!\nVersion: 2.0.0\nHostname: {HOST}\n"
        program.wait_output("Serving request: /")
    finally:
        program.stop()


def test_a_graceful_stop_stops_listening_and_finishes_the_request_in_flight():
    """nginx's SIGQUIT / httpd's graceful-stop: after the drain a new connection is refused, and a request being
    answered is never cut (it used to be: the stand-in exited in the middle of it)."""
    import signal
    port = free_port()
    program, _ = serve(["nginx", "--port", "{port}"], port=port)
    try:
        slow = socket.create_connection(("127.0.0.1", port), timeout=5)
        slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
                     b"Connection: close\r\n\r\n")
        assert slow.recv(25).startswith(b"HTTP/1.1 100 Continue")  # the server is answering it: it waits for the body
        program.signal(signal.SIGTERM)

        def refused() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except (ConnectionRefusedError, ConnectionResetError):  # a SYN racing the listener's close gets a RST
                return True
            return False
        wait_for(refused, timeout=5, what="the listener to close after the drain (1 s)")
        assert program.proc.poll() is None  # still finishing the request in flight
        slow.sendall(b"hello")
        answer = b""
        while chunk := slow.recv(65536):
            answer += chunk
        slow.close()
        assert answer.startswith(b"HTTP/1.1 ") and b"\r\n\r\n" in answer
        assert program.wait(5) == 0
    finally:
        program.stop()

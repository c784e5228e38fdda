"""agnhost as an e2e test Pod runs it: netexec's endpoints and UDP server, serve-hostname, pause, porter,
liveness, the DNS helpers and connect, with the real image's answers, log lines and exit codes."""
from __future__ import annotations

import json
import signal
import socket
import threading
import time

import pytest

from kubenet.kubelet.images import agnhost_servers
from kubenet.kubelet.images.go_http import make_server
from tests.unit.test_images_support import Program, free_port, http, run, udp

MODULE = "kubenet.kubelet.images.agnhost"
HOST = socket.gethostname()


@pytest.fixture(scope="module")
def netexec():
    http_port, udp_port = free_port(), free_port(socket.SOCK_DGRAM)
    program = Program(MODULE, ["netexec", f"--http-port={http_port}", "--udp-port", str(udp_port)])
    program.wait_tcp(http_port)
    program.wait_output("Started UDP server")
    yield f"http://127.0.0.1:{http_port}", udp_port, program
    program.stop()


def test_netexec_answers_hostname_echo_clientip_and_healthz(netexec):
    base, _, program = netexec
    assert http(f"{base}/hostname")[2] == HOST
    assert http(f"{base}/hostName")[2] == HOST
    status, headers, body = http(f"{base}/echo?msg=hello")
    assert (status, body, headers["Content-Type"]) == (200, "hello", "text/plain; charset=utf-8")
    assert "Server" not in headers  # Go's net/http sends none
    assert http(f"{base}/echo?msg=gone&code=404")[:3:2] == (404, "gone")
    assert http(f"{base}/clientip")[2].startswith("127.0.0.1:")
    assert http(f"{base}/healthz")[0] == 200
    assert http(f"{base}/readyz")[2] == "ok"
    assert http(f"{base}/")[2].startswith("NOW: ")
    assert http(f"{base}/some/other/path")[2].startswith("NOW: ")  # ServeMux's "/" takes the rest
    assert "Started HTTP server on port" in program.stderr
    assert "GET /echo?msg=hello&code=" in program.stderr


def test_netexec_shell_returns_output_and_error_as_json(netexec):
    base, _, _ = netexec
    assert json.loads(http(f"{base}/shell?cmd=echo%20hi")[2]) == {"output": "hi\n"}
    assert json.loads(http(f"{base}/shell?shellCommand=echo%20x;exit%203")[2]) == {"output": "x\n",
                                                                                     "error": "exit status 3"}


def test_netexec_dial_http_and_udp_like_the_e2e_networking_tests(netexec):
    base, udp_port, _ = netexec
    http_port = base.rsplit(":", 1)[1]
    body = http(f"{base}/dial?request=hostname&protocol=http&host=127.0.0.1&port={http_port}&tries=2")[2]
    assert json.loads(body) == {"responses": [HOST, HOST]}
    body = http(f"{base}/dial?request=hostname&protocol=udp&host=127.0.0.1&port={udp_port}&tries=1")[2]
    assert json.loads(body) == {"responses": [HOST]}
    closed = free_port()
    body = http(f"{base}/dial?request=hostname&protocol=http&host=127.0.0.1&port={closed}&tries=1")[2]
    assert json.loads(body) == {"errors": [(f'Get "http://127.0.0.1:{closed}/hostname": dial tcp '
                                           f'127.0.0.1:{closed}: connect: connection refused')]}
    status, _, body = http(f"{base}/dial?protocol=http&host=127.0.0.1&port=1")
    assert (status, body) == (400, "request parameter not specified. <nil>\n")


def test_netexec_udp_server_answers_hostname_echo_and_clientip(netexec):
    _, udp_port, _ = netexec
    assert udp(udp_port, b"hostname") == HOST.encode()
    assert udp(udp_port, b"echo Hello World\n") == b"hello world"  # the real one lower-cases what it reads
    assert udp(udp_port, b"clientip").startswith(b"127.0.0.1:")


def test_netexec_exit_endpoint_ends_the_container_with_the_code():
    port = free_port()
    program = Program(MODULE, ["netexec", f"--http-port={port}", "--udp-port=-1"])
    try:
        program.wait_tcp(port)
        assert http(f"http://127.0.0.1:{port}/healthz")[0] == 412  # no UDP server: not ready, like the real one
        with pytest.raises(OSError):
            http(f"http://127.0.0.1:{port}/exit?code=3")
        assert program.wait() == 3
        assert "then will exit with 3" in program.stderr
    finally:
        program.stop()


def test_netexec_stops_with_exit_0_on_sigterm():
    port = free_port()
    program = Program(MODULE, ["netexec", f"--http-port={port}", f"--udp-port={free_port(socket.SOCK_DGRAM)}"])
    try:
        program.wait_tcp(port)
        program.signal(signal.SIGTERM)
        assert program.wait() == 0
    finally:
        program.stop()


def test_serve_hostname_over_http_udp_and_tcp():
    port = free_port()
    web = Program(MODULE, ["serve-hostname", "--port", str(port)])
    udp_port, tcp_port = free_port(socket.SOCK_DGRAM), free_port()
    raw_udp = Program(MODULE, ["serve-hostname", "--udp", "--http=false", f"--port={udp_port}"])
    raw_tcp = Program(MODULE, ["serve-hostname", "--tcp", "--http=false", f"--port={tcp_port}"])
    try:
        web.wait_tcp(port)
        assert http(f"http://127.0.0.1:{port}/anything")[2] == HOST
        raw_udp.wait_output("Serving on port")
        assert udp(udp_port, b"x") == HOST.encode()
        raw_tcp.wait_tcp(tcp_port)
        with socket.create_connection(("127.0.0.1", tcp_port), timeout=3) as conn:
            assert conn.recv(100) == HOST.encode()
        assert "HTTP request from 127.0.0.1:" in web.stderr
    finally:
        for program in (web, raw_udp, raw_tcp):
            program.stop()
    both = run(MODULE, ["serve-hostname", "--udp", f"--port={free_port()}"])
    assert both.returncode == 1 and "Can't server TCP/UDP mode and HTTP mode at the same time" in both.stderr


def test_pause_prints_paused_and_exits_2_on_sigterm():
    program = Program(MODULE, ["pause"])
    try:
        program.wait_output("Paused", stream="stdout")
        program.signal(signal.SIGTERM)
        assert program.wait() == 2
        assert program.stdout == "Paused\nexiting 2\n"
    finally:
        program.stop()


def test_porter_serves_each_ports_text():
    first, second = free_port(), free_port()
    program = Program(MODULE, ["porter"], env={f"SERVE_PORT_{first}": "foo", f"SERVE_PORT_{second}": "bar"})
    json_port = free_port()
    json_program = Program(MODULE, ["porter", "--json-response"], env={f"SERVE_PORT_{json_port}": "baz"})
    try:
        program.wait_tcp(first)
        program.wait_tcp(second)
        assert http(f"http://127.0.0.1:{first}/x")[2] == "foo"
        assert http(f"http://127.0.0.1:{second}/")[2] == "bar"
        json_program.wait_tcp(json_port)
        _status, headers, body = http(f"http://127.0.0.1:{json_port}/")
        assert (body, headers["Content-Type"]) == ('{"Method":"GET","Body":"baz"}', "application/json")
    finally:
        program.stop()
        json_program.stop()


def test_liveness_is_healthy_for_10_seconds_then_500():
    port = free_port()
    program = Program(MODULE, ["liveness", f"--port={port}"])
    try:
        program.wait_tcp(port)
        assert http(f"http://127.0.0.1:{port}/healthz")[:3:2] == (200, "ok")
    finally:
        program.stop()
    # After ten seconds (here: a server whose clock started eleven seconds ago) /healthz fails.
    server = make_server(agnhost_servers.LivenessHandler, 0, "127.0.0.1")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    started = agnhost_servers.PROCESS_START
    agnhost_servers.PROCESS_START = time.monotonic() - 11
    try:
        status, _, body = http(f"http://127.0.0.1:{server.server_address[1]}/healthz")
        assert status == 500 and body.startswith("error: 11.")
    finally:
        agnhost_servers.PROCESS_START = started
        server.shutdown()


def test_dns_suffix_and_server_list_read_resolv_conf():
    with open("/etc/resolv.conf") as resolv_conf:
        lines = resolv_conf.read().split("\n")
    for command, keyword in (("dns-suffix", "search"), ("dns-server-list", "nameserver")):
        result = run(MODULE, [command])
        line = next((line for line in lines if line.startswith(keyword)), None)
        if line is None:
            assert result.returncode == 2 and "panic: Could not find DNS search list!" in result.stderr
        else:
            assert result.stdout == ",".join(line.split(" ")[1:]) + "\n"


def test_connect_exits_0_on_connect_and_1_with_the_reason_otherwise():
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        port = listener.getsockname()[1]
        assert run(MODULE, ["connect", f"127.0.0.1:{port}", "--timeout", "5s"]).returncode == 0
    finally:
        listener.close()
    refused = run(MODULE, ["connect", f"127.0.0.1:{free_port()}", "--timeout=5s"])
    assert (refused.returncode, refused.stderr) == (1, "REFUSED\n")
    no_port = run(MODULE, ["connect", "example"])
    assert (no_port.returncode, no_port.stderr) == (1, "UNKNOWN: address example: missing port in address\n")


def test_unknown_subcommand_and_flag_fail_like_cobra():
    result = run(MODULE, ["nope"])
    assert result.returncode == 1
    assert result.stderr.startswith('Error: unknown command "nope" for "agnhost"')
    result = run(MODULE, ["pause", "--bogus"])
    assert result.returncode == 1 and result.stderr.startswith("Error: unknown flag: --bogus")


def test_connections_are_served_without_nagle_as_go_does():
    """Go's net/http sets TCP_NODELAY: a keep-alive client must not wait a delayed ACK for each response's body."""
    import socket as socketlib

    from kubenet.kubelet.images.go_http import GoHandler

    class NoDelay(GoHandler):
        def route(self) -> None:
            self.reply(200, str(self.connection.getsockopt(socketlib.IPPROTO_TCP, socketlib.TCP_NODELAY)))
    server = make_server(NoDelay, 0, "127.0.0.1")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert http(f"http://127.0.0.1:{server.server_address[1]}/")[2] == "1"
    finally:
        server.shutdown()

"""agnhost's small servers: serve-hostname, porter and liveness (test/images/agnhost/<name>), as kubenet runs
them. Part of `python -m kubenet.kubelet.images.agnhost <name>`."""
from __future__ import annotations

import os
import signal
import socket
import threading
import time
import urllib.parse

from kubenet.kubelet.images.go_cli import (
    format_duration,
    go_fatal,
    go_json,
    go_log,
    hostname,
    join_host_port,
    os_error_text,
)
from kubenet.kubelet.images.go_http import GoHandler, make_server
from kubenet.kubelet.images.started import report_started

PROCESS_START = time.monotonic()


# --- serve-hostname -------------------------------------------------------------------------------------
class ServeHostnameHandler(GoHandler):
    close_after = False

    def route(self) -> None:
        go_log(f"HTTP request from {self.remote_addr}")
        headers = {"Connection": "close"} if self.close_after else {}
        self.reply(200, hostname(), headers)
        if self.close_after:
            self.close_connection = True


def serve_hostname(flags: dict, args: list[str]) -> None:
    if flags["http"] and (flags["tcp"] or flags["udp"]):
        go_fatal("Can't server TCP/UDP mode and HTTP mode at the same time")
    name, port = hostname(), flags["port"]
    if flags["tcp"]:
        listener = socket.create_server(("0.0.0.0", port), reuse_port=False)

        def serve_tcp() -> None:
            while True:
                conn, client = listener.accept()
                go_log(f"TCP request from {join_host_port(*client[:2])}")
                try:
                    conn.sendall(name.encode())
                finally:
                    conn.close()
        threading.Thread(target=serve_tcp, daemon=True).start()
    if flags["udp"]:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("0.0.0.0", port))

        def serve_udp() -> None:
            while True:
                _, client = udp.recvfrom(16)
                go_log(f"UDP request from {join_host_port(*client[:2])}")
                udp.sendto(name.encode(), client)
        threading.Thread(target=serve_udp, daemon=True).start()
    if flags["http"]:
        ServeHostnameHandler.close_after = flags["close"]
        server = make_server(ServeHostnameHandler, port)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    report_started()  # every mode's socket is bound by now (make_server reports only for HTTP)
    go_log(f"Serving on port {port}.")
    received = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: received.set())
    while not received.wait(3600):
        pass
    go_log("Shutting down after receiving signal: terminated.")
    go_log("Awaiting pod deletion.")
    time.sleep(60)



# --- porter ---------------------------------------------------------------------------------------------
def _porter_handler(value: str, json_response: bool) -> type[GoHandler]:
    class PorterHandler(GoHandler):
        def route(self) -> None:
            if json_response:
                self.reply(200, go_json({"Method": self.command, "Body": value}, sort_keys=False),
                           {"Content-Type": "application/json"})
            else:
                self.reply(200, value)
    return PorterHandler


def porter(flags: dict, args: list[str]) -> None:
    prefixes = ("SERVE_PORT_", "SERVE_TCP_PORT_", "SERVE_UDP_PORT_", "SERVE_TLS_PORT_", "SERVE_SCTP_PORT_")
    for key, value in os.environ.items():
        prefix = next((p for p in prefixes if key.startswith(p)), None)
        if prefix is None:
            continue
        port = key[len(prefix):]
        if prefix == "SERVE_UDP_PORT_":
            threading.Thread(target=_porter_udp, args=(port, value), daemon=True).start()
        elif prefix == "SERVE_SCTP_PORT_":
            go_log(f"SCTP server on port {port} is not emulated by kubenet")
        else:
            threading.Thread(target=_porter_http, args=(port, value, flags["json-response"],
                                                        prefix == "SERVE_TLS_PORT_"), daemon=True).start()
    threading.Event().wait()


def _porter_http(port: str, value: str, json_response: bool, tls: bool) -> None:
    try:
        server = make_server(_porter_handler(value, json_response), int(port))
        if tls:
            import ssl
            cert, key = os.environ.get("CERT_FILE") or "localhost.crt", os.environ.get("KEY_FILE") or "localhost.key"
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            try:
                context.load_cert_chain(cert, key)
            except OSError as exc:
                go_log(f'tls server on port "{port}" with certFile="{cert}", keyFile="{key}" failed: open {cert}: '
                       f"{os_error_text(exc)}")
                return
            server.socket = context.wrap_socket(server.socket, server_side=True)
        server.serve_forever()
    except ValueError:
        go_log(f'server on port "{port}" failed: listen tcp: address 0.0.0.0:{port}: invalid port')


def _porter_udp(port: str, value: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("0.0.0.0", int(port)))
    except (OSError, ValueError) as exc:
        go_fatal(f"UDP: failed to listen on port {port}: {exc}")
    go_log(f"Started UDP server on port {port}")
    while True:
        _, client = sock.recvfrom(16)
        sock.sendto(value.encode(), client)


# --- liveness -------------------------------------------------------------------------------------------
class LivenessHandler(GoHandler):
    def route(self) -> None:
        since = time.monotonic() - PROCESS_START
        if self.url_path == "/started":
            self.reply(200, format_duration(since), sniff=True)
        elif self.url_path == "/healthz":
            if since > 10:
                self.reply(500, f"error: {since!r}")
            else:
                self.reply(200, "ok")
        elif self.url_path == "/redirect":
            location = urllib.parse.unquote(self.query().get("loc", ""))
            self.redirect_to(location, 302)
        else:
            self.not_found()


def liveness(flags: dict, args: list[str]) -> None:
    # The real server always listens on :8080; --port is kubenet's, for tests that cannot own 8080.
    make_server(LivenessHandler, flags["port"]).serve_forever()

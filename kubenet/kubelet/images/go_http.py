"""What the Go programs in our images look like over HTTP: answers like Go's net/http server (no Server
header, Date and Content-Length, a sniffed Content-Type, "404 page not found", http.Redirect and http.Error).

Most images a learner runs (agnhost, whoami, http-echo, hello-app) are Go binaries; with these conventions what
curl shows of our stand-ins matches. Stdlib only: each runs as its own small process inside a Pod.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kubenet.kubelet.images.go_cli import go_fatal, join_host_port
from kubenet.kubelet.images.started import report_started

# --- net/http -------------------------------------------------------------------------------------------
_HTML_SIGNATURES = (b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font",
                    b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p", b"<!--")


def sniff_content_type(body: bytes) -> str:
    """A short version of Go's http.DetectContentType for what our servers write (text, HTML, JSON)."""
    head = body[:512].lstrip(b"\t\n\x0c\r ").lower()
    for sig in _HTML_SIGNATURES:
        if head.startswith(sig) and len(head) > len(sig) and head[len(sig):len(sig) + 1] in (b" ", b">"):
            return "text/html; charset=utf-8"
    if any(b < 0x20 and b not in (9, 10, 12, 13, 27) for b in body[:512]):
        return "application/octet-stream"
    return "text/plain; charset=utf-8"



class GoHandler(BaseHTTPRequestHandler):
    """A request handler that answers like Go's net/http server. Subclasses implement `route()`."""

    protocol_version = "HTTP/1.1"
    server_header: str | None = None  # Go's server sends none
    # Go's net/http (and nginx's tcp_nodelay) set TCP_NODELAY on every connection: without it a keep-alive client
    # (the API server's proxy, kube-proxy'd load tests) waits a delayed ACK, ~40 ms, for the body sent after the headers.
    disable_nagle_algorithm = True

    # -- request side --
    @property
    def remote_addr(self) -> str:
        return join_host_port(self.client_address[0], self.client_address[1])

    @property
    def url_path(self) -> str:
        return urllib.parse.urlsplit(self.path).path or "/"

    @property
    def raw_query(self) -> str:
        return urllib.parse.urlsplit(self.path).query

    def query(self) -> dict[str, str]:
        """The first value of each query parameter (Go's r.FormValue / URL.Query().Get)."""
        out: dict[str, str] = {}
        for key, value in urllib.parse.parse_qsl(self.raw_query, keep_blank_values=True):
            out.setdefault(key, value)
        return out

    def read_body(self) -> bytes:
        if getattr(self, "_body", None) is not None:
            return self._body
        body = b""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
        self._body = body
        return body

    # -- response side --
    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        if self.server_header:
            self.send_header("Server", self.server_header)

    def reply(self, code: int, body: bytes | str = b"", headers: dict[str, str] | None = None,
              sniff: bool = True) -> None:
        """Write a whole response: explicit headers (sorted, as Go writes them), then Date, Content-Length and
        the sniffed Content-Type."""
        if isinstance(body, str):
            body = body.encode()
        headers = dict(headers or {})
        self.send_response(code)
        for key in sorted(headers):
            self.send_header(key, headers[key])
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Length", str(len(body)))
        if sniff and body and "Content-Type" not in headers:
            self.send_header("Content-Type", sniff_content_type(body))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def http_error(self, code: int, text: str) -> None:
        """Go's http.Error: the text and a newline, plain text, nosniff."""
        self.reply(code, text + "\n", {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"})

    def redirect_to(self, location: str, code: int = 302) -> None:
        """http.Redirect: Location, and for a GET a one-line HTML body naming the status."""
        from http import HTTPStatus
        headers = {"Location": location}
        body = ""
        if self.command in ("GET", "HEAD"):
            headers["Content-Type"] = "text/html; charset=utf-8"
        if self.command == "GET":
            text = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else ""
            body = f'<a href="{location.replace("&", "&amp;").replace(chr(34), "&#34;")}">{text}</a>.\n\n'
        self.reply(code, body, headers)

    def not_found(self) -> None:
        self.http_error(404, "404 page not found")

    def route(self) -> None:  # pragma: no cover - every server overrides it
        self.not_found()

    def _handle(self) -> None:
        serving = getattr(self.server, "serving", None)  # a QuietServer counts the requests it is answering
        with serving() if serving else contextlib.nullcontext():
            self._body = None
            self.route()
            # Drain what the handler did not read, so the next request on a kept-alive connection parses.
            self.read_body()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, fmt: str, *args) -> None:
        pass  # Go's net/http writes no access log; each program logs what it logs


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._answering = 0
        self._idle = threading.Condition()

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        with self._idle:
            self._answering += 1
        try:
            yield
        finally:
            with self._idle:
                self._answering -= 1
                self._idle.notify_all()

    def close_and_finish(self, timeout: float) -> None:
        """A graceful stop's end, as nginx's (SIGQUIT) and httpd's graceful-stop do it: stop listening (a new
        connection is refused), let the requests being answered finish (up to `timeout`); idle kept-alive
        connections do not count. Call it after serve_forever() has returned."""
        self.server_close()
        with self._idle:
            self._idle.wait_for(lambda: self._answering == 0, timeout)

    def handle_error(self, request, client_address) -> None:
        # A client that goes away mid-response is not worth a traceback in `kubectl logs`.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def make_server(handler: type[BaseHTTPRequestHandler], port: int, host: str = "0.0.0.0") -> QuietServer:
    """Bind like Go's `:port`; the server is not yet serving (connections queue in the backlog until it is), so
    the kubelet may count the container started. Exits like log.Fatal if the port is taken."""
    try:
        server = QuietServer((host, port), handler)
    except OSError as exc:
        go_fatal(f"listen tcp {join_host_port(host if host != '0.0.0.0' else '', port)}: bind: "
                 f"{(exc.strerror or str(exc)).lower()}")
    report_started()
    return server

"""The HTTP servers of the web images: what curl shows from httpd, nginx, traefik/whoami, hashicorp/http-echo,
registry.k8s.io/echoserver and Google's hello-app, and what `kubectl logs` shows of them.

Run inside a Pod: `python -m kubenet.kubelet.images.web <flavour> [the image's own flags]`, e.g.
`web whoami --port 8080`, `web http-echo -text=hi -listen=:5678`. httpd and nginx take `--port` (their config
would say `listen 80`). httpd and nginx pages add a line naming the Pod, so a learner can see which replica
answered; everything else matches the real image byte for byte where a client would look.
"""
from __future__ import annotations

import os
import signal
import socket
import struct
import sys
import threading
import time

from kubenet.kubelet.images.go_cli import (
    FlagError,
    canonical_header_key,
    exit_on,
    format_duration,
    go_json,
    go_log,
    hostname,
    parse_duration,
    parse_flags,
)
from kubenet.kubelet.images.go_http import GoHandler, QuietServer, make_server

# --- httpd and nginx --------------------------------------------------------------------------------------
HTTPD_VERSION, NGINX_VERSION = "Apache/2.4.62 (Unix)", "nginx/1.27.3"
HTTPD_INDEX = "<html><body><h1>It works!</h1>\n<p>httpd on {host}</p>\n</body></html>\n"
NGINX_INDEX = ("<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n"
               "<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed "
               "and working.</p>\n<p>nginx on {host}</p>\n</body>\n</html>\n")
HTTPD_ERROR = ('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>{code} {title}</title>\n'
               "</head><body>\n<h1>{title}</h1>\n<p>{text}</p>\n</body></html>\n")
NGINX_ERROR = ("<html>\r\n<head><title>{code} {title}</title></head>\r\n<body>\r\n<center><h1>{code} {title}</h1>"
               "</center>\r\n<hr><center>" + NGINX_VERSION + "</center>\r\n</body>\r\n</html>\r\n")
STARTED = time.time()


def _access_time() -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S %z")


class StaticHandler(GoHandler):
    """httpd or nginx serving the image's default document root: an index page, their own error pages."""

    flavour = "httpd"

    @property
    def server_header(self) -> str:
        return HTTPD_VERSION if self.flavour == "httpd" else NGINX_VERSION

    def route(self) -> None:
        if self.command not in ("GET", "HEAD"):
            self._error(405, "Method Not Allowed" if self.flavour == "httpd" else "Not Allowed",
                        f"The requested method {self.command} is not allowed for this URL.")
        elif self.url_path in ("/", "/index.html"):
            page = HTTPD_INDEX if self.flavour == "httpd" else NGINX_INDEX
            self._page(200, page.format(host=hostname()), "text/html", static=True)
        else:
            self._error(404, "Not Found", "The requested URL was not found on this server.")

    def _error(self, code: int, title: str, text: str) -> None:
        if self.flavour == "httpd":
            body = HTTPD_ERROR.format(code=code, title=title, text=text)
            self._page(code, body, "text/html; charset=iso-8859-1", extra={"Allow": "GET,POST,OPTIONS,HEAD"}
                       if code == 405 else None)
        else:
            self._page(code, NGINX_ERROR.format(code=code, title=title), "text/html")

    def _page(self, code: int, text: str, content_type: str, static: bool = False, extra: dict | None = None) -> None:
        body = text.encode()
        modified = self.date_time_string(STARTED)
        etag = f'"{len(body):x}-{int(STARTED * 1e6):x}"' if self.flavour == "httpd" else \
            f'"{int(STARTED):x}-{len(body):x}"'
        self.log_request(code)
        self.send_response_only(code)
        date, server = ("Date", self.date_time_string()), ("Server", self.server_header)
        if self.flavour == "httpd":  # Apache's order: Date, Server, validators, length, type
            headers = [date, server]
            headers += [("Last-Modified", modified), ("ETag", etag), ("Accept-Ranges", "bytes")] if static else []
            headers += list((extra or {}).items())
            headers += [("Content-Length", str(len(body))), ("Content-Type", content_type)]
        else:
            headers = [server, date, ("Content-Type", content_type), ("Content-Length", str(len(body)))]
            headers += [("Last-Modified", modified), ("Connection", "keep-alive"), ("ETag", etag),
                        ("Accept-Ranges", "bytes")] if static else [("Connection", "keep-alive")]
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self._log_access(code, len(body))

    def _log_access(self, code: int, size: int) -> None:
        # httpd's "common" log format; nginx's "main" (combined + X-Forwarded-For).
        line = f'{self.client_address[0]} - - [{_access_time()}] "{self.requestline}" {code} {size}'
        if self.flavour == "nginx":
            line += (f' "{self.headers.get("Referer", "-")}" "{self.headers.get("User-Agent", "-")}" '
                     f'"{self.headers.get("X-Forwarded-For", "-")}"')
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


DRAIN_SECONDS = 1.0
FINISH_SECONDS = 5.0


def drain_then_stop(server: QuietServer, signals: tuple[int, ...], seconds: float) -> None:
    """On a stop signal keep serving for `seconds` (new connections too), then end serve_forever(); the caller
    then closes and finishes what is in flight (close_and_finish)."""
    def stop(*_):
        timer = threading.Timer(seconds, server.shutdown)
        timer.daemon = True
        timer.start()
    for sig in signals:
        signal.signal(sig, stop)


def run_static(flavour: str, argv: list[str]) -> None:
    flags, _ = parse_flags(argv, {"port": 80})
    StaticHandler.flavour = flavour
    server = make_server(StaticHandler, flags["port"])
    # Graceful stop, as the official images' STOPSIGNALs ask for (httpd SIGWINCH, nginx SIGQUIT): requests that
    # reach the Pod while it leaves its Services' endpoints are still answered, then it stops listening, the
    # requests in flight finish (never cut, even if kube-proxy still routes here) and the server exits 0.
    drain_then_stop(server, (signal.SIGTERM, signal.SIGQUIT, signal.SIGWINCH), DRAIN_SECONDS)
    if flavour == "httpd":
        print(f"AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using "
              f"{hostname()}. Set the 'ServerName' directive globally to suppress this message", flush=True)
    else:
        print("/docker-entrypoint.sh: Configuration complete; ready for start up", flush=True)
    server.serve_forever()
    server.close_and_finish(FINISH_SECONDS)


# --- traefik/whoami ------------------------------------------------------------------------------------------
def interface_addresses() -> list[str]:
    """Every address of every interface, in Go's net.Interfaces()/Addrs() order (by ifindex, IPv4 before IPv6
    within one), read over rtnetlink like Go does, so 127.0.0.1 and ::1 are there too."""
    rtm_getaddr, nlm_f_dump_request, nlmsg_done, nlmsg_error = 22, 0x301, 3, 2
    found: list[tuple[int, int, str]] = []
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.bind((0, 0))
        sock.send(struct.pack("=IHHII", 24, rtm_getaddr, nlm_f_dump_request, 1, 0) + struct.pack("=BBBBI", 0, 0, 0, 0, 0))
        done = False
        while not done:
            data = sock.recv(65536)
            offset = 0
            while offset + 16 <= len(data):
                length, msg_type = struct.unpack_from("=IH", data, offset)
                if length < 16 or msg_type in (nlmsg_done, nlmsg_error):
                    done = True
                    break
                family, _, _, _, index = struct.unpack_from("=BBBBI", data, offset + 16)
                attrs: dict[int, bytes] = {}
                pos = offset + 24
                while pos + 4 <= offset + length:
                    alen, atype = struct.unpack_from("=HH", data, pos)
                    if alen < 4:
                        break
                    attrs.setdefault(atype, data[pos + 4:pos + alen])
                    pos += (alen + 3) & ~3
                # IFA_LOCAL (2) is the interface's own address on point-to-point links; Go prefers it.
                raw = attrs.get(2) or attrs.get(1)
                if raw and family in (socket.AF_INET, socket.AF_INET6):
                    found.append((index, len(found), socket.inet_ntop(family, raw)))
                offset += (length + 3) & ~3
    return [ip for _, _, ip in sorted(found)]


def go_request_dump(handler: GoHandler) -> bytes:
    """What Go's (*http.Request).Write puts on the wire for a received request: request line, Host, User-Agent
    (Go-http-client/1.1 when the client sent none), Content-Length when due, the other headers sorted, body."""
    headers: dict[str, list[str]] = {}
    for key, value in handler.headers.items():
        headers.setdefault(canonical_header_key(key), []).append(value)
    body = handler.read_body()
    lines = [f"{handler.command} {handler.path} HTTP/1.1", f"Host: {handler.headers.get('Host', '')}"]
    user_agent = headers["User-Agent"][0] if "User-Agent" in headers else "Go-http-client/1.1"
    if user_agent:
        lines.append(f"User-Agent: {user_agent}")
    if body or (handler.command in ("POST", "PUT", "PATCH") and "Transfer-Encoding" not in headers):
        lines.append(f"Content-Length: {len(body)}")
    elif "Transfer-Encoding" in headers:
        lines.append("Transfer-Encoding: chunked")
    skip = {"Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer"}
    lines += [f"{k}: {v}" for k in sorted(headers) if k not in skip for v in headers[k]]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class WhoamiHandler(GoHandler):
    name = ""
    verbose = False
    health_status = 200

    def route(self) -> None:
        handler = {"/data": self.data, "/echo": self.echo, "/bench": self.bench, "/api": self.api,
                   "/health": self.health}.get(self.url_path, self.whoami)
        handler()
        if self.verbose:
            go_log(f'{self.remote_addr} - - [{_access_time()}] "{self.command} {self.url_path} '
                   f'{self.request_version}" - -')

    def _maybe_wait(self) -> None:
        try:
            time.sleep(max(0.0, parse_duration(self.query().get("wait", "") or "0")))
        except ValueError:
            pass

    def whoami(self) -> None:
        self._maybe_wait()
        lines = [f"Name: {self.name}"] if self.name else []
        lines.append(f"Hostname: {hostname()}")
        lines += [f"IP: {ip}" for ip in interface_addresses()]
        lines.append(f"RemoteAddr: {self.remote_addr}")
        body = ("\n".join(lines) + "\n").encode() + go_request_dump(self)
        if self.query().get("env", "").lower() in ("1", "t", "true"):
            body += "".join(f"{k}={v}\n" for k, v in os.environ.items()).encode()
        self.reply(200, body)

    def api(self) -> None:
        headers: dict[str, list[str]] = {}
        for key, value in self.headers.items():
            if key.lower() != "host":
                headers.setdefault(canonical_header_key(key), []).append(value)
        data = {"hostname": hostname(), "ip": interface_addresses(), "headers": dict(sorted(headers.items())),
                "url": self.path, "host": self.headers.get("Host", ""), "method": self.command, "name": self.name,
                "remoteAddr": self.remote_addr}
        if self.query().get("env", "").lower() in ("1", "t", "true"):
            data["environ"] = dict(sorted(os.environ.items()))
        data = {k: v for k, v in data.items() if v}  # `json:",omitempty"`
        self.reply(200, go_json(data, sort_keys=False) + "\n", {"Content-Type": "application/json"})

    def health(self) -> None:
        if self.command == "POST":
            try:
                code = int(self.read_body().decode().strip())
            except ValueError as exc:
                self.http_error(400, f"json: cannot unmarshal {exc} into Go value of type int")
                return
            print(f"Update health check status code [{code}]", flush=True)
            WhoamiHandler.health_status = code
            self.reply(200)
        else:
            self.reply(WhoamiHandler.health_status)

    def bench(self) -> None:
        self.reply(200, "1", {"Connection": "keep-alive", "Content-Type": "text/plain"})

    def echo(self) -> None:
        # The websocket echo is not emulated; without an Upgrade this is gorilla/websocket's answer.
        go_log("websocket: the client is not using the websocket protocol: 'upgrade' token not found in "
               "'Connection' header")
        self.http_error(400, "Bad Request")

    def data(self) -> None:
        q = self.query()
        try:
            size = max(0, int(q.get("size", "")))
        except ValueError:
            size = 1
        size *= {"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40}.get(q.get("unit", "").lower(), 1)
        charset = b"-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        self.send_response(200)
        if q.get("attachment", "").lower() in ("1", "t", "true"):
            self.send_header("Content-Disposition", "Attachment")
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Length", str(size))
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        if self.command == "HEAD":
            return
        block = (charset * (65536 // len(charset) + 1))[:65536 - 65536 % len(charset)]
        sent = 0
        while sent < size:
            chunk = bytearray(block[:min(len(block), size - sent)])
            if sent == 0:
                chunk[0:1] = b"|"
            if sent + len(chunk) == size:
                chunk[-1:] = b"|"
            self.wfile.write(chunk)
            sent += len(chunk)


def run_whoami(argv: list[str]) -> None:
    flags, _ = parse_flags(argv, {"verbose": False, "cert": "", "key": "", "cacert": "",
                                  "port": os.environ.get("WHOAMI_PORT_NUMBER", "80"),
                                  "name": os.environ.get("WHOAMI_NAME", "")})
    WhoamiHandler.name, WhoamiHandler.verbose = flags["name"], flags["verbose"]
    server = make_server(WhoamiHandler, int(flags["port"]))
    if flags["cert"] and flags["key"]:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(flags["cert"], flags["key"])
        server.socket = context.wrap_socket(server.socket, server_side=True)
        go_log(f"Starting up with TLS on port {flags['port']}")
    else:
        go_log(f"Starting up on port {flags['port']}")
    server.serve_forever()


# --- hashicorp/http-echo ---------------------------------------------------------------------------------------
HTTP_ECHO_VERSION = "1.0.0"


class HttpEchoHandler(GoHandler):
    text = ""
    status = 200

    def route(self) -> None:
        app = {"X-App-Name": "http-echo", "X-App-Version": HTTP_ECHO_VERSION}
        if self.url_path == "/health":
            self.reply(200, '{"status":"ok"}\n', app)
            return
        start = time.monotonic()
        body = self.text + "\n"
        self.reply(self.status, body, app)
        sys.stdout.write(f'{time.strftime("%Y/%m/%d %H:%M:%S")} {self.headers.get("Host", "")} {self.remote_addr} '
                         f'"{self.command} {self.url_path} {self.request_version}" {self.status} {len(body)} '
                         f'"{self.headers.get("User-Agent", "")}" {format_duration(time.monotonic() - start)}\n')
        sys.stdout.flush()


def run_http_echo(argv: list[str]) -> None:
    flags, rest = parse_flags(argv, {"listen": ":5678", "text": "", "version": False, "status-code": 200})
    if flags["version"]:
        sys.stderr.write(f"http-echo v{HTTP_ECHO_VERSION}\n")
        sys.exit(0)
    text = flags["text"] or os.environ.get("ECHO_TEXT", "")
    if not text:
        sys.stderr.write("Missing -text option OR ENV var TEXT is empty!\n")
        sys.exit(127)
    if rest:
        sys.stderr.write("Too many arguments!\n")
        sys.exit(127)
    HttpEchoHandler.text, HttpEchoHandler.status = text, flags["status-code"]
    host, _, port = flags["listen"].rpartition(":")
    server = make_server(HttpEchoHandler, int(port), host.strip("[]") or "0.0.0.0")

    def interrupted(*_) -> None:
        go_log("[INFO] received interrupt, shutting down...")
        sys.exit(2)  # "If we got this far, it was an interrupt, so don't exit cleanly"
    signal.signal(signal.SIGINT, interrupted)
    go_log(f"[INFO] server is listening on {flags['listen']}")
    server.serve_forever()


# --- registry.k8s.io/echoserver -----------------------------------------------------------------------------
class EchoserverHandler(GoHandler):
    server_header = "echoserver"
    port = 8080

    def route(self) -> None:
        env = os.environ.get
        if env("POD_NAME"):
            pod = (f"\tnode name:\t{env('NODE_NAME') or 'N/A'}\n\tpod name:\t{env('POD_NAME') or 'N/A'}\n"
                   f"\tpod namespace:\t{env('POD_NAMESPACE') or 'N/A'}\n\tpod IP:\t{env('POD_IP') or 'N/A'}\n")
        else:
            pod = "\t-no pod information available-\n"
        headers: dict[str, list[str]] = {}
        for key, value in self.headers.items():
            headers.setdefault(key.lower(), []).append(value)
        header_lines = "".join(f"\t{k}={v[0]}  \n" if len(v) == 1 else "".join(f"\t{k}={x}\n" for x in v)
                               for k, v in sorted(headers.items()))
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower() or "localhost"
        body = self.read_body().decode(errors="replace")
        page = (f"\n\nHostname: {env('HOSTNAME') or 'N/A'}\n\nPod Information:\n{pod}\nServer values:\n"
                f"\tserver_version=nginx: 1.13.3 - lua: 10008\n\nRequest Information:\n"
                f"\tclient_address={self.client_address[0]}\n\tmethod={self.command}\n\treal path={self.path}\n"
                f"\tquery={self.raw_query}\n\trequest_version={self.request_version.split('/')[-1]}\n"
                f"\trequest_scheme=http\n\trequest_uri=http://{host}:{self.port}{self.path}\n\n"
                f"Request Headers:\n{header_lines}\nRequest Body:\n{body or chr(9) + '-no body in request-'}\n\n")
        self.reply(200, page, {"Content-Type": "text/plain", "Connection": "keep-alive"})
        sys.stdout.write(f'{self.client_address[0]} - - [{_access_time()}] "{self.requestline}" 200 '
                         f'{len(page)} "{self.headers.get("Referer", "-")}" "{self.headers.get("User-Agent", "-")}"\n')
        sys.stdout.flush()


def run_echoserver(argv: list[str]) -> None:
    flags, _ = parse_flags(argv, {"port": 8080})
    EchoserverHandler.port = flags["port"]
    server = make_server(EchoserverHandler, flags["port"])
    exit_on((15,), 0)
    server.serve_forever()


# --- hello-app (gcr.io/google-samples/hello-app) ----------------------------------------------------------------
class HelloAppHandler(GoHandler):
    version = "1.0.0"

    def route(self) -> None:
        go_log(f"Serving request: {self.url_path}")
        self.reply(200, f"Hello, world!\nVersion: {self.version}\nHostname: {hostname()}\n")


def run_hello_app(argv: list[str]) -> None:
    flags, _ = parse_flags(argv, {"version": "1.0.0"})  # --version is ours: the image tag decides it
    HelloAppHandler.version = flags["version"]
    port = os.environ.get("PORT") or "8080"
    server = make_server(HelloAppHandler, int(port))
    go_log(f"Server listening on port {port}")
    server.serve_forever()


FLAVOURS = {"httpd": lambda argv: run_static("httpd", argv), "nginx": lambda argv: run_static("nginx", argv),
            "whoami": run_whoami, "http-echo": run_http_echo, "echoserver": run_echoserver,
            "hello-app": run_hello_app}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--flavour"]:  # the older spelling: --flavour NAME [--port N]
        argv = argv[1:]
    if not argv or argv[0] not in FLAVOURS:
        sys.stderr.write(f"usage: web {{{','.join(FLAVOURS)}}} [flags]\n")
        sys.exit(2)
    try:
        FLAVOURS[argv[0]](argv[1:])
    except FlagError as exc:
        sys.stderr.write(f"flag provided but not defined: {exc}\n" if "unknown flag" in str(exc) else f"{exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()

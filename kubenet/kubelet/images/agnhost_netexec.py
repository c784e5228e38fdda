"""agnhost netexec (test/images/agnhost/netexec): the HTTP server with /dial, /shell, /exit, ... and the UDP
server the e2e networking tests talk to. Part of `python -m kubenet.kubelet.images.agnhost netexec`."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

from kubenet.kubelet.images.go_cli import (
    canonical_header_key,
    dial_error,
    format_duration,
    go_fatal,
    go_json,
    go_log,
    hostname,
    join_host_port,
    os_error_text,
    parse_duration,
    resolve,
)
from kubenet.kubelet.images.go_http import GoHandler, make_server

PROCESS_START = time.monotonic()


def go_now() -> str:
    """fmt's %v of time.Now(): `2006-01-02 15:04:05.999999999 -0700 MST m=+0.000000001`."""
    ns = time.time_ns()
    secs, frac = divmod(ns, 1_000_000_000)
    local = time.localtime(secs)
    fraction = f".{frac:09d}".rstrip("0").rstrip(".")
    return (time.strftime("%Y-%m-%d %H:%M:%S", local) + fraction + time.strftime(" %z %Z", local)
            + f" m=+{time.monotonic() - PROCESS_START:.9f}")


# --- netexec --------------------------------------------------------------------------------------------
class NetexecState:
    udp_ready = threading.Event()
    sigterm = threading.Event()
    http_port = 8080
    http_override = ""
    server = None


def _dial_http(request: str, address: tuple[str, int]) -> str:
    import http.client
    host = join_host_port(*address)
    url = f"http://{host}/{request}"
    conn = http.client.HTTPConnection(address[0], address[1], timeout=5)
    try:
        conn.request("GET", "/" + request, headers={"User-Agent": "Go-http-client/1.1",
                                                    "Accept-Encoding": "gzip"})
        return conn.getresponse().read().decode(errors="replace")
    except TimeoutError:
        raise RuntimeError(f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting '
                           "headers)") from None
    except ConnectionRefusedError as exc:
        raise RuntimeError(f'Get "{url}": {dial_error("dial", "tcp", host, exc)}') from None
    except (OSError, http.client.HTTPException) as exc:
        raise RuntimeError(f'Get "{url}": {exc or "EOF"}') from None
    finally:
        conn.close()


def _dial_udp(request: str, address: tuple[str, int]) -> str:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(address)
            local = join_host_port(*sock.getsockname()[:2])
        except OSError as exc:
            raise RuntimeError(f"udp dial failed. err:{dial_error('dial', 'udp', join_host_port(*address), exc)}")
        pair = f"{local}->{join_host_port(*address)}"
        try:
            sock.send(request.encode())
        except OSError as exc:
            raise RuntimeError(f"udp connection write failed. err:write udp {pair}: {os_error_text(exc)}")
        sock.settimeout(5)
        try:
            data = sock.recv(2048)
        except TimeoutError:
            raise RuntimeError(f"reading from udp connection failed. err:'read udp {pair}: i/o timeout'") from None
        except OSError as exc:
            raise RuntimeError(f"reading from udp connection failed. err:'read udp {pair}: read: "
                               f"{os_error_text(exc)}'") from None
        if not data:
            raise RuntimeError("reading from udp connection failed. err:'<nil>'")
        return data.decode(errors="replace")


class NetexecHandler(GoHandler):
    def route(self) -> None:
        if NetexecState.http_override:
            self.command, self.path = "GET", NetexecState.http_override
        handler = {"/": self.root, "/clientip": self.clientip, "/header": self.header, "/dial": self.dial,
                   "/echo": self.echo, "/exit": self.exit, "/healthz": self.healthz, "/readyz": self.readyz,
                   "/hostname": self.hostname, "/hostName": self.hostname, "/redirect": self.redirect,
                   "/shell": self.shell, "/upload": self.upload, "/shutdown": self.shutdown}.get(self.url_path)
        (handler or self.root)()  # Go's ServeMux sends every other path to the "/" handler

    def root(self) -> None:
        go_log("GET /")
        self.reply(200, f"NOW: {go_now()}")

    def clientip(self) -> None:
        go_log("GET /clientip")
        self.reply(200, self.remote_addr)

    def header(self) -> None:
        key = self.query().get("key", "")
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            if name.lower() != "host":
                headers.setdefault(canonical_header_key(name), []).append(value)
        if key:
            go_log(f"GET /header?key={key}")
            values = headers.get(canonical_header_key(key)) or [""]
            self.reply(200, values[0])
        else:
            go_log("GET /header")
            self.reply(200, go_json(headers))

    def echo(self) -> None:
        q = self.query()
        msg, code = q.get("msg", ""), q.get("code", "")
        go_log(f"GET /echo?msg={msg}&code={code}")
        if code:
            try:
                status = int(code)
            except ValueError:
                self.reply(200, f"argument 'code' must be an integer or empty, got \"{code}\"\n")
                return
            self.reply(status, msg)
            return
        self.reply(200, msg)

    def exit(self) -> None:
        q = self.query()
        code_s, timeout_s, wait_s = q.get("code", ""), q.get("timeout", ""), q.get("wait", "")
        go_log(f"GET /exit?code={code_s}&timeout={timeout_s}&wait={wait_s}")
        try:
            timeout = parse_duration(timeout_s) if timeout_s else 0.0
        except ValueError:
            self.reply(200, f"argument 'timeout' must be a valid golang duration or empty, got \"{timeout_s}\"\n")
            return
        try:
            wait = parse_duration(wait_s) if wait_s else 0.0
        except ValueError:
            self.reply(200, f"argument 'wait' must be a valid golang duration or empty, got \"{wait_s}\"\n")
            return
        try:
            code = int(code_s) if code_s else 0
        except ValueError:
            self.reply(200, f"argument 'code' must be an integer [0-127] or empty, got \"{code_s}\"\n")
            return
        go_log(f"Will begin shutdown in {format_duration(wait)}, allowing {format_duration(timeout)} for "
               f"connections to close, then will exit with {code}")
        time.sleep(wait)
        if timeout == 0:
            sys.stderr.flush()
            os._exit(code)  # the real one exits inside the handler: the client sees the connection close

        def shutdown() -> None:
            NetexecState.server.shutdown()
            go_log("Graceful shutdown completed with: <nil>")
            os._exit(code)
        self.reply(200, b"")
        self.close_connection = True
        threading.Thread(target=shutdown, daemon=True).start()

    def healthz(self) -> None:
        go_log("GET /healthz")
        self.reply(200 if NetexecState.udp_ready.is_set() else 412)

    def readyz(self) -> None:
        go_log("GET /readyz")
        if NetexecState.sigterm.is_set():
            self.reply(503, "shutting down")
        elif NetexecState.udp_ready.is_set():
            self.reply(200, "ok")
        else:
            self.reply(412)

    def hostname(self) -> None:
        go_log(f"GET {self.url_path}")
        self.reply(200, hostname())

    def redirect(self) -> None:
        q = self.query()
        location, code_s = q.get("location", ""), q.get("code", "")
        go_log(f"{self.command} /redirect?msg={location}&code={code_s}")
        code = 302
        if code_s:
            try:
                code = int(code_s)
            except ValueError:
                self.reply(200, f"argument 'code' must be an integer or empty, got \"{code_s}\"\n")
                return
        self.redirect_to(location, code)

    def shell(self) -> None:
        q = self.query()
        cmd = q.get("shellCommand") or q.get("cmd", "")
        go_log(f"GET /shell?cmd={cmd}")
        proc = subprocess.run(["/bin/sh", "-c", cmd], check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output: dict[str, str] = {}
        if proc.stdout:
            output["output"] = proc.stdout.decode(errors="replace")
        if proc.returncode > 0:
            output["error"] = f"exit status {proc.returncode}"
        elif proc.returncode < 0:
            output["error"] = f"signal: {signal.Signals(-proc.returncode).name[3:].lower()}"
        go_log(f"Output: map[{' '.join(f'{k}:{v}' for k, v in sorted(output.items()))}]")
        self.reply(200, go_json(output))

    def upload(self) -> None:
        # Multipart uploads are not emulated; this is what the real one answers when no file arrives.
        go_log("GET /upload")
        go_log("Unable to upload file: request Content-Type isn't multipart/form-data")
        self.reply(200, go_json({"error": "Unable to upload file."}))

    def shutdown(self) -> None:
        go_log("GET /shutdown")
        sys.stderr.flush()
        os._exit(0)

    def dial(self) -> None:
        q = self.query()
        host, port, request = q.get("host", ""), q.get("port", ""), q.get("request", "")
        protocol, tries_s = q.get("protocol", ""), q.get("tries", "")
        go_log(f"GET /dial?host={host}&protocol={protocol}&port={port}&request={request}&tries={tries_s}")
        try:
            tries = int(tries_s) if tries_s else 1
        except ValueError:
            self.http_error(400, f'tries parameter is invalid. strconv.Atoi: parsing "{tries_s}": invalid syntax')
            return
        if not request:
            self.http_error(400, "request parameter not specified. <nil>")
            return
        dialer = {"": _dial_http, "http": _dial_http, "udp": _dial_udp}.get(protocol.lower())
        if dialer is None:
            self.http_error(400, f"unsupported protocol. {protocol}")
            return
        try:
            address = resolve(host, port, "udp" if dialer is _dial_udp else "tcp")
        except ValueError as exc:
            self.http_error(400, f"host and/or port param are invalid. {exc}")
            return
        responses, errors, response = [], [], ""
        for _ in range(tries):
            try:
                response = dialer(request, address)
                responses.append(response)
            except RuntimeError as exc:
                response = ""
                errors.append(str(exc))
        output: dict[str, list[str]] = {}
        if response:
            output["responses"] = responses
        if errors:
            output["errors"] = errors
        self.reply(200, go_json(output))


def _udp_server(address: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.bind((address or "0.0.0.0", port))
    except OSError as exc:
        go_fatal(f"Error occurred: failed to create listener for UDP address {join_host_port(address, port)}:"
                 f"listen udp {join_host_port(address, port)}: bind: {os_error_text(exc)}")
    go_log(f"Started UDP server on port {address} {port}")
    NetexecState.udp_ready.set()
    while True:
        data, client = sock.recvfrom(2048)
        client_addr = join_host_port(client[0], client[1])
        text = data.decode(errors="replace").strip().lower()
        if text == "hostname":
            go_log("Sending udp hostName response")
            sock.sendto(hostname().encode(), client)
        elif text.startswith("echo "):
            reply = text.split(" ", 1)[1]
            go_log(f"Echoing {reply} to UDP client {client_addr}")
            sock.sendto(reply.encode(), client)
        elif text == "clientip":
            go_log(f"Sending clientip back to UDP client {client_addr}")
            sock.sendto(client_addr.encode(), client)
        elif text:
            go_log(f"Unknown UDP command received from {client_addr}: {text}")


def _on_sigterm(delay: int) -> None:
    NetexecState.sigterm.set()
    if delay > 0:
        go_log(f"Sleeping {delay} seconds before terminating...")
        threading.Timer(delay, lambda: os._exit(0)).start()
        return
    sys.exit(0)


def run(flags: dict, args: list[str]) -> None:
    signal.signal(signal.SIGTERM, lambda *_: _on_sigterm(flags["delay-shutdown"]))
    NetexecState.http_override = flags["http-override"]
    if flags["udp-port"] != -1:
        addresses = sorted({a for a in flags["udp-listen-addresses"].split(",") if a}) or [""]
        for address in addresses:
            threading.Thread(target=_udp_server, args=(address, flags["udp-port"]), daemon=True).start()
    if flags["sctp-port"] != -1:
        go_log("SCTP is not emulated by kubenet; ignoring --sctp-port")
    NetexecState.http_port = flags["http-port"]
    server = make_server(NetexecHandler, flags["http-port"])
    if flags["tls-cert-file"]:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(flags["tls-cert-file"], flags["tls-private-key-file"] or None)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    NetexecState.server = server
    go_log(f"Started HTTP server on port {flags['http-port']}")
    server.serve_forever()
    threading.Event().wait()  # /exit's graceful shutdown stopped the loop; its thread exits the process

"""The HTTP servers of the web images (httpd, nginx, whoami): each answers with a page naming the image and Pod.

Run inside a Pod: `python -m kubenet.kubelet.images.web --flavour httpd --port 80`.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGES = {
    "httpd": ("Apache/2.4.62 (Unix)",
              "<html><body><h1>It works!</h1>\n<p>httpd on {host}</p>\n</body></html>\n"),
    "nginx": ("nginx/1.27.3",
              "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n"
              "<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed "
              "and working.</p>\n<p>nginx on {host}</p>\n</body>\n</html>\n"),
}


class Handler(BaseHTTPRequestHandler):
    flavour = "httpd"
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return PAGES.get(self.flavour, ("whoami",))[0]

    def _body(self) -> bytes:
        host = socket.gethostname()
        if self.flavour == "whoami":
            lines = [f"Hostname: {host}"]
            try:
                for ip in sorted({a[4][0] for a in socket.getaddrinfo(host, None, socket.AF_INET)}):
                    lines.append(f"IP: {ip}")
            except OSError:
                pass
            lines.append(f"RemoteAddr: {self.client_address[0]}:{self.client_address[1]}")
            lines.append(f"{self.command} {self.path} {self.request_version}")
            lines += [f"{k}: {v}" for k, v in self.headers.items()]
            return ("\n".join(lines) + "\n").encode()
        if self.path not in ("/", "/index.html"):
            return b""
        return PAGES[self.flavour][1].format(host=host).encode()

    def _reply(self, head_only: bool) -> None:
        body = self._body()
        if not body:
            body = b"<html><body><h1>404 Not Found</h1></body></html>\n"
            self.send_response(404)
        else:
            self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8" if self.flavour == "whoami" else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._reply(False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._reply(True)

    def log_message(self, fmt: str, *args) -> None:
        # An access log line on stdout, like the images' default logging (kubectl logs shows it).
        sys.stdout.write(f'{self.client_address[0]} - - [{self.log_date_time_string()}] "{self.requestline}" '
                         f"{args[1] if len(args) > 1 else '-'} -\n")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flavour", default="httpd", choices=["httpd", "nginx", "whoami"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("WHOAMI_PORT_NUMBER", "80")))
    args = parser.parse_args()
    Handler.flavour = args.flavour
    server = ThreadingHTTPServer(("0.0.0.0", args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.flavour == "httpd":
        print(f"AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using "
              f"{socket.gethostname()}. Set the 'ServerName' directive globally to suppress this message", flush=True)
    elif args.flavour == "nginx":
        print("/docker-entrypoint.sh: Configuration complete; ready for start up", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

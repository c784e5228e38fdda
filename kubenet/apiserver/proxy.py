"""The services/<name>[:<port>]/proxy[/path] and pods/<name>[:<port>]/proxy[/path] subresources: HTTP from the API
server to a Pod IP or to a ready endpoint of a Service, every method, path and query passed on, the answer
streamed back (what `kubectl cluster-info` links to and `kubectl proxy` users browse).

Where to go follows the REST storage (pkg/registry/core/service/storage ResourceLocation, pkg/registry/core/pod
ResourceLocation); how, the apimachinery proxy (util/proxy upgradeaware.go, transport.go): a GET of the bare
.../proxy is redirected to .../proxy/, X-Forwarded-* headers are added, a redirect from the backend and the links
in an HTML page are rewritten under the proxy prefix (proxy_html.py), and a backend that cannot be reached is a 503
in plain text; a WebSocket is relayed (proxy_ws.py). The API server runs where the host routes reach every Pod IP.
"""
from __future__ import annotations

import ipaddress
import random
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from aiohttp import web

from kubenet.api import errors
from kubenet.api.kinds import by_resource
from kubenet.apiserver import proxy_html, proxy_ws

PODS, SERVICES, ENDPOINTS = by_resource("", "pods"), by_resource("", "services"), by_resource("", "endpoints")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
              "transfer-encoding", "upgrade"}
# The API server consumed these (authentication and impersonation filters delete them); the backend never sees them.
CONSUMED = {"authorization", "impersonate-user", "impersonate-group", "host", "content-length"}
CONNECT_TIMEOUT = 30.0  # the proxy transport's dial timeout
_VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def verb(method: str) -> str:
    return _VERBS.get(method, method.lower())


def split_scheme_name_port(id_: str) -> tuple[str, str, str] | None:
    """utilnet.SplitSchemeNamePort: "name", "name:port" or "scheme:name:port" (scheme http or https)."""
    parts = id_.split(":")
    if len(parts) == 1:
        scheme, name, port = "", parts[0], ""
    elif len(parts) == 2:
        scheme, name, port = "", parts[0], parts[1]
    elif len(parts) == 3:
        scheme, name, port = parts
    else:
        return None
    if not name or scheme not in ("", "http", "https"):
        return None
    return scheme, name, port


def _unavailable(message: str) -> errors.APIError:
    return errors.APIError(503, "ServiceUnavailable", message)


def _global_unicast(ip: str) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return not (addr.is_loopback or addr.is_multicast or addr.is_unspecified or addr.is_link_local
                or str(addr) == "255.255.255.255")


def pod_location(registry, namespace: str, id_: str) -> tuple[str, str]:
    """(scheme, host[:port]) of a Pod: the port given, else the first container port declared, else none."""
    parsed = split_scheme_name_port(id_)
    if parsed is None:
        raise errors.bad_request(f'invalid pod request "{id_}"')
    scheme, name, port = parsed
    pod = registry.get(PODS, namespace, name)
    if not port:
        port = next((str(c["ports"][0]["containerPort"]) for c in pod["spec"].get("containers") or []
                     if c.get("ports")), "")
    ip = (pod.get("status") or {}).get("podIP") or ""
    if not _global_unicast(ip):
        raise errors.bad_request("address not allowed")
    return scheme, f"{ip}:{port}" if port else ip


def service_location(registry, namespace: str, id_: str) -> tuple[str, str]:
    """(scheme, ip:port) of a random ready endpoint of the Service's port (by name; a number names a port)."""
    parsed = split_scheme_name_port(id_)
    if parsed is None:
        raise errors.bad_request(f'invalid service request "{id_}"')
    scheme, name, port = parsed
    if port.isdigit():
        svc = registry.get(SERVICES, namespace, name)
        named = next((p.get("name", "") for p in svc["spec"].get("ports") or [] if p.get("port") == int(port)), None)
        if named is None:
            raise _unavailable(f'no service port {int(port)} found for service "{name}"')
        port = named
    endpoints = registry.get(ENDPOINTS, namespace, name)
    subsets = endpoints.get("subsets") or []
    if not subsets:
        raise _unavailable(f'no endpoints available for service "{name}"')
    start = random.randrange(len(subsets))
    for n in range(len(subsets)):
        subset = subsets[(start + n) % len(subsets)]
        addresses = subset.get("addresses") or []
        for ep_port in subset.get("ports") or []:
            if ep_port.get("name", "") != port or not addresses:
                continue
            first = random.randrange(len(addresses))
            for k in range(len(addresses)):
                address = addresses[(first + k) % len(addresses)]
                if _valid_address(registry, namespace, address):
                    return scheme, f"{address['ip']}:{ep_port['port']}"
    raise _unavailable(f'no endpoints available for service "{id_}"')


def _valid_address(registry, namespace: str, address: dict) -> bool:
    """isValidAddress: the address is a Pod of this namespace that still has that IP."""
    ref = address.get("targetRef") or {}
    if ref.get("kind") != "Pod" or ref.get("namespace") != namespace:
        return False
    try:
        pod = registry.get(PODS, namespace, ref.get("name", ""))
    except errors.APIError:
        return False
    status = pod.get("status") or {}
    ips = {p.get("ip") for p in status.get("podIPs") or []} | {status.get("podIP")}
    return address.get("ip") in ips


def _go_dial_error(host: str, exc: BaseException) -> str:
    """The error text Go's dialer gives, which the real proxy puts in its 503."""
    if isinstance(exc, ConnectionRefusedError) or "refused" in str(exc).lower():
        why = "connect: connection refused"
    elif isinstance(exc, TimeoutError):
        why = "i/o timeout"
    elif "unreachable" in str(exc).lower() or "no route" in str(exc).lower():
        why = "connect: no route to host"
    else:
        why = str(exc) or type(exc).__name__
    return f"dial tcp {host}: {why}"


class Proxy:
    """One client session for every proxied request of an API server (connections to backends are reused)."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # The API server's proxy transport does not verify backends' certificates (InsecureSkipVerify).
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=False, limit=256), auto_decompress=False,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def serve(self, registry, request: web.Request) -> web.StreamResponse:
        m = request.match_info
        namespace, resource, id_ = m["namespace"], m["resource"], m["name"]
        prefix, path = _split_raw_path(request)
        if not path and request.method in ("GET", "HEAD"):
            # proxyRedirectsforRootPath: .../proxy → .../proxy/ (kubernetes issue 4958)
            query = f"?{request.query_string}" if request.query_string else ""
            return web.Response(status=301, headers={"Location": prefix + "/" + query})
        locate = service_location if resource == "services" else pod_location
        scheme, host = locate(registry, namespace, id_)
        url = urlunsplit((scheme or "http", host, path or "/", request.query_string, ""))
        return await self._forward(request, url, host, prefix)

    async def _forward(self, request: web.Request, url: str, host: str, prefix: str) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP | CONSUMED}
        peer = request.remote or ""
        forwarded_for = request.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{forwarded_for}, {peer}" if forwarded_for else peer
        headers["X-Forwarded-Uri"] = prefix + (urlsplit(url).path or "/")
        headers["X-Forwarded-Host"] = request.host
        headers["X-Forwarded-Proto"] = "https" if request.secure else "http"
        body = await request.read() if request.body_exists else None  # sent with its length: not every backend
        # reads a chunked request
        try:
            if proxy_ws.is_websocket(request):
                return await proxy_ws.relay(self.session(), request, url, headers)
            upstream = await self.session().request(request.method, url, headers=headers, data=body,
                                                    allow_redirects=False)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            cause = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
            return web.Response(status=503, text=f"Error trying to reach service: '{_go_dial_error(host, cause)}'",
                                headers={"X-Content-Type-Options": "nosniff"}, charset="utf-8")
        async with upstream:
            reply = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for k, v in upstream.headers.items():
                if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                    reply.headers.add(k, v)

            def rewrite(url: str) -> str:
                return proxy_html.rewrite_url(url, host, request.host, prefix)
            page = None
            if "Location" in upstream.headers:
                reply.headers["Location"] = rewrite(upstream.headers["Location"])
            elif upstream.content_type == "text/html" and request.method != "HEAD":
                # Links in a page are rewritten to stay under the proxy (which needs the whole page).
                body = await upstream.read()
                page = proxy_html.rewrite_body(body, upstream.headers.get("Content-Encoding", ""), rewrite)
                if page is None:
                    page = body  # an encoding the rewriter does not read: passed on as it is
            if page is not None:
                reply.content_length = len(page)
            elif upstream.content_length is not None:
                reply.content_length = upstream.content_length
            await reply.prepare(request)
            if page is not None:
                await reply.write(page)
            elif request.method != "HEAD":
                async for chunk in upstream.content.iter_any():
                    await reply.write(chunk)
            await reply.write_eof()
            return reply


def _split_raw_path(request: web.Request) -> tuple[str, str]:
    """The proxy prefix (.../proxy) and the still-escaped path after it, as the backend is to see it."""
    segments = request.raw_path.split("?", 1)[0].split("/")
    # ['', 'api', 'v1', 'namespaces', NS, RESOURCE, NAME, 'proxy', ...rest]
    prefix = "/".join(segments[:8])
    rest = segments[8:]
    return prefix, ("/" + "/".join(rest)) if rest else ""

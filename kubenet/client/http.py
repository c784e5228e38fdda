"""HTTPS client for the API server, configured from a kubeconfig (client cert or bearer token)."""
from __future__ import annotations

import base64
import json
import ssl
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import yaml

from kubenet.api.errors import APIError
from kubenet.client.base import Client, delete_options, resolve
from kubenet.client.local import PATCH_TYPES


def _material(entry: dict, key: str, tmpdir: Path) -> str | None:
    if entry.get(f"{key}-data"):
        path = tmpdir / key
        path.write_bytes(base64.b64decode(entry[f"{key}-data"]))
        return str(path)
    return entry.get(key)


def ssl_from_kubeconfig(path: str) -> tuple[str, ssl.SSLContext | None, dict]:
    """(server URL, SSL context, extra headers) for the kubeconfig's current context."""
    config = yaml.safe_load(Path(path).read_text())
    ctx_name = config.get("current-context")
    context = next(c["context"] for c in config["contexts"] if c["name"] == ctx_name)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next((u["user"] for u in config.get("users") or [] if u["name"] == context.get("user")), {})
    server = cluster["server"].rstrip("/")
    headers = {}
    if not server.startswith("https"):
        return server, None, headers
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        ca = _material(cluster, "certificate-authority", tmpdir)
        ctx = ssl.create_default_context(cafile=ca)
        cert, key = _material(user, "client-certificate", tmpdir), _material(user, "client-key", tmpdir)
        if cert and key:
            ctx.load_cert_chain(cert, key)
    if user.get("token"):
        headers["Authorization"] = f"Bearer {user['token']}"
    elif user.get("tokenFile"):
        headers["Authorization"] = f"Bearer {Path(user['tokenFile']).read_text().strip()}"
    return server, ctx, headers


class HTTPClient(Client):
    def __init__(self, kubeconfig: str, user_agent: str = "kubenet"):
        self.server, self.ssl, headers = ssl_from_kubeconfig(kubeconfig)
        self.headers = {"User-Agent": user_agent, "Accept": "application/json", **headers}
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self.ssl if self.ssl is not None else False, limit=64)
            self._session = aiohttp.ClientSession(connector=connector, headers=self.headers,
                                                  timeout=aiohttp.ClientTimeout(total=None, sock_connect=5))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _path(self, resource: str, namespace: str | None, name: str | None = None,
              subresource: str | None = None) -> str:
        kind = resolve(resource)
        base = f"/apis/{kind.group}/{kind.version}" if kind.group else "/api/v1"
        if kind.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{kind.plural}"
        if name:
            base += f"/{name}"
        if subresource:
            base += f"/{subresource}"
        return self.server + base

    async def _request(self, method: str, url: str, params: dict | None = None, body=None,
                       content_type: str = "application/json") -> dict:
        data = None if body is None else (body if isinstance(body, (bytes, str)) else json.dumps(body))
        headers = {"Content-Type": content_type} if data is not None else {}
        params = {k: str(v) for k, v in (params or {}).items() if v is not None}
        async with self.session.request(method, url, params=params, data=data, headers=headers) as resp:
            payload = await resp.read()
            try:
                obj = json.loads(payload) if payload else {}
            except ValueError:
                obj = {"message": payload.decode(errors="replace")}
            if resp.status >= 400:
                if obj.get("kind") == "Status":
                    raise APIError.from_status(obj)
                raise APIError(resp.status, "", obj.get("message", f"HTTP {resp.status}"))
            return obj

    async def get(self, resource, name, namespace=None, subresource=None):
        return await self._request("GET", self._path(resource, namespace, name, subresource))

    async def list(self, resource, namespace=None, label_selector=None, field_selector=None):
        out = await self._request("GET", self._path(resource, namespace),
                                  {"labelSelector": label_selector, "fieldSelector": field_selector})
        return out.get("items") or [], out["metadata"]["resourceVersion"]

    async def create(self, resource, obj, namespace=None, subresource=None, name=None):
        namespace = namespace or obj.get("metadata", {}).get("namespace")
        return await self._request("POST", self._path(resource, namespace, name, subresource), body=obj)

    async def update(self, resource, obj, namespace=None, subresource=None):
        namespace = namespace or obj["metadata"].get("namespace")
        return await self._request("PUT", self._path(resource, namespace, obj["metadata"]["name"], subresource),
                                   body=obj)

    async def patch(self, resource, name, patch, namespace=None, patch_type="merge", subresource=None):
        return await self._request("PATCH", self._path(resource, namespace, name, subresource), body=patch,
                                   content_type=PATCH_TYPES[patch_type])

    async def delete(self, resource, name, namespace=None, propagation_policy=None, grace_period_seconds=None,
                     preconditions=None):
        body = {"kind": "DeleteOptions", "apiVersion": "v1",
                **delete_options(propagation_policy, grace_period_seconds, preconditions)}
        return await self._request("DELETE", self._path(resource, namespace, name), body=body)

    async def watch(self, resource, namespace=None, resource_version="0", label_selector=None, field_selector=None,
                    timeout_seconds=None) -> AsyncIterator[tuple[str, dict]]:
        params = {"watch": "true", "resourceVersion": resource_version, "allowWatchBookmarks": "true",
                  "labelSelector": label_selector, "fieldSelector": field_selector,
                  "timeoutSeconds": timeout_seconds}
        params = {k: str(v) for k, v in params.items() if v is not None}
        async with self.session.get(self._path(resource, namespace), params=params) as resp:
            if resp.status >= 400:
                obj = json.loads(await resp.read() or b"{}")
                raise APIError.from_status(obj) if obj.get("kind") == "Status" else APIError(resp.status, "", "")
            async for line in resp.content:
                if not line.strip():
                    continue
                event = json.loads(line)
                if event["type"] == "ERROR":
                    raise APIError.from_status(event["object"])
                yield event["type"], event["object"]

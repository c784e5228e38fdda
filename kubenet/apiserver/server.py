"""The HTTPS API server: Kubernetes REST over the registry, with discovery, OpenAPI, Tables and watch streams."""
from __future__ import annotations

import asyncio
import json
import logging
import ssl

from aiohttp import web

from kubenet.api import errors
from kubenet.api.kinds import REVIEWS, Kind
from kubenet.api.validation_field import go_quote
from kubenet.apiserver import discovery, http_layer, proxy, reviews, sa_tokens, subresources
from kubenet.apiserver.http_layer import StatusAppRunner
from kubenet.apiserver.list_options import check_list_options
from kubenet.apiserver.pki import PKI, read_tokens
from kubenet.apiserver.rbac import Attributes, RBACAuthorizer, forbidden
from kubenet.apiserver.registry import Registry
from kubenet.apiserver.request import (
    Target,
    body_object,
    delete_options,
    negotiate_output,
    parse_target,
    resource_attributes,
    wants_table,
)
from kubenet.apiserver.request_body import BIG_YAML, check_kind, check_options, query_int, read_object
from kubenet.apiserver.token_request import TOKEN_REQUEST, TokenIssuer
from kubenet.apiserver.watch_stream import serve_watch

log = logging.getLogger(__name__)
MAX_BODY = 3 * 1024 * 1024
ANONYMOUS_PATHS = ("/version", "/healthz", "/livez", "/readyz")
USER = web.RequestKey("user", dict)  # who made the request: {"username", "groups"} (None: unauthenticated)


class APIServer:
    def __init__(self, registry: Registry, pki: PKI | None = None, server_address: str = "127.0.0.1:6443",
                 node_agents: dict | None = None):
        self.registry = registry
        self.pki = pki
        self.server_address = server_address
        self.node_agents = node_agents if node_agents is not None else {}  # node name → NodeAgent (api/node_agent.py)
        self.tokens = read_tokens(pki) if pki else {}
        sa_key = sa_tokens.ensure_key(pki.dir) if pki else None
        self.sa_public_key = sa_key.public_key() if sa_key else None
        self.token_issuer = TokenIssuer(sa_key) if sa_key else None  # serviceaccounts/<name>/token
        # Without PKI (an insecure test server) nobody is authenticated, and nothing is authorized: AlwaysAllow.
        self.authorizer = RBACAuthorizer(registry) if pki else None
        self.ready_checks: dict[str, callable] = {}
        self.proxier = proxy.Proxy()
        self._runners: list[web.AppRunner] = []

    # --- lifecycle ------------------------------------------------------------------------------------
    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.pki.server_cert, self.pki.server_key)
        ctx.load_verify_locations(self.pki.ca_cert)
        ctx.verify_mode = ssl.CERT_OPTIONAL  # a client cert or a bearer token
        return ctx

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, middlewares=[self._middleware])
        app.router.add_get("/version", self.version)
        for path in ("/healthz", "/livez", "/readyz"):
            app.router.add_get(path, self.health)
            app.router.add_get(path + "/{check}", self.health)
        app.router.add_get("/api", self.api)
        app.router.add_get("/apis", self.apis)
        app.router.add_get("/openapi/v2", self.openapi_v2)
        app.router.add_get("/openapi/v3", self.openapi_v3_index)
        app.router.add_get("/openapi/v3/{path:.+}", self.openapi_v3)
        for suffix in ("", "/{path:.*}"):  # pods/<name>[:<port>]/proxy and services/...: before the generic routes
            app.router.add_route("*", "/api/v1/namespaces/{namespace}/{resource:pods|services}/{name}/proxy" + suffix,
                                 self.proxy_subresource)
        app.router.add_route("*", "/api/v1", self.resources)
        app.router.add_route("*", "/api/v1/{rest:.*}", self.resources)
        app.router.add_get("/apis/{group}", self.group)
        app.router.add_route("*", "/apis/{group}/{version}", self.resources)
        app.router.add_route("*", "/apis/{group}/{version}/{rest:.*}", self.resources)
        return app

    async def start(self, hosts: list[str], port: int, tls: bool = True) -> None:
        runner = StatusAppRunner(self.app(), access_log=None, handle_signals=False, shutdown_timeout=2.0,
                                 **http_layer.handler_args())
        await runner.setup()
        ctx = self.ssl_context() if tls and self.pki else None
        for host in hosts:
            site = web.TCPSite(runner, host, port, ssl_context=ctx, reuse_address=True, backlog=1024)
            await site.start()
        self._runners.append(runner)

    async def stop(self) -> None:
        await self.proxier.close()
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    # --- middleware: authentication, impersonation, authorization and errors -----------------------------
    def _authenticate(self, request: web.Request) -> dict | None:
        """The requesting user ({username, groups}), from a bearer token or the client certificate."""
        if self.pki is None:
            return {"username": "system:anonymous", "groups": ["system:unauthenticated"]}
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[7:].strip()
            if token in self.tokens:
                user, groups = self.tokens[token]
                return {"username": user, "groups": [*groups, "system:authenticated"]}
            sa_user = sa_tokens.verify(self.sa_public_key, token)
            if sa_user is not None:
                namespace = sa_user.split(":")[2]
                return {"username": sa_user, "groups": ["system:serviceaccounts",
                                                        f"system:serviceaccounts:{namespace}",
                                                        "system:authenticated"]}
        transport = request.transport
        cert = transport.get_extra_info("peercert") if transport else None
        if not cert:
            return None
        subject = [attr for rdn in cert.get("subject", ()) for attr in rdn]
        return {"username": next((v for k, v in subject if k == "commonName"), ""),
                "groups": [v for k, v in subject if k == "organizationName"] + ["system:authenticated"]}

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        try:
            request[USER] = self._authenticate(request)
            if request.path.startswith(ANONYMOUS_PATHS):
                return await handler(request)  # readable by anyone, as system:public-info-viewer allows
            if request[USER] is None:
                raise errors.APIError(401, "Unauthorized", "Unauthorized")
            if "Impersonate-User" in request.headers or "Impersonate-Group" in request.headers:
                request[USER] = self._impersonate(request, request[USER])
            if request.match_info.handler not in (self.resources, self.proxy_subresource):  # authorized once parsed
                self._authorize(request, Attributes(verb=_NON_RESOURCE_VERBS.get(request.method, "get"),
                                                    path=request.path))
            return await handler(request)
        except errors.APIError as exc:
            return status_response(exc)
        except web.HTTPRequestEntityTooLarge:
            return status_response(errors.too_large())
        except web.RequestPayloadError as exc:  # a body that does not read (Content-Encoding that lies): the client's
            cause = exc.__cause__
            text = getattr(cause, "message", "") or str(cause or exc)
            return status_response(errors.bad_request(f"error reading the request body: {text.strip()}"))
        except web.HTTPException as exc:
            if exc.status == 404:
                return status_response(errors.resource_not_found())
            if exc.status == 405:
                return status_response(errors.method_not_allowed())
            raise
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception as exc:  # no input may crash the server: log it, answer 500
            log.exception("%s %s failed", request.method, request.path_qs)
            return status_response(errors.internal(str(exc)))

    def _authorize(self, request: web.Request, attrs: Attributes) -> None:
        if self.authorizer is None:
            return
        allowed, _ = self.authorizer.authorize(request[USER], attrs)
        if not allowed:
            raise forbidden(request[USER], attrs)

    def _impersonate(self, request: web.Request, user: dict) -> dict:
        """Act as another user (Impersonate-User / Impersonate-Group headers), if allowed to `impersonate` them
        (apiserver pkg/endpoints/filters/impersonation.go)."""
        name = request.headers.get("Impersonate-User", "")
        groups = request.headers.getall("Impersonate-Group", [])
        if not name:
            raise errors.bad_request("requested impersonation of groups without impersonating a user")
        sa = name.split(":")
        if len(sa) == 4 and name.startswith("system:serviceaccount:"):
            wanted = [Attributes(verb="impersonate", resource="serviceaccounts", namespace=sa[2], name=sa[3])]
            default_groups = ["system:serviceaccounts", f"system:serviceaccounts:{sa[2]}"]
        else:
            wanted = [Attributes(verb="impersonate", resource="users", name=name)]
            default_groups = []
        wanted += [Attributes(verb="impersonate", resource="groups", name=g) for g in groups]
        if self.authorizer is not None:
            for attrs in wanted:
                if not self.authorizer.authorize(user, attrs)[0]:
                    raise forbidden(user, attrs)
        groups = groups or default_groups
        extra = "system:unauthenticated" if name == "system:anonymous" else "system:authenticated"
        return {"username": name, "groups": groups if extra in groups else [*groups, extra]}

    # --- non-resource endpoints -----------------------------------------------------------------------
    async def version(self, request: web.Request) -> web.Response:
        return json_response(discovery.version())

    async def health(self, request: web.Request) -> web.Response:
        checks = {"ping": lambda: True, "etcd": lambda: True, **self.ready_checks}
        wanted = request.match_info.get("check")
        results = {name: bool(fn()) for name, fn in checks.items() if wanted in (None, name)}
        if wanted and not results:
            raise errors.resource_not_found()
        ok = all(results.values())
        if "verbose" in request.query:
            lines = [f"[{'+' if v else '-'}]{k} {'ok' if v else 'failed'}" for k, v in results.items()]
            name = request.path.strip("/").split("/")[0]
            lines.append(f"{name} check {'passed' if ok else 'failed'}")
            return web.Response(text="\n".join(lines) + "\n", status=200 if ok else 500)
        return web.Response(text="ok" if ok else "failed", status=200 if ok else 500)

    async def api(self, request: web.Request) -> web.Response:
        return json_response(discovery.api_versions(self.server_address))

    async def apis(self, request: web.Request) -> web.Response:
        return json_response(discovery.api_group_list())

    async def group(self, request: web.Request) -> web.Response:
        doc = discovery.api_group(request.match_info["group"])
        if doc is None:
            raise errors.resource_not_found()
        return json_response(doc)

    async def openapi_v2(self, request: web.Request) -> web.Response:
        from kubenet.apiserver import openapi
        accept = request.headers.get("Accept", "")
        if "protobuf" in accept.split(",")[0]:
            return web.Response(body=openapi.v2_protobuf(), content_type="application/octet-stream")
        return web.Response(body=await asyncio.to_thread(openapi.v2), content_type="application/json")

    async def openapi_v3_index(self, request: web.Request) -> web.Response:
        from kubenet.apiserver import openapi
        return json_response(await asyncio.to_thread(openapi.v3_index))

    async def openapi_v3(self, request: web.Request) -> web.Response:
        from kubenet.apiserver import openapi
        body = await asyncio.to_thread(openapi.v3, request.match_info["path"])
        if body is None:
            raise errors.resource_not_found()
        return web.Response(body=body, content_type="application/json")

    # --- resources --------------------------------------------------------------------------------------
    async def resources(self, request: web.Request) -> web.StreamResponse:
        target = parse_target(request)
        if target.kind is None:  # a group-version discovery document
            self._authorize(request, Attributes(verb=_NON_RESOURCE_VERBS.get(request.method, "get"),
                                                path=request.path))
            if request.method != "GET":
                raise errors.method_not_allowed()
            doc = discovery.resource_list(target.group_version)
            if doc is None:
                raise errors.resource_not_found()
            return json_response(doc)
        self._authorize(request, resource_attributes(request, target))
        if target.subresource not in ("exec", "attach", "portforward"):  # upgrades: no body to negotiate
            negotiate_output(request)
        if target.subresource in ("log", "exec", "attach", "portforward"):
            from kubenet.apiserver import streams
            return await streams.handle(self, request, target)
        method = request.method
        verb = _VERBS.get((method, bool(target.name)), "")
        if not target.subresource and verb not in target.kind.verbs and not (verb == "list" and "watch" in
                                                                           target.kind.verbs):
            raise errors.method_not_allowed()
        if target.kind.kind in REVIEWS:
            return json_response(reviews.answer(target.kind, await body_object(request, target.kind), request[USER],
                                                self.authorizer), 201)
        if method == "GET":
            return await self._get(request, target)
        if method == "POST":
            return await self._post(request, target)
        if method == "PUT":
            return await self._put(request, target)
        if method == "PATCH":
            return await self._patch(request, target)
        if method == "DELETE":
            return await self._delete(request, target)
        raise errors.method_not_allowed()

    async def _get(self, request: web.Request, t: Target) -> web.StreamResponse:
        q = request.query
        watching = t.watch or q.get("watch") in ("true", "1")
        if watching or not t.name:
            check_list_options(q, watching)
        if watching:
            if t.name:  # watch of one object: a list watch with a name field selector
                fs = f"metadata.name={t.name}" + (f",{q['fieldSelector']}" if q.get("fieldSelector") else "")
            else:
                fs = q.get("fieldSelector")
            return await serve_watch(self, request, t.kind, t.namespace, q.get("labelSelector"), fs)
        if t.name:
            if t.subresource == "scale":
                return json_response(subresources.get_scale(self.registry, t.kind, t.namespace, t.name))
            obj = self.registry.get(t.kind, t.namespace, t.name)
            return self._respond(request, t.kind, obj, [obj])
        limit = max(query_int(request, "limit") or 0, 0)  # ListOptions.Limit: an int64; ≤ 0 is no limit
        listed = self.registry.list(t.kind, t.namespace, q.get("labelSelector"), q.get("fieldSelector"), limit,
                                    q.get("continue"))
        return self._respond(request, t.kind, listed, listed["items"])

    async def proxy_subresource(self, request: web.Request) -> web.StreamResponse:
        """services/<name>[:<port>]/proxy[/path], pods/...: authorized as the proxy subresource of that name."""
        m = request.match_info
        kind = proxy.PODS if m["resource"] == "pods" else proxy.SERVICES
        self._authorize(request, Attributes(verb=proxy.verb(request.method), resource=kind.plural,
                                            subresource="proxy", namespace=m["namespace"], name=m["name"]))
        return await self.proxier.serve(self.registry, request)

    def _respond(self, request: web.Request, kind: Kind, obj: dict, items: list[dict], status: int = 200):
        if wants_table(request):
            from kubenet.api import tables
            table = tables.table(kind, items, include_object=request.query.get("includeObject") or "Metadata")
            if obj.get("kind", "").endswith("List"):
                table["metadata"] = dict(obj["metadata"])
            else:
                table["metadata"] = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            return json_response(table, status)
        return json_response(obj, status)

    def _write_args(self, request: web.Request) -> dict:
        """dryRun and the field manager of a write whose options check_options has validated."""
        q = request.query
        return {"dry_run": bool(q.getall("dryRun", [])),
                "field_manager": q.get("fieldManager") or _default_manager(request)}

    async def _post(self, request: web.Request, t: Target) -> web.Response:
        obj, warnings = await read_object(request, t.kind, "CreateOptions")
        args = self._write_args(request)
        if t.subresource == "binding" or (t.kind.plural == "bindings"):
            name = t.name or obj.get("metadata", {}).get("name")
            return json_response(subresources.bind_pod(self.registry, t.namespace, name, obj), 201)
        if t.subresource == "token" and t.kind.plural == "serviceaccounts":
            return await self._token_request(request, t)
        if t.subresource == "eviction":
            opts = obj.get("deleteOptions") or {}
            self.registry.delete(t.kind, t.namespace, t.name, opts, args["dry_run"])
            return json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                  "code": 201}, 201)
        if t.name or t.subresource:
            raise errors.method_not_allowed()
        created = self.registry.create(t.kind, t.namespace, obj, **args)
        return self._with_warnings(self._respond(request, t.kind, created, [created], 201), warnings)

    async def _token_request(self, request: web.Request, t: Target) -> web.Response:
        body, warnings = await read_object(request, TOKEN_REQUEST, "CreateOptions")
        if self.token_issuer is None:  # an insecure test server has no signing key
            raise errors.method_not_allowed()
        answer = self.token_issuer.create(self.registry, t.namespace, t.name, body)
        return self._with_warnings(json_response(answer, 201), warnings)

    async def _put(self, request: web.Request, t: Target) -> web.Response:
        if not t.name:
            raise errors.method_not_allowed()
        obj, warnings = await read_object(request, SCALE if t.subresource == "scale" else t.kind, "UpdateOptions")
        args = self._write_args(request)
        if t.subresource == "scale":
            check_kind(SCALE, obj)
            return json_response(subresources.update_scale(self.registry, t.kind, t.namespace, t.name, obj,
                                                           args["dry_run"]))
        if t.subresource == "finalize":
            current = self.registry.get(t.kind, t.namespace, t.name)
            current["spec"]["finalizers"] = (obj.get("spec") or {}).get("finalizers") or []
            return json_response(self.registry.update(t.kind, t.namespace, t.name, current, **args))
        if t.subresource not in (None, "status"):
            raise errors.method_not_allowed()
        updated = self.registry.update(t.kind, t.namespace, t.name, obj, t.subresource, **args)
        return self._with_warnings(self._respond(request, t.kind, updated, [updated]), warnings)

    async def _patch(self, request: web.Request, t: Target) -> web.Response:
        if not t.name:
            raise errors.method_not_allowed()
        if t.subresource not in (None, "status", "scale"):
            raise errors.method_not_allowed()
        content_type = subresources.patch_media_type(request.headers.get("Content-Type", ""))
        body = await request.read()
        check_options(request, "PatchOptions", content_type)
        args = self._write_args(request)
        force = request.query.get("force") in ("true", "1")
        decoded = None
        if content_type == subresources.APPLY and len(body) > BIG_YAML:
            decoded = await asyncio.to_thread(subresources.decode_patch, body, content_type)
        patched, warnings = subresources.patch_object(
            self.registry, t.kind, t.namespace, t.name, body, content_type, t.subresource, args["field_manager"],
            force, args["dry_run"], request.query.get("fieldValidation") or "Warn", decoded=decoded)
        return self._with_warnings(self._respond(request, t.kind, patched, [patched]), warnings)

    async def _delete(self, request: web.Request, t: Target) -> web.Response:
        options = await delete_options(request)
        dry = bool(request.query.getall("dryRun", []))
        if not t.name:
            listed = self.registry.delete_collection(t.kind, t.namespace, request.query.get("labelSelector"),
                                                     request.query.get("fieldSelector"), options, dry)
            return json_response(listed)
        answer, deleted = self.registry.delete_object(t.kind, t.namespace, t.name, options, dry)
        # 202 only when the object stays and the client asked for cascading with orphanDependents=false
        # (apiserver endpoints/handlers/delete.go); a Pod in its grace period or a terminating Namespace is 200.
        accepted = not deleted and options.get("orphanDependents") is False
        return json_response(answer, 202 if accepted else 200)

    @staticmethod
    def _with_warnings(resp: web.Response, warnings: list[str]) -> web.Response:
        for w in warnings:
            if "\r" not in w and "\n" not in w:  # NewWarningHeader refuses line breaks; the text is strconv.Quote'd
                resp.headers.add("Warning", f"299 - {go_quote(w)}")
        return resp


SCALE = Kind("autoscaling", "v1", "Scale", "scale")  # the body of */scale
_VERBS = {("GET", True): "get", ("GET", False): "list", ("POST", False): "create", ("POST", True): "create",
          ("PUT", True): "update", ("PATCH", True): "patch", ("DELETE", True): "delete",
          ("DELETE", False): "deletecollection"}


_NON_RESOURCE_VERBS = {"GET": "get", "HEAD": "get", "POST": "post", "PUT": "put", "PATCH": "patch",
                       "DELETE": "delete", "OPTIONS": "options"}


def _default_manager(request: web.Request) -> str:
    agent = request.headers.get("User-Agent", "unknown")
    return agent.split("/")[0] or "unknown"


def json_response(obj, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(obj, separators=(",", ":")).encode(), status=status,
                        content_type="application/json")


def status_response(exc: errors.APIError) -> web.Response:
    return json_response(exc.status(), exc.code)


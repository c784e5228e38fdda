"""The HTTP layer under the API: request-line and header limits like Go's net/http, and its own errors as Status.

aiohttp answers a request it cannot parse (a bad method token, an over-long request line or header) with a
plain-text 400 before any handler runs. Clients of an API server read Status objects, so those answers become
one (kind Status, reason BadRequest, aiohttp's text as the message). The limits follow net/http's
DefaultMaxHeaderBytes (1 MiB), which the API server keeps: a 100 KB label selector is a valid request that the
selector parser, not the HTTP layer, answers.
"""
from __future__ import annotations

import json
import logging
from http import HTTPStatus

from aiohttp import hdrs, web
from aiohttp.http import SERVER_SOFTWARE
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.http_writer import StreamWriter
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)
MAX_REQUEST_LINE = 1024 * 1024
MAX_HEADER_FIELD = 1024 * 1024
MAX_HEADERS = 256
_REASONS = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed", 413: "RequestEntityTooLarge",
            500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}


def handler_args() -> dict:
    return {"max_line_size": MAX_REQUEST_LINE, "max_field_size": MAX_HEADER_FIELD, "max_headers": MAX_HEADERS}


class _NoServerHeaderWriter(StreamWriter):
    """Writes a response without the `Server: Python/3.11 aiohttp/...` header aiohttp adds: the real API server
    (Go's net/http) sends none. A Server header a proxied backend gave (services/.../proxy) is relayed as is."""

    async def write_headers(self, status_line: str, headers) -> None:
        if headers.get(hdrs.SERVER) == SERVER_SOFTWARE:
            del headers[hdrs.SERVER]
        await super().write_headers(status_line, headers)


class _StatusRequestHandler(RequestHandler):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        make_request = self._request_factory

        def request_factory(message, payload, protocol, writer, *rest):
            writer.__class__ = _NoServerHeaderWriter  # every reply (handlers, errors, streams) is written by it
            return make_request(message, payload, protocol, writer, *rest)
        self._request_factory = request_factory

    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)  # raises: the response is under way
        if status >= 500:
            log.error("error handling %s %s", request.method, request.path, exc_info=exc)
        else:
            log.debug("unparseable request from %s: %s", request.remote, exc)
        text = exc.message if isinstance(exc, HttpProcessingError) and exc.message else message
        text = text or HTTPStatus(status).phrase
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": text,
                "reason": _REASONS.get(status, ""), "code": status}
        if not body["reason"]:
            del body["reason"]
        resp = web.Response(status=status, body=json.dumps(body, separators=(",", ":")).encode(),
                            content_type="application/json")
        resp.force_close()
        return resp


class _StatusServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _StatusRequestHandler(self, loop=self._loop, **self._kwargs)


class StatusAppRunner(web.AppRunner):
    """An AppRunner whose connections answer HTTP-level errors with Status objects and send no Server header."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _StatusServer
        return server

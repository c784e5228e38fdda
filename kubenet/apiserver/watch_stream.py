"""Serving a watch: newline-delimited JSON events, BOOKMARKs, timeouts, and 410 as an ERROR event."""
from __future__ import annotations

import asyncio
import json
import random

from aiohttp import web

from kubenet.api import errors
from kubenet.api.kinds import Kind
from kubenet.apiserver.request import wants_table
from kubenet.apiserver.request_body import query_int, watch_resource_version

BOOKMARK_INTERVAL = 30.0


async def serve_watch(server, request: web.Request, kind: Kind, namespace: str | None, label_selector: str | None,
                      field_selector: str | None) -> web.StreamResponse:
    q = request.query
    rv = watch_resource_version(kind, q.get("resourceVersion"))
    # ListOptions.TimeoutSeconds is an *int64. As ListResource does, 0 (or none) means the server's randomized
    # default; a negative one is a timer that has already fired: 200 and an empty stream.
    timeout = query_int(request, "timeoutSeconds")
    if not timeout:
        timeout = 1800 * (1 + random.random())
    bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
    table = wants_table(request)
    resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                   "Transfer-Encoding": "chunked"})
    try:
        watch = server.registry.watch(kind, namespace, label_selector, field_selector, rv)
    except errors.APIError as exc:
        if exc.code != 410:
            raise
        await resp.prepare(request)
        await resp.write(_line({"type": "ERROR", "object": exc.status()}))
        await resp.write_eof()
        return resp
    await resp.prepare(request)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    first_table = True
    writing = False

    async def send(event: dict) -> None:
        nonlocal writing
        writing = True
        await resp.write(_line(event))
        writing = False

    def on_watcher_closed() -> None:
        # A watcher dropped for falling behind while this loop waits on a client that does not read: the
        # response cannot end cleanly, so end the connection (the client re-watches, as from a real apiserver).
        if writing and watch.inner.overflowed and request.transport is not None:
            request.transport.abort()

    watch.inner.add_close_callback(on_watcher_closed)
    try:
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            item = await watch.next(min(remaining, BOOKMARK_INTERVAL))
            if item is None:
                if watch.inner.closed:
                    break
                if bookmarks:
                    await send({"type": "BOOKMARK", "object": {
                        "kind": kind.kind, "apiVersion": kind.api_version,
                        "metadata": {"resourceVersion": str(watch.revision)}}})
                continue
            etype, obj = item
            if table:
                from kubenet.api import tables
                obj = tables.table(kind, [obj], include_object=q.get("includeObject") or "Metadata")
                if not first_table:
                    obj["columnDefinitions"] = []
                first_table = False
            await send({"type": etype, "object": obj})
    except (ConnectionError, asyncio.CancelledError):
        pass  # the client went away (or the server stops): nothing to tell anyone
    finally:
        watch.close()
    try:
        await resp.write_eof()
    except ConnectionError:
        pass
    return resp


def _line(event: dict) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode() + b"\n"

"""A WebSocket through the proxy subresource. The real proxy (util/proxy UpgradeAwareHandler) splices the upgraded
connection byte for byte; this one completes the handshake with the backend first, then relays message by message
(what a WebSocket client sees is the same; other upgrade protocols are not carried)."""
from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import WSMsgType, web


def is_websocket(request: web.Request) -> bool:
    return "upgrade" in request.headers.get("Connection", "").lower() and \
        request.headers.get("Upgrade", "").lower() == "websocket"


async def relay(session: aiohttp.ClientSession, request: web.Request, url: str,
                headers: dict[str, str]) -> web.StreamResponse:
    """Connect to the backend (its refusal is answered as it gave it), then accept the client and relay."""
    protocols = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
    handshake = {k: v for k, v in headers.items() if not k.lower().startswith("sec-websocket")}
    ws_url = "ws" + url[len("http"):] if url.startswith("http") else url
    try:
        backend = await session.ws_connect(ws_url, headers=handshake, protocols=protocols, autoping=True)
    except aiohttp.WSServerHandshakeError as exc:
        return web.Response(status=exc.status, text=exc.message or "")
    client = web.WebSocketResponse(protocols=[backend.protocol] if backend.protocol else ())
    await client.prepare(request)
    pumps = [asyncio.create_task(_pump(backend, client)), asyncio.create_task(_pump(client, backend))]
    try:
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pump in pumps:
            pump.cancel()
        await backend.close()
        await client.close()
    return client


async def _pump(source, sink) -> None:
    async for msg in source:
        if msg.type == WSMsgType.TEXT:
            await sink.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await sink.send_bytes(msg.data)
        else:  # CLOSE, CLOSING, ERROR: the other side is closed with it
            break

"""pods/log, pods/exec, pods/attach and pods/portforward: the API server's streaming endpoints, proxied to the
node's agent (kubenet/api/node_agent.py: `server.node_agents`, node name → NodeAgent).

exec and attach speak the WebSocket channel protocol (v5.channel.k8s.io, v4.channel.k8s.io): each binary frame
starts with a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 error (a Status with the exit code), 4 resize; in v5
a frame `0xFF <channel>` closes that channel. portforward speaks SPDY/3.1 (plain or tunnelled in a WebSocket):
see portforward.py.
"""
from __future__ import annotations

import asyncio
import json

from aiohttp import WSMsgType, web

from kubenet.api import errors
from kubenet.api.errors import StreamError
from kubenet.api.node_agent import ContainerStream, NodeAgent
from kubenet.apiserver import portforward

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")


def _pick_container(pod: dict, wanted: str | None) -> str:
    names = [c["name"] for c in pod["spec"].get("containers") or []]
    init = [c["name"] for c in pod["spec"].get("initContainers") or []]
    if wanted:
        if wanted not in names + init:
            raise errors.bad_request(f"container {wanted} is not valid for pod {pod['metadata']['name']}")
        return wanted
    default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    if default in names:
        return default
    if len(names) == 1:
        return names[0]
    raise errors.bad_request(f"a container name must be specified for pod {pod['metadata']['name']}, choose one "
                             f"of: [{' '.join(names)}]" + (f" or one of the init containers: [{' '.join(init)}]"
                                                          if init else ""))


def _agent(server, pod: dict) -> NodeAgent:
    node = pod["spec"].get("nodeName")
    agent = server.node_agents.get(node) if node else None
    if agent is None:
        c = pod["spec"]["containers"][0]["name"]
        raise errors.bad_request(f'container "{c}" in pod "{pod["metadata"]["name"]}" is waiting to start: '
                                 "ContainerCreating" if not node else f"node {node} is not reachable")
    return agent


def _int(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise errors.bad_request(f"invalid integer: {value}") from None


async def handle(server, request: web.Request, target) -> web.StreamResponse:
    pod = server.registry.get(target.kind, target.namespace, target.name)
    if target.subresource == "portforward":
        return await portforward.serve(request, _agent(server, pod), pod)
    q = request.query
    container = _pick_container(pod, q.get("container"))
    kubelet = _agent(server, pod)
    try:
        if target.subresource == "log":
            return await _logs(request, kubelet, pod, container)
        if target.subresource == "attach":
            return await _attach(request, kubelet, pod, container)
        return await _exec(request, kubelet, pod, container)
    except StreamError as exc:
        raise errors.bad_request(str(exc)) from None


async def _logs(request: web.Request, kubelet: NodeAgent, pod: dict, container: str) -> web.StreamResponse:
    q = request.query
    lines = await kubelet.logs(pod, container, follow=q.get("follow") == "true", previous=q.get("previous") == "true",
                         tail_lines=_int(q.get("tailLines")), timestamps=q.get("timestamps") == "true",
                         limit_bytes=_int(q.get("limitBytes")))
    resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await resp.prepare(request)
    try:
        async for chunk in lines:
            await resp.write(chunk)
    except (ConnectionResetError, asyncio.CancelledError):
        return resp
    await resp.write_eof()
    return resp


def _exit_status(code: int) -> dict:
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command [...], exit code {code}",
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


async def _exec(request: web.Request, kubelet: NodeAgent, pod: dict, container: str) -> web.StreamResponse:
    q = request.query
    command = q.getall("command", [])
    if not command:
        raise errors.bad_request("you must specify at least 1 command")
    _require_websocket(request, "exec")
    process = await kubelet.exec(pod, container, command, q.get("tty") in ("true", "1"))
    return await _serve_channels(request, process, use_stdin=q.get("stdin") in ("true", "1"))


async def _attach(request: web.Request, kubelet: NodeAgent, pod: dict, container: str) -> web.StreamResponse:
    _require_websocket(request, "attach")
    session = await kubelet.attach(pod, container, stdin=request.query.get("stdin") in ("true", "1"))
    return await _serve_channels(request, session, use_stdin=session.stdin)


def _require_websocket(request: web.Request, verb: str) -> None:
    """Check the whole WebSocket handshake before anything is started for it (a process, an attach)."""
    if request.headers.get("Upgrade", "").lower() != "websocket" or \
            not web.WebSocketResponse(protocols=PROTOCOLS).can_prepare(request).ok:
        raise errors.bad_request(f"Upgrade request required: kubenet serves {verb} over WebSocket "
                                 "(v5.channel.k8s.io / v4.channel.k8s.io)")


async def _serve_channels(request: web.Request, stream: ContainerStream, use_stdin: bool) -> web.WebSocketResponse:
    """Carry a stream (an ExecProcess or an AttachSession) over the WebSocket channel protocol: its output() on
    channels 1/2, channel 0 into write_stdin, 4 into resize, then its exit status on channel 3. When the client
    goes away the stream is hung up (exec: killed; attach: detached)."""
    ws = web.WebSocketResponse(protocols=PROTOCOLS, max_msg_size=0)
    try:
        await ws.prepare(request)
    except BaseException:
        stream.hang_up()  # the upgrade failed after all: end what was started for it
        stream.close()
        raise
    v5 = ws.ws_protocol == "v5.channel.k8s.io"

    async def send(channel: int, data: bytes) -> None:
        if not ws.closed:
            await ws.send_bytes(bytes([channel]) + data)

    async def pump_input() -> None:
        async for msg in ws:
            if msg.type != WSMsgType.BINARY or not msg.data:
                continue
            channel, data = msg.data[0], msg.data[1:]
            if channel == 0 and use_stdin:
                await stream.write_stdin(data)
            elif channel == 4:
                try:
                    size = json.loads(data)
                    stream.resize(int(size.get("Width", 80)), int(size.get("Height", 24)))
                except (ValueError, TypeError):
                    pass
            elif channel == 255 and v5 and data[:1] == b"\x00":
                stream.close_stdin()
        stream.hang_up()  # the client went away

    if not use_stdin:
        stream.close_stdin()
    inputs = asyncio.create_task(pump_input())
    try:
        async for channel, data in stream.output():
            await send(channel, data)
        if not ws.closed:
            code = await stream.wait()
            await send(3, json.dumps(_exit_status(code)).encode())
    finally:
        inputs.cancel()
        stream.hang_up()
        stream.close()
        await ws.close()
    return ws

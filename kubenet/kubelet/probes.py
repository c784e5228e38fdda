"""Readiness and liveness probes: httpGet, tcpSocket and exec, run from the node like the kubelet's prober."""
from __future__ import annotations

import asyncio
import time

import aiohttp


async def _http_get(ip: str, probe: dict, container: dict, timeout: float) -> bool:
    action = probe["httpGet"]
    port = _resolve_port(action.get("port"), container)
    scheme = action.get("scheme", "HTTP").lower()
    host = action.get("host") or ip
    headers = {h["name"]: h["value"] for h in action.get("httpHeaders") or []}
    headers.setdefault("User-Agent", "kube-probe/1.32")
    url = f"{scheme}://{host}:{port}{action.get('path', '/')}"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.get(url, headers=headers, ssl=False, allow_redirects=False) as resp:
                return 200 <= resp.status < 400
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
        return False


async def _tcp(ip: str, probe: dict, container: dict, timeout: float) -> bool:
    action = probe["tcpSocket"]
    port = _resolve_port(action.get("port"), container)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(action.get("host") or ip, port), timeout)
        writer.close()
        return True
    except (OSError, asyncio.TimeoutError):
        return False


async def _exec(worker, probe: dict, timeout: float) -> bool:
    argv = worker.sandbox.enter_argv() + list(probe["exec"].get("command") or [])
    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
    try:
        return await asyncio.wait_for(proc.wait(), timeout) == 0
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        return False


def _resolve_port(port, container: dict) -> int:
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return int(p["containerPort"])
    return 0


async def check(worker, probe: dict, container: dict) -> bool:
    timeout = float(probe.get("timeoutSeconds", 1))
    if "httpGet" in probe:
        return await _http_get(worker.sandbox.ip, probe, container, timeout)
    if "tcpSocket" in probe:
        return await _tcp(worker.sandbox.ip, probe, container, timeout)
    if "exec" in probe:
        return await _exec(worker, probe, timeout)
    return True


async def run_readiness(worker) -> None:
    """Update each running container's ready flag from its readiness probe (no probe: ready once started)."""
    now = time.monotonic()
    for state in worker.containers.values():
        proc = state.process
        if proc is None or not proc.running:
            state.ready = False
            continue
        probe = state.spec.get("readinessProbe")
        if not probe:
            state.ready = True
            continue
        last = getattr(state, "probe_at", 0.0)
        started = getattr(state, "probe_started", None)
        if started is None:
            state.probe_started = now
            started = now
        if now - started < probe.get("initialDelaySeconds", 0) or now - last < probe.get("periodSeconds", 10):
            continue
        state.probe_at = now
        ok = await check(worker, probe, state.spec)
        successes = getattr(state, "probe_ok", 0) + 1 if ok else 0
        failures = getattr(state, "probe_fail", 0) + 1 if not ok else 0
        state.probe_ok, state.probe_fail = successes, failures
        if ok and successes >= probe.get("successThreshold", 1):
            state.ready = True
        elif not ok and failures >= probe.get("failureThreshold", 3):
            state.ready = False

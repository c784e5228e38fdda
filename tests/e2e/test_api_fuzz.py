"""API fuzz (issue 7 §3): ≥10,000 generated and mutated bodies, patches, query strings and headers against a
running API server (seeded, so a failure replays). Checks: no 5xx and no crash; every error is a Status with
its code; a request that failed (or ran with dryRun=All) wrote nothing (the store's revision did not move: the
fuzzer is the only writer, and its requests run one at a time); a normal request is answered within 1 s
throughout (a prober runs beside the fuzzer)."""
from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import time
from urllib.parse import urlencode

import aiohttp

from kubenet.client.http import HTTPClient
from tests.convergence import settle
from tests.e2e.fuzz_requests import KINDS, NS, Generator

SEED = int(__import__("os").environ.get("FUZZ_SEED", "7"))
REQUESTS = int(__import__("os").environ.get("FUZZ_REQUESTS", "10000"))
PROBE_EVERY = 0.1  # seconds between the prober's requests
PROBE_LIMIT = 1.0  # seconds a normal request may take
# Objects a controller (re)writes whatever the fuzzer does: the root-CA publisher puts back kube-root-ca.crt
# after the fuzzer's deletecollection of ConfigMaps.
CONTROLLER_KEYS = {f"/core/configmaps/{NS}/kube-root-ca.crt"}


async def _seed(client: HTTPClient, plane) -> None:
    await client.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    for prefix, seed, _ in KINDS:
        if "/pods" in prefix or "/jobs" in prefix:
            continue  # the scheduler / job controller would keep writing for them
        async with client.session.post(client.server + prefix, json=seed) as resp:
            assert resp.status == 201, await resp.text()
    # Let the controllers finish with the Deployment and the Service (ReplicaSet, EndpointSlice, status): the
    # barrier runs in the control plane's own loop. (The seed has no Pods, so the scheduler has nothing to do.)
    manager = plane.plane.controllers
    barrier = settle(plane.plane.store, manager.informers.all(), [c.queue for c in manager.controllers], 20)
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(barrier, plane.loop))


async def _fuzz(plane) -> dict:
    client = HTTPClient(str(plane.kubeconfig))
    store = plane.plane.store
    await _seed(client, plane)
    gen = Generator(SEED)
    counts: collections.Counter = collections.Counter()
    codes: collections.Counter = collections.Counter()
    failures: list[str] = []
    messages: collections.Counter = collections.Counter()
    probe_worst = 0.0
    done = asyncio.Event()

    async def probe() -> None:
        nonlocal probe_worst
        while not done.is_set():
            started = time.monotonic()
            async with client.session.get(client.server + f"/api/v1/namespaces/{NS}/configmaps?limit=1") as resp:
                await resp.read()
                assert resp.status == 200
            probe_worst = max(probe_worst, time.monotonic() - started)
            with contextlib.suppress(TimeoutError):  # the next probe after PROBE_EVERY, or none once done
                await asyncio.wait_for(done.wait(), PROBE_EVERY)

    async def one(req) -> None:
        joiner = "&" if "?" in req.path else "?"
        url = client.server + req.path + (joiner + urlencode(req.query) if req.query else "")
        before = store.revision
        headers = {"Content-Type": "", **req.headers} if req.body is not None else req.headers
        async with client.session.request(req.method, url, data=req.body, headers=headers,
                                          skip_auto_headers=["Content-Type"]) as resp:
            payload = await resp.read()
            status = resp.status
        codes[status] += 1
        where = f"{req.method} {req.path} {req.query} {req.headers} {(req.body or b'')[:300]!r}"
        if status >= 500:
            failures.append(f"{status} for {where}: {payload[:300]!r}")
            return
        if status >= 400:
            try:
                reply = json.loads(payload)
            except ValueError:
                reply = None
            if not (isinstance(reply, dict) and reply.get("kind") == "Status" and reply.get("code") == status):
                failures.append(f"{status} without a Status for {where}: {payload[:200]!r}")
            else:
                messages[f"{status} {reply.get('message', '')[:70]}"] += 1
        if (status >= 400 or req.dry_run or req.method == "GET") and store.revision != before:
            written = [f"{e.type} {e.key}" for e in store._events_after(before) if e.key not in CONTROLLER_KEYS]
            if written:
                failures.append(f"{status} wrote (revision {before} → {store.revision}: {written[:5]}) for {where}")

    prober = asyncio.create_task(probe())
    started = time.monotonic()
    try:
        for _ in range(REQUESTS):
            req = gen.next()
            counts[req.category] += 1
            await one(req)
            if prober.done():
                break
    finally:
        seconds = time.monotonic() - started
        done.set()
        try:
            await prober
        finally:
            await client.close()
    return {"messages": messages, "counts": counts, "codes": codes, "failures": failures, "seconds": seconds, "probe_worst": probe_worst}


class _Errors(logging.Handler):
    """Error records any component logs while the fuzzer runs (a crashed handler, informer or controller)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()[:300]}")


def test_api_fuzz(control_plane):
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        result = asyncio.run(_fuzz(control_plane))
    finally:
        logging.getLogger().removeHandler(errors)
    counts, failures = result["counts"], result["failures"]
    failures += [f"logged: {r}" for r in errors.records]
    print(f"\nAPI fuzz: {sum(counts.values())} requests in {result['seconds']:.1f}s "
          f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}); replies "
          f"{dict(sorted(result['codes'].items()))}; slowest probe {result['probe_worst'] * 1000:.0f} ms")
    for message, count in result["messages"].most_common(12):
        print(f"  {count:6d}  {message}")
    assert not failures, f"{len(failures)} failures, first ones:\n" + "\n".join(failures[:15])
    assert sum(counts.values()) >= REQUESTS
    assert result["probe_worst"] < PROBE_LIMIT
    # the server still answers
    assert asyncio.run(_get_ok(control_plane))


async def _get_ok(plane) -> bool:
    async with aiohttp.ClientSession() as session:
        client = HTTPClient(str(plane.kubeconfig))
        try:
            async with client.session.get(client.server + "/readyz") as resp:
                return resp.status == 200
        finally:
            await client.close()
            await session.close()

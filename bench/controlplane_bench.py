"""The control plane alone on loopback: create rate, watch fan-out latency, RSS, and where the time goes.

    python3 bench/controlplane_bench.py [--pods 1000] [--conns 8] [--configmaps 300] [--watchers 10]
                                        [--uvloop] [--no-profile]

The API server, controllers and scheduler run in a thread of this process (`ControlPlane.in_thread`, temp data
dir, 127.0.0.1, no nodes). The load comes from a second process (spawned, uvloop) over HTTPS with the admin
client certificate, so client and server do not share a GIL. Only 127.0.0.1 is ever contacted.
For the RSS figure the control plane runs alone in a child process (`--serve`, on uvloop like the supervisor).
Prints figures against targets; never fails on one. About 1 minute.
"""
from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import cProfile
import io
import json
import multiprocessing
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._util import distribution, figure, free_port, heading, rss_kb

TARGET_CREATES = 500.0  # Pods/s
TARGET_WATCH_P99 = 50.0  # ms
TARGET_RSS = 100.0  # MB
SENT = "bench.kubenet.io/sent"


def pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "bench"}},
            "spec": {"containers": [{"name": "web", "image": "httpd", "ports": [{"containerPort": 80}]}]}}


# --- the load generator (runs in a spawned process) -----------------------------------------------------
async def _session(kubeconfig: str, limit: int):
    import aiohttp

    from kubenet.client.http import ssl_from_kubeconfig
    server, ctx, headers = ssl_from_kubeconfig(kubeconfig)
    connector = aiohttp.TCPConnector(ssl=ctx, limit=limit)
    session = aiohttp.ClientSession(connector=connector, headers={**headers, "Accept": "application/json"},
                                    timeout=aiohttp.ClientTimeout(total=60))
    return server, session


async def _run_requests(session, n: int, conns: int, make) -> dict:
    """n requests over `conns` workers; `make(i)` returns (method, url, body or None)."""
    latencies: list[float] = []
    errors: dict[int, int] = {}
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            method, url, body = make(i)
            t0 = time.perf_counter()
            async with session.request(method, url, json=body) as resp:
                await resp.read()
                if resp.status >= 400:
                    errors[resp.status] = errors.get(resp.status, 0) + 1
            latencies.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conns)))
    seconds = time.perf_counter() - t0
    d = distribution([x * 1000 for x in latencies])
    return {"n": n, "seconds": seconds, "rate": n / seconds, "p50_ms": d["p50"], "p99_ms": d["p99"],
            "errors": errors}


async def _rates(kubeconfig: str, n: int, conns: int, prefix: str, kinds: list[str]) -> dict:
    server, session = await _session(kubeconfig, conns)
    try:
        # Open (TLS-handshake) every connection first, so both figures are over the same warm connections.
        await _run_requests(session, conns * 4, conns, lambda i: ("GET", server + "/version", None))
        out = {}
        for kind in kinds:
            if kind == "version":
                out[kind] = await _run_requests(session, n, conns, lambda i: ("GET", server + "/version", None))
            else:
                url = server + "/api/v1/namespaces/default/pods"
                out[kind] = await _run_requests(session, n, conns,
                                                lambda i, url=url: ("POST", url, pod(f"{prefix}-{i}")))
        return out
    finally:
        await session.close()


def request_rates(kubeconfig: str, n: int, conns: int, prefix: str, kinds: list[str]) -> dict:
    import uvloop
    return uvloop.run(_rates(kubeconfig, n, conns, prefix, kinds))


async def _watch_latency(kubeconfig: str, watchers: int, n: int, rate: float, conns: int, prefix: str) -> dict:
    server, session = await _session(kubeconfig, watchers + conns)
    base = server + "/api/v1/namespaces/default/configmaps"
    latencies: list[list[float]] = [[] for _ in range(watchers)]
    try:
        async with session.get(base, params={"limit": "1"}) as resp:
            rv = (await resp.json())["metadata"]["resourceVersion"]
        streams = []
        for _ in range(watchers):  # the watch is registered before the response headers are sent
            resp = await session.get(base, params={"watch": "true", "resourceVersion": rv},
                                     timeout=__import__("aiohttp").ClientTimeout(total=None))
            streams.append(resp)

        async def watch(i: int, resp) -> None:
            async for line in resp.content:
                received = time.time()
                event = json.loads(line)
                meta = event["object"].get("metadata") or {}
                if event["type"] != "ADDED" or not meta.get("name", "").startswith(prefix):
                    continue
                latencies[i].append((received - float(meta["annotations"][SENT])) * 1000)
                if len(latencies[i]) >= n:
                    return

        watch_tasks = [asyncio.create_task(watch(i, r)) for i, r in enumerate(streams)]
        start = time.perf_counter()

        def make(i: int):
            cm = {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": f"{prefix}-{i}", "annotations": {SENT: repr(time.time())}},
                  "data": {"index": str(i)}}
            return "POST", base, cm

        async def paced_worker(ids) -> None:
            for i in ids:
                if rate:  # paced: request i goes out at start + i/rate
                    delay = start + i / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                method, url, body = make(i)
                async with session.request(method, url, json=body) as resp:
                    await resp.read()
        ids = iter(range(n))
        await asyncio.gather(*(paced_worker(ids) for _ in range(conns)))
        sent_seconds = time.perf_counter() - start
        try:
            await asyncio.wait_for(asyncio.gather(*watch_tasks), 20)
        except TimeoutError:
            for t in watch_tasks:
                t.cancel()
        for r in streams:
            r.close()
        every = [x for per in latencies for x in per]
        out = {"events": len(every), "expected": n * watchers, "send_rate": n / sent_seconds}
        if every:
            out.update(distribution(every))
        return out
    finally:
        await session.close()


def watch_latency(kubeconfig: str, watchers: int, n: int, rate: float, conns: int, prefix: str) -> dict:
    import uvloop
    return uvloop.run(_watch_latency(kubeconfig, watchers, n, rate, conns, prefix))


async def _settle(kubeconfig: str, quiet: float, timeout: float) -> tuple[float, str]:
    """Wait until the store revision stops moving for `quiet` seconds; returns (seconds waited, revision)."""
    server, session = await _session(kubeconfig, 1)
    t0 = time.perf_counter()
    last, since = None, time.perf_counter()
    try:
        while time.perf_counter() - t0 < timeout:
            async with session.get(server + "/api/v1/namespaces/default/configmaps", params={"limit": "1"}) as r:
                rv = (await r.json())["metadata"]["resourceVersion"]
            if rv != last:
                last, since = rv, time.perf_counter()
            elif time.perf_counter() - since >= quiet:
                break
            await asyncio.sleep(0.25)
        return time.perf_counter() - t0, last
    finally:
        await session.close()


def settle(kubeconfig: str, quiet: float = 2.0, timeout: float = 40.0) -> tuple[float, str]:
    import uvloop
    return uvloop.run(_settle(kubeconfig, quiet, timeout))


# --- control planes ---------------------------------------------------------------------------------------
def threaded_plane(data: Path, name: str, use_uvloop: bool):
    from kubenet.cluster.config import ClusterConfig
    from kubenet.cluster.controlplane import ControlPlane
    config = ClusterConfig(name=name, nodes=0, data_dir=str(data / name), api_port=free_port())
    plane = ControlPlane.in_thread(config)
    if use_uvloop:  # the supervisor runs uvloop; in_thread uses asyncio's default loop
        import uvloop
        plane.loop = uvloop.new_event_loop()
        plane.thread = threading.Thread(target=plane.loop.run_forever, name="control-plane", daemon=True)
    return plane.start()


def cancel_tasks(plane, scheduler: bool, controllers: bool) -> None:
    async def cancel():
        if scheduler:
            for t in plane.plane.tasks:
                t.cancel()
            await asyncio.gather(*plane.plane.tasks, return_exceptions=True)
            plane.plane.tasks.clear()
        if controllers:
            await plane.plane.controllers.stop()
            plane.plane.controllers.stop = _nothing  # stop() at the end must not stop twice
        await asyncio.sleep(0.2)
        return len(plane.plane.store._watchers)
    return plane.run(cancel())


async def _nothing() -> None:
    return None


def watcher_count(plane) -> int:
    async def count():
        return len(plane.plane.store._watchers)
    return plane.run(count())


def serve(data_dir: str, port: int) -> None:
    """`--serve`: the control plane alone in this process, on uvloop (as in the supervisor), until SIGTERM."""
    import uvloop

    from kubenet.cluster.config import ClusterConfig
    from kubenet.cluster.controlplane import ControlPlane

    async def main() -> None:
        plane = ControlPlane(ClusterConfig(name="kbrss", nodes=0, data_dir=data_dir, api_port=port))
        await plane.start(with_dns=False)
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        print("ready", flush=True)
        await stop.wait()
        await plane.stop()
    uvloop.run(main())


# --- the phases ---------------------------------------------------------------------------------------------
def phase_creates(pool, plane, args, label: str, kinds: list[str], prefix: str) -> dict:
    out = pool.submit(request_rates, str(plane.kubeconfig), args.pods, args.conns, prefix, kinds).result(120)
    for kind in kinds:
        r = out[kind]
        what = "GET /version" if kind == "version" else "Pod creates"
        errs = f", errors {r['errors']}" if r["errors"] else ""
        figure(f"{what} /s ({label})", r["rate"], "/s", TARGET_CREATES if kind == "pods" else None,
               note=f"{r['n']} in {r['seconds']:.2f}s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms{errs}")
    return out


def phase_profile(pool, plane, args) -> None:
    profiler = cProfile.Profile()

    async def toggle(on: bool) -> None:
        profiler.enable() if on else profiler.disable()  # per thread: it must run on the server's loop
    plane.run(toggle(True))
    try:
        out = pool.submit(request_rates, str(plane.kubeconfig), args.pods, args.conns, "prof",
                          ["pods"]).result(120)
    finally:
        plane.run(toggle(False))
    print(f"  (under cProfile: {out['pods']['rate']:.0f} Pod creates/s)")
    for sort, count in (("tottime", 18), ("cumulative", 30)):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(sort).print_stats(count)
        lines = text.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        print(f"  -- server thread, top {count} by {sort}:")
        for line in lines[start:start + count + 1]:
            print("   " + line.replace(str(REPO) + "/", "").replace(sys.prefix, "<py>")[:150])


def phase_rss(pool, args, tmp: Path) -> None:
    port = free_port()
    data = tmp / "rss"
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(data), str(port)], stdout=subprocess.PIPE,
                            text=True, cwd=REPO)
    try:
        line = proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"control plane child did not start (exit {proc.poll()})")
        kubeconfig = str(data / "kubeconfig")
        settle(kubeconfig, quiet=1.5, timeout=15)
        before = rss_kb(proc.pid) / 1024
        t0 = time.perf_counter()
        out = pool.submit(request_rates, kubeconfig, args.pods, args.conns, "rss", ["pods"]).result(120)
        _, rv = settle(kubeconfig, quiet=3.0, timeout=60)
        after = rss_kb(proc.pid) / 1024
        peak = int(next(l.split()[1] for l in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                        if l.startswith("VmHWM:"))) / 1024
        figure("control-plane RSS, idle after start", before, "MB")
        figure(f"control-plane RSS holding {args.pods} Pods (settled)", after, "MB", TARGET_RSS, False,
               note=f"peak {peak:.1f} MB; +{(after - before) * 1024 / args.pods:.1f} kB/Pod; settled "
                    f"{time.perf_counter() - t0:.1f}s after the first create, rev {rv}; "
                    f"creates ran at {out['pods']['rate']:.0f}/s on uvloop")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--conns", type=int, default=8, help="concurrent HTTPS connections")
    parser.add_argument("--configmaps", type=int, default=300)
    parser.add_argument("--watchers", type=int, default=10)
    parser.add_argument("--watch-rate", type=float, default=100.0, help="paced configmap creates per second")
    parser.add_argument("--uvloop", action="store_true", help="run the in-thread control plane on uvloop")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--serve", nargs=2, metavar=("DATA_DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return

    loop_name = "uvloop" if args.uvloop else "asyncio loop"
    print(f"control plane bench: {args.pods} Pods over {args.conns} HTTPS connections, {args.watchers} watchers x "
          f"{args.configmaps} ConfigMaps; server in a thread ({loop_name}), load from a separate process; "
          f"{os.cpu_count()} CPUs")
    tmp = Path(tempfile.mkdtemp(prefix="kubenet-cpbench-"))
    ctx = multiprocessing.get_context("spawn")
    plane = None
    try:
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            heading("creates per second (normal control plane: apiserver + controllers + scheduler, no nodes)")
            plane = threaded_plane(tmp, "kbfull", args.uvloop)
            full = phase_creates(pool, plane, args, "normal", ["version", "pods"], "full")
            figure("ratio Pod creates / GET /version", 100 * full["pods"]["rate"] / full["version"]["rate"], "%",
                   note="how much of the HTTP-only floor a create keeps")
            waited, _ = settle(str(plane.kubeconfig), quiet=2.0, timeout=40)
            print(f"  (store settled {waited:.1f}s after the creates: scheduler attempts + FailedScheduling events; "
                  f"{watcher_count(plane)} store watchers open)")

            heading(f"watch delivery latency, {args.watchers} watchers (same control plane, {args.pods} Pods held)")
            for rate, label in ((args.watch_rate, f"paced {args.watch_rate:g}/s"), (0.0, "burst")):
                w = pool.submit(watch_latency, str(plane.kubeconfig), args.watchers, args.configmaps, rate,
                                args.conns if not rate else 2, f"w{int(rate)}").result(120)
                if not w["events"]:
                    print(f"  {label}: no events received")
                    continue
                note = f"{w['events']}/{w['expected']} events, sent at {w['send_rate']:.0f}/s"
                figure(f"watch latency p50 ({label})", w["p50"], "ms")
                figure(f"watch latency p90 ({label})", w["p90"], "ms")
                figure(f"watch latency p99 ({label})", w["p99"], "ms", TARGET_WATCH_P99, False, note=note)
                figure(f"watch latency max ({label})", w["max"], "ms")

            if not args.no_profile:
                heading("profile: cProfile on the server thread during another "
                        f"{args.pods} Pod creates (normal control plane)")
                phase_profile(pool, plane, args)
            plane.stop()
            plane = None

            heading("creates per second without the scheduler / without scheduler and controllers (fresh planes)")
            plane = threaded_plane(tmp, "kbnosched", args.uvloop)
            n = cancel_tasks(plane, scheduler=True, controllers=False)
            ns = phase_creates(pool, plane, args, "no scheduler", ["pods"], "ns")
            print(f"  ({n} store watchers open)")
            plane.stop()
            plane = threaded_plane(tmp, "kbbare", args.uvloop)
            n = cancel_tasks(plane, scheduler=True, controllers=True)
            bare = phase_creates(pool, plane, args, "apiserver + store only", ["version", "pods"], "bare")
            print(f"  ({n} store watchers open)")
            plane.stop()
            plane = None
            base = full["pods"]["rate"]
            print(f"  normal / no scheduler / apiserver only: {base:.0f} / {ns['pods']['rate']:.0f} / "
                  f"{bare['pods']['rate']:.0f} Pods/s  (normal = {100 * base / ns['pods']['rate']:.0f}% of "
                  f"no-scheduler, {100 * base / bare['pods']['rate']:.0f}% of apiserver-only)")

            heading("control-plane RSS (control plane alone in a child process, uvloop)")
            phase_rss(pool, args, tmp)
    finally:
        if plane is not None:
            plane.stop()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()

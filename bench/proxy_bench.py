"""The proxy subresource's cost: a GET through services/<name>:<port>/proxy/echo against the same GET straight to
the Pod IP (agnhost netexec), one at a time (latency) and 8 at a time for a few seconds (throughput).

    python3 bench/proxy_bench.py [--requests 300] [--seconds 3]

Needs root. One 1-node sandbox cluster (`kubenet up --sandbox`, unique name `kb<hex>`), downed again at exit;
every request goes from the sandbox netns to the cluster's API server or to a Pod IP inside it. Prints figures;
never fails on one. About 20 s.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._util import Sandbox, distribution, figure, heading, install_cleanup

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.52"
TARGET_OVERHEAD_MS = 5.0  # p50 added by the API server's proxy on an idle cluster
CONCURRENCY = 8


async def _measure(kubeconfig: str, pod_ip: str, requests: int, seconds: float) -> dict:
    import aiohttp

    from kubenet.client.http import HTTPClient
    client = HTTPClient(kubeconfig)
    proxied = client.server + "/api/v1/namespaces/default/services/bench-web:80/proxy/echo?msg=hi"
    direct = f"http://{pod_ip}:8080/echo?msg=hi"
    results: dict = {}
    async with aiohttp.ClientSession() as plain:
        for label, session, url in (("proxy", client.session, proxied), ("direct", plain, direct)):
            latencies = []
            for _ in range(requests):
                t0 = time.perf_counter()
                async with session.get(url) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                latencies.append((time.perf_counter() - t0) * 1000)
            counts = await asyncio.gather(*(_hammer(session, url, time.monotonic() + seconds)
                                            for _ in range(CONCURRENCY)))
            results[label] = {"latency": distribution(latencies), "rps": sum(counts) / seconds}
    await client.close()
    return results


async def _hammer(session, url: str, end: float) -> int:
    done = 0
    while time.monotonic() < end:
        async with session.get(url) as resp:
            await resp.read()
        done += 1
    return done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--measure", nargs=2, metavar=("KUBECONFIG", "POD_IP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # inside the sandbox netns
        print(json.dumps(asyncio.run(_measure(*args.measure, min(args.requests, 2000), min(args.seconds, 10)))))
        return
    install_cleanup()
    cluster = Sandbox(nodes=1)
    cluster.up()
    # The catalog image runs this tree's code, not whatever kubenet is installed (containers get no PYTHONPATH).
    container = {"name": "agnhost", "image": AGNHOST, "command": ["/agnhost", "netexec", "--http-port=8080"],
                 "env": [{"name": "PYTHONPATH", "value": str(REPO)}], "ports": [{"containerPort": 8080}]}
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench-web"},
                  "spec": {"selector": {"matchLabels": {"app": "bench-web"}}, "template": {
                      "metadata": {"labels": {"app": "bench-web"}}, "spec": {"containers": [container]}}}}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(deployment))
    cluster.kubectl("expose", "deployment", "bench-web", "--port=80", "--target-port=8080")
    deadline = time.monotonic() + 60
    pod_ip = ""
    while time.monotonic() < deadline:
        out = cluster.kubectl("get", "endpoints", "bench-web", "-o", "jsonpath={.subsets[0].addresses[0].ip}")
        pod_ip = out.stdout.strip()
        if pod_ip:
            break
        time.sleep(0.2)
    if not pod_ip:
        raise SystemExit("bench-web never got a ready endpoint")
    proc = cluster.host(sys.executable, str(Path(__file__).resolve()), "--measure", cluster.kubeconfig, pod_ip,
                        "--requests", str(args.requests), "--seconds", str(args.seconds), timeout=120)
    if proc.returncode != 0:
        raise SystemExit(f"measuring failed:\n{proc.stdout}{proc.stderr}")
    results = json.loads(proc.stdout)
    heading(f"GET /echo of agnhost netexec, {args.requests} one at a time, then {CONCURRENCY} at a time for {args.seconds:g} s")
    for label in ("direct", "proxy"):
        lat = results[label]["latency"]
        figure(f"{label}: p50 latency", lat["p50"], "ms")
        figure(f"{label}: p99 latency", lat["p99"], "ms")
        figure(f"{label}: requests per second ({CONCURRENCY} concurrent)", results[label]["rps"], "req/s")
    figure("proxy overhead at p50", results["proxy"]["latency"]["p50"] - results["direct"]["latency"]["p50"], "ms",
           TARGET_OVERHEAD_MS, higher_is_better=False, note="HTTPS to the API server + one hop to the Pod")


if __name__ == "__main__":
    main()

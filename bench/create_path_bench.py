"""The API server's create path alone, in one process: decoding + registry + store, no TLS, no controllers.

    python3 bench/create_path_bench.py [--pods 2000] [--rounds 3] [--compare /path/to/other/tree]

Posts Pod bodies (kubectl's shape) to an in-process APIServer (aiohttp test server on 127.0.0.1, SQLite store in a
temp dir) and prints creates/s and the time decoding takes per body. With --compare, runs the same measurement
in a child process against another source tree (e.g. /work/main) and alternates the two, so a machine shared with
other work loads both alike. Prints figures; never fails.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "bench"}},
            "spec": {"containers": [{"name": "web", "image": "httpd", "ports": [{"containerPort": 80}],
                                     "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
                                     "env": [{"name": "A", "value": "1"}]}]}}


async def _measure(pods: int) -> float:
    from aiohttp.test_utils import TestClient, TestServer

    from kubenet.apiserver import openapi
    from kubenet.apiserver.registry import Registry
    from kubenet.apiserver.server import APIServer
    from kubenet.store.sqlite import SQLiteStore

    with tempfile.TemporaryDirectory() as tmp:
        openapi.set_cache_dir(os.path.join(tmp, "openapi"))
        registry = Registry(SQLiteStore(os.path.join(tmp, "store.db")))
        registry.create(_kind("namespaces"), None, {"apiVersion": "v1", "kind": "Namespace",
                                                     "metadata": {"name": "default"}})
        client = TestClient(TestServer(APIServer(registry).app(), host="127.0.0.1"))
        await client.start_server()
        try:
            url = "/api/v1/namespaces/default/pods?fieldValidation=Strict"
            async with client.post(url, data=json.dumps(pod("warm")),
                                   headers={"Content-Type": "application/json"}) as resp:
                assert resp.status == 201, await resp.text()  # builds the OpenAPI cache once
            bodies = [json.dumps(pod(f"p{i}")).encode() for i in range(pods)]
            started = time.perf_counter()
            for body in bodies:
                async with client.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
                    await resp.read()
                    assert resp.status == 201
            return pods / (time.perf_counter() - started)
        finally:
            await client.close()


def _kind(plural: str):
    from kubenet.api.kinds import by_resource
    return by_resource("", plural)


def decode_micro(n: int = 20000) -> float | None:
    """µs to decode one Pod body into its Go types (this tree's decoder), or None for a tree without it."""
    try:
        from kubenet.apiserver import body, typed
    except ImportError:
        return None
    raw = json.dumps(pod("x")).encode()
    root = typed.schema().for_kind("v1", "Pod")
    started = time.perf_counter()
    for _ in range(n):
        typed.decode(root, body.decode_json(raw))
    return (time.perf_counter() - started) / n * 1e6


def child(pods: int) -> None:
    sys.path.insert(0, os.getcwd())
    rate = asyncio.run(_measure(pods))
    print(json.dumps({"rate": rate, "decode_us": decode_micro()}))


def run_tree(tree: str, pods: int) -> dict:
    env = dict(os.environ, PYTHONPATH=tree)
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(pods)], cwd=tree, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", help="another source tree to measure alternately (e.g. /work/main)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    trees = [str(REPO)] + ([args.compare] if args.compare else [])
    results: dict[str, list[dict]] = {t: [] for t in trees}
    for _ in range(args.rounds):
        for tree in trees:
            results[tree].append(run_tree(tree, args.pods))
    print(f"create path (in-process APIServer, plain HTTP, SQLite; {args.pods} Pods x {args.rounds} rounds; "
          f"load {os.getloadavg()[0]:.1f})")
    for tree, runs in results.items():
        rates = sorted(r["rate"] for r in runs)
        decode = [r["decode_us"] for r in runs if r["decode_us"] is not None]
        extra = f", typed decode {min(decode):.0f} µs/body" if decode else ""
        print(f"  {tree:40s} Pod creates/s: best {rates[-1]:6.0f}, median {rates[len(rates) // 2]:6.0f}{extra}")


if __name__ == "__main__":
    main()

"""How much a ReplicaSet with an absurd replica count can make the controller do (issue 7, item 3).

    python3 bench/controller_burst_bench.py [--seconds 3]

In-process, no network: a Registry over a MemoryStore, the LocalClient, the real ReplicaSet controller. First
one sync by hand (how many Pods it creates, how long it takes), then the controller running for --seconds with
`replicas: 2147483647` (how many Pods per second, the largest gap the event loop saw). Prints figures; never
fails on one. About 5 seconds.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._util import figure, heading
from kubenet.controllers.expectations import BURST_REPLICAS
from kubenet.controllers.replicaset import ReplicaSetController
from tests.unit.controller_harness import Cluster, replicaset

INT32_MAX = 2**31 - 1


async def one_sync() -> tuple[int, float]:
    c = Cluster()
    rsc = ReplicaSetController(c.client, c.informers)
    async with c:
        await c.client.create("replicasets.apps", replicaset(replicas=INT32_MAX), "default")
        while rsc.replicasets.get("default/web") is None:
            await asyncio.sleep(0.01)
        start = time.perf_counter()
        await rsc.reconcile("default/web")
        elapsed = time.perf_counter() - start
        return len(await c.list("pods")), elapsed


async def running(seconds: float) -> tuple[int, float]:
    async with Cluster(ReplicaSetController) as c:
        gaps: list[float] = []

        async def ticker() -> None:
            last = time.perf_counter()
            while True:
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                gaps.append(now - last - 0.01)
                last = now
        tick = asyncio.create_task(ticker())
        await c.client.create("replicasets.apps", replicaset(replicas=INT32_MAX), "default")
        await asyncio.sleep(seconds)
        tick.cancel()
        return len(await c.list("pods")), max(gaps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    heading("ReplicaSet with replicas: 2147483647 (in-process, MemoryStore)")
    created, elapsed = asyncio.run(one_sync())
    figure("Pods created by one sync", created, "pods", BURST_REPLICAS, higher_is_better=False,
           note="burstReplicas")
    figure("time of that sync", elapsed * 1000, "ms")
    total, worst_gap = asyncio.run(running(args.seconds))
    figure(f"Pods created in {args.seconds:g} s with the controller running", total, "pods")
    figure("Pods created per second", total / args.seconds, "pods/s")
    figure("largest event-loop stall meanwhile", worst_gap * 1000, "ms")


if __name__ == "__main__":
    main()

"""A crashed cluster coming back: SIGKILL the supervisor of a loaded sandbox cluster, `kubenet up` again, and time
the resume until every Pod is Ready again.

    python3 bench/recovery_bench.py [--nodes 2] [--replicas 40] [--services 200]

Needs root. One `kubenet up --sandbox` cluster `kb<hex>`, downed again also on failure or Ctrl-C. Prints figures
(objects in the store before and after, seconds to `up` and to all Pods Ready, Pods restarted, unique Pod IPs);
never fails on one. About a minute.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._util import Deadline, Sandbox, figure, heading, install_cleanup

TARGET_RESUME = 10.0  # seconds from `kubenet up` to every Pod Ready again


def manifests(replicas: int, services: int) -> str:
    items = [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
              "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "httpd", "image": "httpd"}]}}}}]
    # A few Services select the Pods, the others select nothing: 200 Services all selecting the same 40 Pods would
    # measure the EndpointSlice controller (every Pod status change re-reconciles each of them) instead.
    items += [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i}"},
               "spec": {"selector": {"app": "web" if i < 5 else f"none-{i}"}, "ports": [{"port": 80}]}}
              for i in range(services)]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def ready_pods(cluster: Sandbox) -> list[dict]:
    proc = cluster.kubectl("get", "pods", "-A", "-o", "json", timeout=60)
    if proc.returncode != 0:
        return []
    return [p for p in json.loads(proc.stdout)["items"] if not p["metadata"].get("deletionTimestamp")
            and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions") or [])]


def store_objects(name: str) -> int:
    conn = sqlite3.connect(f"file:/var/lib/kubenet/{name}/store.db?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM objects").fetchone()[0]
    finally:
        conn.close()


def wait_all_ready(cluster: Sandbox, count: int, deadline: Deadline) -> list[dict]:
    while not deadline.expired():
        pods = ready_pods(cluster)
        if len(pods) >= count:
            return pods
        time.sleep(0.2)
    raise RuntimeError(f"only {len(ready_pods(cluster))} of {count} Pods Ready in time")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--replicas", type=int, default=40)
    parser.add_argument("--services", type=int, default=200)
    args = parser.parse_args()
    install_cleanup()
    heading(f"recovery: {args.nodes} nodes, {args.replicas} replicas, {args.services} Services")
    cluster = Sandbox(args.nodes)
    cluster.up()
    t0 = time.perf_counter()
    applied = cluster.kubectl("apply", "-f", "-", input=manifests(args.replicas, args.services), timeout=120)
    if applied.returncode != 0:
        raise RuntimeError(applied.stderr)
    before_pods = wait_all_ready(cluster, args.replicas + 1, Deadline(120))
    first_seconds = time.perf_counter() - t0
    supervisor = cluster.supervisor_pid()
    os.kill(supervisor, 9)
    while Path(f"/proc/{supervisor}").exists():
        time.sleep(0.01)
    before = store_objects(cluster.name)

    t0 = time.perf_counter()
    up_seconds = cluster.up()
    after_pods = wait_all_ready(cluster, len(before_pods), Deadline(120))
    ready_seconds = time.perf_counter() - t0
    restarted = [p for p in after_pods if any(c.get("restartCount", 0) >= 1
                                              for c in p["status"].get("containerStatuses") or [])]
    ips = [p["status"].get("podIP") for p in after_pods]
    figure("for comparison: apply → every Pod Ready, new cluster", first_seconds, "s")
    figure("objects in the store at the kill", before, "")
    figure("objects in the store after the resume", store_objects(cluster.name), "")
    figure("kubenet up (resume) → returns", up_seconds, "s")
    figure("kubenet up (resume) → every Pod Ready", ready_seconds, "s", TARGET_RESUME, False)
    for phase, seconds in cluster.phases.items():
        figure(f"  phase: {phase}", seconds, "s")
    figure("Pods restarted on their nodes", len(restarted), "", note=f"of {len(after_pods)}; 0 adopted")
    figure("duplicate Pod IPs", len(ips) - len(set(ips)), "", 0, False)


if __name__ == "__main__":
    main()

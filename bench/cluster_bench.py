"""Whole sandbox clusters: time to Ready and to gone, a 100-replica rollout to ready endpoints, idle RSS.

    python3 bench/cluster_bench.py [--reps 3] [--replicas 100] [--budget 150] [--skip-3node-rollout]

Needs root. Every cluster is `kubenet up --sandbox` with a unique name `kb<hex>` and is `kubenet down`ed
again, also when the bench fails or is interrupted. Traffic stays inside the sandbox namespaces: kubectl
and the readiness watcher run in the cluster's sandbox netns (`nsenter --net=/run/netns/kubenet-<name>`).
Prints figures against targets; never fails on one. About 1.5-2 minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._util import (
    Deadline,
    Sandbox,
    figure,
    heading,
    install_cleanup,
    netns_pids,
    parent_pid,
    process_name,
    rss_kb,
)

TARGET_UP = {1: 3.0, 3: 5.0}  # seconds to Ready
TARGET_ROLLOUT = 10.0  # seconds, apply → all Pods Ready and all addresses ready in the EndpointSlices
TARGET_IDLE_RSS = 150.0  # MB, idle 1-node cluster with DNS


def manifest(replicas: int) -> str:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench-web"},
                  "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "bench-web"}},
                           "template": {"metadata": {"labels": {"app": "bench-web"}},
                                        "spec": {"containers": [{"name": "httpd", "image": "httpd",
                                                                 "ports": [{"containerPort": 80}]}]}}}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bench-web"},
               "spec": {"selector": {"app": "bench-web"}, "ports": [{"port": 80, "targetPort": 80}]}}
    return yaml.safe_dump_all([deployment, service])


# --- the readiness watcher: runs inside the sandbox netns (`--wait-ready`) ------------------------------
def wait_ready(kubeconfig: str, replicas: int, timeout: float) -> None:
    """Read the start time (wall clock) from stdin, then poll until all Pods and endpoints are ready.

    Prints JSON: seconds from start to all Pods Ready and to all addresses ready in the EndpointSlices."""
    import asyncio

    from kubenet.client.http import HTTPClient

    async def main() -> dict:
        client = HTTPClient(kubeconfig, user_agent="cluster-bench")
        await client.list("pods", "default")  # connect (TLS) before the clock starts
        print("waiting", flush=True)
        start = float(sys.stdin.readline())
        out: dict = {"pods_ready": None, "endpoints_ready": None}
        try:
            while time.time() - start < timeout and None in out.values():
                if out["pods_ready"] is None:
                    pods, _ = await client.list("pods", "default", label_selector="app=bench-web")
                    ready = sum(1 for p in pods if any(c.get("type") == "Ready" and c.get("status") == "True"
                                                       for c in (p.get("status") or {}).get("conditions") or []))
                    out["pods_seen_ready"] = ready
                    if ready >= replicas:
                        out["pods_ready"] = time.time() - start
                if out["endpoints_ready"] is None:
                    slices, _ = await client.list("endpointslices.discovery.k8s.io", "default",
                                                  label_selector="kubernetes.io/service-name=bench-web")
                    addresses = {a for s in slices for e in s.get("endpoints") or []
                                 if (e.get("conditions") or {}).get("ready") for a in e.get("addresses") or []}
                    out["addresses_seen_ready"] = len(addresses)
                    out["slices"] = len(slices)
                    if len(addresses) >= replicas:
                        out["endpoints_ready"] = time.time() - start
                await asyncio.sleep(0.1)
        finally:
            await client.close()
        return out
    print(json.dumps(asyncio.run(main())), flush=True)


# --- phases -----------------------------------------------------------------------------------------------
def phase_up_down(nodes: int, reps: int) -> None:
    ups, downs, phases = [], [], {}
    for _ in range(reps):
        cluster = Sandbox(nodes)
        try:
            ups.append(cluster.up())
            for phase, seconds in cluster.phases.items():
                phases.setdefault(phase, []).append(seconds)
        finally:
            downs.append(cluster.down())
    figure(f"kubenet up --sandbox --nodes {nodes} → Ready, median of {reps}", statistics.median(ups), "s",
           TARGET_UP[nodes], False, note="runs " + ", ".join(f"{x:.2f}" for x in ups))
    print("    phases (median, as `kubenet up` prints them): "
          + ", ".join(f"{p} {statistics.median(v):.1f}s" for p, v in phases.items()))
    figure(f"kubenet down ({nodes} node{'s' if nodes > 1 else ''}), median of {reps}", statistics.median(downs), "s",
           note="runs " + ", ".join(f"{x:.2f}" for x in downs))


def phase_rollout(cluster: Sandbox, replicas: int) -> None:
    cmd = ["nsenter", f"--net=/run/netns/{cluster.netns}", "--", sys.executable, __file__, "--wait-ready",
           cluster.kubeconfig, str(replicas)]
    waiter = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        if waiter.stdout.readline().strip() != "waiting":
            raise RuntimeError(f"readiness watcher did not start (exit {waiter.poll()})")
        start = time.time()
        waiter.stdin.write(f"{start!r}\n")
        waiter.stdin.flush()
        applied = cluster.kubectl("apply", "-f", "-", input=manifest(replicas))
        apply_seconds = time.time() - start
        if applied.returncode != 0:
            raise RuntimeError(f"kubectl apply failed: {applied.stdout}{applied.stderr}")
        result = json.loads(waiter.communicate(timeout=90)[0].strip().splitlines()[-1])
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait()
    nodes = f"{cluster.nodes} node{'s' if cluster.nodes > 1 else ''}"
    for key, label, target in (("pods_ready", "all Pods Ready", None),
                               ("endpoints_ready", "ready in EndpointSlices", TARGET_ROLLOUT)):
        if result[key] is None:
            print(f"  {replicas}-replica Deployment ({nodes}): {label}: not reached in time "
                  f"(pods ready {result.get('pods_seen_ready')}, addresses ready {result.get('addresses_seen_ready')})")
            continue
        figure(f"rollout {replicas} ({nodes}): apply → {label}", result[key], "s", target,
               False, note=f"kubectl apply took {apply_seconds:.2f}s" if target is None else
               f"{result.get('slices')} EndpointSlice(s)")


def phase_rss(cluster: Sandbox, label: str, target: float | None, per_process: bool = True) -> None:
    supervisor = cluster.supervisor_pid()
    pids: dict[int, str] = {}
    for ns in cluster.namespaces():
        for pid in netns_pids(ns):
            pids.setdefault(pid, ns)
    pids.setdefault(supervisor, cluster.netns)
    rows = []
    for pid, ns in pids.items():
        cmd = process_name(pid)
        if not rss_kb(pid):  # exited since it was listed (or a kernel thread)
            continue
        if pid == supervisor:
            what = "supervisor (apiserver, controllers, scheduler, kubelet, kube-proxy)"
        elif "coredns_py" in cmd:
            what = "coredns (Pod container)"
        elif cmd.startswith("sleep infinity"):
            what = "pause (Pod sandbox)"
        elif "-pod-" in ns:
            words = cmd.split()
            what = f"container: {' '.join([os.path.basename(words[0])] + words[1:4])[:50]}"
        elif parent_pid(pid) == supervisor:
            what = f"child of supervisor: {cmd[:50]}"
        else:
            what = cmd[:60]
        rows.append((what, pid, ns, rss_kb(pid) / 1024, _pss_kb(pid) / 1024))
    rows.sort(key=lambda r: -r[3])
    if per_process:
        for what, pid, ns, rss, pss in rows:
            print(f"    {rss:7.1f} MB RSS {pss:7.1f} MB PSS  pid {pid:<7} {what}  [{ns}]")
    else:  # many Pods: one line per kind of process
        groups: dict[str, list] = {}
        for row in rows:
            groups.setdefault(row[0], []).append(row)
        for what, members in sorted(groups.items(), key=lambda g: -sum(r[3] for r in g[1])):
            print(f"    {sum(r[3] for r in members):7.1f} MB RSS {sum(r[4] for r in members):7.1f} MB PSS  "
                  f"{len(members):>3} x {what}")
    total = sum(r[3] for r in rows)
    figure(f"{label}: sum of VmRSS", total, "MB", target, False,
           note=f"{len(rows)} processes; sum of PSS {sum(r[4] for r in rows):.1f} MB")


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--replicas", type=int, default=100)
    parser.add_argument("--budget", type=float, default=150.0, help="seconds; optional phases are skipped after")
    parser.add_argument("--skip-3node-rollout", action="store_true")
    parser.add_argument("--wait-ready", nargs=2, metavar=("KUBECONFIG", "REPLICAS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.wait_ready:
        wait_ready(args.wait_ready[0], int(args.wait_ready[1]), timeout=60)
        return
    if os.geteuid() != 0:
        print("cluster_bench: needs root (network namespaces); skipped")
        return
    install_cleanup()
    budget = Deadline(args.budget)
    print(f"cluster bench: sandbox clusters, {args.reps} repetitions, {args.replicas}-replica rollout; "
          f"{os.cpu_count()} CPUs")

    heading("kubenet up --sandbox to Ready, and kubenet down")
    for nodes in (1, 3):
        phase_up_down(nodes, args.reps)

    heading("idle 1-node cluster with DNS: RSS per process (3 s after Ready)")
    cluster = Sandbox(1)
    try:
        cluster.up()
        time.sleep(3)
        phase_rss(cluster, "idle 1-node cluster with DNS", TARGET_IDLE_RSS)
        heading(f"{args.replicas}-replica Deployment (httpd) + Service, kubectl apply → ready endpoints")
        phase_rollout(cluster, args.replicas)
        phase_rss(cluster, f"1-node cluster running the {args.replicas} replicas", None, per_process=False)
    finally:
        cluster.down()
    if args.skip_3node_rollout or budget.left() < 45:
        print(f"  (3-node rollout skipped: {budget.left():.0f}s of the budget left)")
        return
    cluster = Sandbox(3)
    try:
        cluster.up()
        phase_rollout(cluster, args.replicas)
    finally:
        cluster.down()


if __name__ == "__main__":
    main()

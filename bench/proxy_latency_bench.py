"""Network programming latency: an EndpointSlice written to the API server → its rule in the node's kernel.

    python3 bench/proxy_latency_bench.py [--services 10,1000] [--samples 40] [--spacing 1.2] [--prefix kb]

Needs root. One `kubenet up --sandbox --nodes 1` cluster (name `<prefix><hex>`), always `kubenet down`ed again.
For each Service count N it makes N selector-less ClusterIP Services, each with one hand-written EndpointSlice
(one ready endpoint), waits until the node's nat table holds all of them, then, `--samples` times, rewrites the
target Service's slice with a new endpoint address and times from just before the write request to the moment
the node's kernel commits the DNAT rule for the new address (`nft monitor` in the node's netns: iptables here is
iptables-nft, so every iptables-restore commit shows up there). Each new rule is then also checked in the node's
`iptables-save`. Samples are `--spacing` s apart, more than kube-proxy's min-sync-period (1 s), so each change
meets an idle kube-proxy: this is the idle-cluster figure, the one Kubernetes' network-programming-latency SLI
(p99) is about. Prints p50/p99 against the target; never fails on one. About 2-3 minutes.

Then, where a sync's time goes: the same Services fed straight into an iptables-mode Proxier whose tables live in a
scratch netns (`<prefix><hex>-sync`, deleted afterwards), one full sync, then `--samples` partial syncs of one
changed slice, each split into its phases (read: tables or canaries, render, restore, after: conntrack).

Everything runs inside the sandbox: the measuring process runs in the sandbox netns (`nsenter`), talks to the
API server there, and watches the node netns; endpoint addresses are never connected to.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._util import Sandbox, distribution, figure, heading, install_cleanup, unique_name

TARGET_P99_MS = 200.0
SLICES = "endpointslices.discovery.k8s.io"
PORT = 8080


def service(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"bench": "proxy-latency"}},
            "spec": {"ports": [{"port": 80, "targetPort": PORT, "protocol": "TCP"}]}}


def endpoint_slice(name: str, ip: str) -> dict:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"{name}-1", "labels": {"kubernetes.io/service-name": name,
                                                         "endpointslice.kubernetes.io/managed-by": "proxy-bench"}},
            "addressType": "IPv4", "ports": [{"name": "", "port": PORT, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}]}


def background_ip(i: int) -> str:
    """Addresses for the background Services' endpoints, in 10.244.240.0/20 (never given to a node's podCIDR in
    a bench-sized cluster, never connected to)."""
    return f"10.244.{240 + i // 250}.{i % 250 + 1}"


# --- the measuring side: runs in the sandbox netns (`--inner`) ---------------------------------------------
class RuleWatch:
    """`nft monitor rules` in the node's netns: the wall-clock time each DNAT target first appears."""

    def __init__(self, node_netns: str):
        self.node_netns = node_netns
        self.seen: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future] = {}
        self.proc: asyncio.subprocess.Process | None = None
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            "ip", "netns", "exec", self.node_netns, "nft", "monitor", "rules",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, limit=1 << 20)
        self.task = asyncio.create_task(self._read())
        await asyncio.sleep(0.3)  # the netlink subscription is in place before the first sample

    async def _read(self) -> None:
        while line := await self.proc.stdout.readline():
            now = time.time()
            text = line.decode(errors="replace")
            at = text.find("dnat to ")
            if at < 0:
                continue
            target = text[at + 8:].split()[0]
            self.seen.setdefault(target, now)
            waiter = self.waiters.pop(target, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(now)

    async def wait(self, target: str, timeout: float) -> float | None:
        if target in self.seen:
            return self.seen[target]
        waiter = self.waiters.setdefault(target, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return None

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)


def nat_rules(node_netns: str) -> str:
    return subprocess.run(["ip", "netns", "exec", node_netns, "iptables-save", "-t", "nat"], capture_output=True,
                          text=True, timeout=60, check=True).stdout


async def make_services(client, first: int, count: int, concurrency: int = 16) -> None:
    from kubenet.api.errors import APIError
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limit:
            name = f"lat-{i}"
            for resource, obj in (("services", service(name)), (SLICES, endpoint_slice(name, background_ip(i)))):
                try:
                    await client.create(resource, obj, "default")
                except APIError as exc:
                    if exc.code != 409:
                        raise
    await asyncio.gather(*(one(i) for i in range(first, first + count)))


async def wait_programmed(node_netns: str, count: int, timeout: float = 180) -> float:
    """Seconds until the node's nat table DNATs to the background addresses of lat-1 .. lat-<count-1> (lat-0,
    the measured one, has moved on to other addresses after the first round)."""
    start = time.monotonic()
    wanted = {f"--to-destination {background_ip(i)}:{PORT}" for i in range(1, count)}
    while time.monotonic() - start < timeout:
        rules = await asyncio.to_thread(nat_rules, node_netns)
        if all(w in rules for w in wanted):
            return time.monotonic() - start
        await asyncio.sleep(1.0)
    raise RuntimeError(f"the node did not program {count} Services within {timeout:.0f}s")


async def measure(client, watch: RuleWatch, node_netns: str, round_no: int, samples: int,
                  spacing: float) -> dict:
    """Rewrite lat-0's slice `samples` times; per sample: write → kernel commit, and the API call alone."""
    latencies, api_calls, missing = [], [], 0
    for i in range(samples):
        ip = f"10.244.{250 + round_no}.{i + 1}"
        target = f"{ip}:{PORT}"
        patch = {"endpoints": [{"addresses": [ip], "conditions": {"ready": True}}]}
        t0 = time.time()
        await client.patch(SLICES, "lat-0-1", patch, "default", "merge")
        api_calls.append(time.time() - t0)
        committed = await watch.wait(target, 10.0)
        if committed is None or f"--to-destination {target}" not in await asyncio.to_thread(nat_rules, node_netns):
            missing += 1
        else:
            latencies.append(committed - t0)
        await asyncio.sleep(spacing)
    return {"latency": latencies, "api": api_calls, "missing": missing}


async def inner(kubeconfig: str, node_netns: str, counts: list[int], samples: int, spacing: float) -> dict:
    from kubenet.client.http import HTTPClient
    client = HTTPClient(kubeconfig, user_agent="proxy-latency-bench")
    watch = RuleWatch(node_netns)
    out: dict = {}
    made = 0
    try:
        await watch.start()
        for round_no, count in enumerate(counts):
            t0 = time.monotonic()
            await make_services(client, made, count - made)
            created = time.monotonic() - t0
            made = count
            programmed = await wait_programmed(node_netns, count)
            await asyncio.sleep(2 * spacing)  # let kube-proxy's token bucket fill up: an idle cluster
            result = await measure(client, watch, node_netns, round_no, samples, spacing)
            result.update(created=created, programmed=programmed)
            out[str(count)] = result
    finally:
        await watch.stop()
        await client.close()
    return out


# --- where a sync's time goes: an iptables-mode Proxier on a scratch netns ---------------------------------------
def sync_cost(count: int, samples: int, netns: str) -> dict[str, list[float]]:
    """Seconds per partial sync (total and phases) with `count` Services like the cluster's, plus one with four
    endpoints standing for the cluster's own (kubernetes, kube-dns's three ports)."""
    from kubenet.proxy.backend import ProxyConfig
    from kubenet.proxy.kube_proxy import Proxier

    def feed(proxier: Proxier, i: int, name: str, ips: list[str]) -> None:
        svc = service(name)
        svc["metadata"]["namespace"] = "default"
        svc["spec"].update(type="ClusterIP", clusterIP=f"10.96.{i // 250 + 1}.{i % 250 + 1}")
        proxier.on_service("ADDED", svc)
        eps = endpoint_slice(name, ips[0])
        eps["metadata"]["namespace"] = "default"
        eps["endpoints"] = [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips]
        proxier.on_endpoint_slice("MODIFIED", eps)

    subprocess.run(["ip", "netns", "add", netns], check=True, timeout=10)
    try:
        proxier = Proxier(ProxyConfig("bench-node", ("172.18.0.2",), "10.244.0.0/16", netns))
        for i in range(count):
            feed(proxier, i, f"lat-{i}", [background_ip(i)])
        feed(proxier, count, "system", [f"10.244.0.{n}" for n in range(2, 6)])
        proxier.sync()
        out: dict[str, list[float]] = {"total": []}
        for i in range(samples):
            feed(proxier, 0, "lat-0", [f"10.244.250.{i + 1}"])
            proxier.sync()
            out["total"].append(proxier.last_result.seconds)
            for phase, seconds in proxier.last_result.phases.items():
                out.setdefault(phase, []).append(seconds)
        return out
    finally:
        subprocess.run(["ip", "netns", "delete", netns], check=False, timeout=10)


# --- the driving side: host netns -------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", default="10,1000", help="Service counts to measure at, ascending")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--spacing", type=float, default=1.2, help="seconds between samples (> min-sync 1 s)")
    parser.add_argument("--prefix", default="kb", help="cluster name prefix")
    parser.add_argument("--inner", nargs=2, metavar=("KUBECONFIG", "NODE_NETNS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    counts = sorted(int(c) for c in args.services.split(","))
    if args.inner:
        print(json.dumps(asyncio.run(inner(*args.inner, counts, args.samples, args.spacing))), flush=True)
        return

    from kubenet.cluster.config import ClusterConfig
    install_cleanup()
    heading("network programming latency: EndpointSlice write → DNAT rule committed in the node's kernel")
    cluster = Sandbox(1, unique_name(args.prefix))
    cluster.up()
    node_netns = ClusterConfig.load(cluster.name).node_netns(ClusterConfig.load(cluster.name).node_names[0])
    cmd = ["nsenter", f"--net=/run/netns/{cluster.netns}", "--", sys.executable, __file__, "--inner",
           cluster.kubeconfig, node_netns, "--services", args.services, "--samples", str(args.samples),
           "--spacing", str(args.spacing)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=900, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"the measuring process failed:\n{proc.stdout}{proc.stderr}")
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    cluster.down()
    for count, result in results.items():
        lat = [x * 1000 for x in result["latency"]]
        n = f"{count} Services"
        print(f"  {n}: created in {result['created']:.1f}s, all programmed {result['programmed']:.1f}s later; "
              f"{len(lat)} samples, {result['missing']} not seen within 10 s")
        if not lat:
            continue
        d = distribution(lat)
        api = distribution([x * 1000 for x in result["api"]])
        figure(f"{n}: programming latency p50", d["p50"], "ms")
        figure(f"{n}: programming latency p99", d["p99"], "ms", TARGET_P99_MS, False,
               note=f"max {d['max']:.0f} ms; of which the PATCH itself p50 {api['p50']:.0f} ms")

    heading("where a partial sync's time goes (an iptables-mode Proxier on a scratch netns, medians)")
    for count in counts:
        cost = sync_cost(count, args.samples, f"{cluster.name}-sync")
        medians = {phase: statistics.median(values) * 1000 for phase, values in cost.items()}
        figure(f"{count} Services: one partial sync", medians.pop("total"), "ms",
               note=", ".join(f"{phase} {ms:.0f}" for phase, ms in medians.items()))


if __name__ == "__main__":
    main()

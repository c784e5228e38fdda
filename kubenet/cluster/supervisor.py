"""The supervisor: one process that runs a whole cluster — store, API server, controllers, scheduler and, per
node, a kubelet and a kube-proxy — on one event loop. `kubenet up` starts it; `kubenet down` ends it.

Run as `python -m kubenet.cluster.supervisor --name NAME` (in the sandbox netns when there is one).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys

import uvloop

from kubenet.apiserver.pki import kubeconfig, read_tokens, write_kubeconfig
from kubenet.client.informer import Informer
from kubenet.client.local import LocalClient
from kubenet.cluster import control_plane_pods
from kubenet.cluster.cgroups import ClusterCgroup
from kubenet.cluster.config import PRIVATE_UMASK, ClusterConfig, private_dir
from kubenet.cluster.controlplane import ControlPlane, cluster_pki
from kubenet.cluster.nodeports import LocalhostNodePorts
from kubenet.cluster.routes import Router
from kubenet.cluster.topology import HostBridge, NodeNetwork
from kubenet.kubelet.kubelet import Kubelet
from kubenet.kubelet.static_pods import StaticPods
from kubenet.proxy.backend import ProxyConfig
from kubenet.proxy.kube_proxy import KubeProxy

log = logging.getLogger("kubenet.supervisor")


class Supervisor:
    def __init__(self, config: ClusterConfig):
        self.config = config
        self.plane: ControlPlane | None = None
        self.kubelets: dict[str, Kubelet] = {}
        self.proxies: list[KubeProxy] = []
        self.tasks: list[asyncio.Task] = []
        self.host = HostBridge(config)
        self.nodes = [NodeNetwork(config, name, i) for i, name in enumerate(config.node_names)]
        # The control plane as the first node's static Pods; their output is recorded from the start.
        self.static_pods = StaticPods(self.nodes[0].name, self.nodes[0].ip, control_plane_pods.static_pods(
            config, self.nodes[0].name)) if self.nodes else None

    def _status(self, phase: str, **extra) -> None:
        """Progress for `kubenet up`, which polls this file."""
        path = self.config.data / "status.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"phase": phase, "pid": os.getpid(), **extra}))
        tmp.rename(path)

    async def start(self) -> None:
        c = self.config
        private_dir(c.data)
        self._status("certificates")
        self.plane = ControlPlane(c, ["127.0.0.1", c.host_ip])
        self.plane.node_agents = self.kubelets
        pki = cluster_pki(c)
        pod_config = kubeconfig(pki, c.name, f"https://{c.kubernetes_service_ip}:443")
        pod_config["users"][0]["user"] = {"token": next(iter(read_tokens(pki)))}
        write_kubeconfig(c.data / "pod-kubeconfig", pod_config)

        self._status("network")
        await asyncio.to_thread(self.host.create)
        await asyncio.gather(*(asyncio.to_thread(n.create) for n in self.nodes))

        self._status("control-plane")
        if self.static_pods is not None:
            self.static_pods.capture_logs()
        client = await self.plane.start(with_dns=bool(self.nodes))

        if self.nodes:
            self._status("nodes")
            await self._start_nodes(client)
        self._status("running")
        self.tasks.append(asyncio.create_task(self._report_health(client), name="health"))

    async def _report_health(self, client: LocalClient) -> None:
        """Ready once every node is Ready and cluster DNS answers; then keep status.json's health fresh."""
        from kubenet.cluster.health import check_health
        ready = False
        while True:
            health = await check_health(client, self.config, self.kubelets)
            ready = ready or all(health.values())
            self._status("ready" if ready else "running", health=health)
            await asyncio.sleep(5.0 if ready else 0.1)

    async def _start_nodes(self, client: LocalClient) -> None:
        c = self.config
        nodes = Informer(client, "nodes")
        services = Informer(client, "services")
        slices = Informer(client, "endpointslices.discovery.k8s.io")
        router = Router(self.host, self.nodes, nodes, services)
        self.tasks.append(asyncio.create_task(router.run(), name="routes"))
        self.nodeports = LocalhostNodePorts(services, slices, [n.ip for n in self.nodes])
        for i, node in enumerate(self.nodes):
            self.kubelets[node.name] = Kubelet(client, c.kubelet_config(node.name, node.ip, node.netns, i == 0),
                                               static_pods=self.static_pods if i == 0 else None)
            proxy_config = ProxyConfig(node.name, (node.ip,), c.pod_cidr, node.netns, mode=c.proxy_mode)
            self.proxies.append(KubeProxy(proxy_config, services, slices))
        self.tasks += [asyncio.create_task(inf.run()) for inf in (nodes, services, slices)]
        for proxy in self.proxies:
            proxy.start()
        await asyncio.gather(*(k.start() for k in self.kubelets.values()))

    async def stop(self) -> None:
        for k in self.kubelets.values():
            await k.stop()
        for p in self.proxies:
            await p.stop()
        for t in self.tasks:
            t.cancel()
        if self.plane is not None and hasattr(self.plane, "store"):
            await self.plane.stop()


async def amain(config: ClusterConfig) -> None:
    supervisor = Supervisor(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await supervisor.start()
    except Exception as exc:
        log.exception("cluster start failed")
        supervisor._status("failed", error=str(exc))
        await supervisor.stop()
        raise SystemExit(1)
    await stop.wait()
    supervisor._status("stopping")
    await supervisor.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kubenet.cluster.supervisor")
    parser.add_argument("--name", default="kubenet")
    parser.add_argument("--data-dir", default="")
    args = parser.parse_args(argv)
    os.umask(PRIVATE_UMASK)  # Pod processes get the usual 022 back (kubelet/spawn.py)
    config = ClusterConfig.load(args.name, args.data_dir)
    ClusterCgroup(config.name).join()  # everything started from here on is found by `kubenet down`
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvloop.run(amain(config))


if __name__ == "__main__":
    main()

"""`python -m coredns_py`: the cluster DNS Pod's process (kubernetes zone → forward, cache in front).

    python -m coredns_py --kubeconfig PATH --listen 0.0.0.0:53 --upstream-resolv /etc/resolv.conf \
        --cluster-domain cluster.local [--health-port 8080] [--ready-port 8181]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from coredns_py.forward import ForwardPlugin, Upstream, parse_upstream, read_resolv_conf, without_self
from coredns_py.health import HealthServer
from coredns_py.kube import ZoneFeeder, connect, load_objects
from coredns_py.records import KubernetesPlugin
from coredns_py.server import DNSServer
from coredns_py.zone import ClusterZone

log = logging.getLogger("coredns_py")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m coredns_py", description="kubenet cluster DNS")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--kubeconfig", help="list+watch services, endpointslices and namespaces from this API server")
    source.add_argument("--objects", help="serve a fixed snapshot: a JSON List of Services/EndpointSlices/Namespaces")
    parser.add_argument("--listen", default="0.0.0.0:53", help="HOST:PORT for UDP and TCP (PORT 0: pick a free one)")
    parser.add_argument("--upstream-resolv", default="/etc/resolv.conf", help="resolv.conf naming the upstreams")
    parser.add_argument("--upstream", action="append", default=[],
                        help="HOST[:PORT] upstream instead of the resolv.conf ones (repeatable)")
    parser.add_argument("--cluster-domain", default="cluster.local")
    parser.add_argument("--service-cidr", action="append", default=None, help="default 10.96.0.0/12")
    parser.add_argument("--pod-cidr", action="append", default=None, help="default 10.244.0.0/16")
    parser.add_argument("--ttl", type=int, default=5, help="TTL of cluster records (spec default 5 s)")
    parser.add_argument("--health-port", type=int, default=None, help="serve /health and /ready on this port")
    parser.add_argument("--ready-port", type=int, default=None, help="serve /ready (and /health) on this port too")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def split_listen(text: str) -> tuple[str, int]:
    upstream = parse_upstream(text)
    return upstream.host, upstream.port


async def serve(args: argparse.Namespace) -> int:
    stop = asyncio.Event()  # SIGTERM from kubelet: close the sockets and exit 0
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    zone = ClusterZone(args.cluster_domain, args.service_cidr or ["10.96.0.0/12"], args.pod_cidr or ["10.244.0.0/16"])
    host, port = split_listen(args.listen)

    def is_cluster_dns(upstream: Upstream) -> bool:
        # A ClusterFirst resolv.conf would name the kube-dns Service: forwarding there loops back to us.
        dns_service = zone.service("kube-system", "kube-dns")
        return dns_service is not None and upstream.host in dns_service.cluster_ips

    forward = ForwardPlugin([], skip=is_cluster_dns)
    server = DNSServer(KubernetesPlugin(zone, forward, ttl=args.ttl), host, port)
    zone.add_listener(server.cache.clear)
    bound = await server.start()
    # Only now is the port known (0 picks one), which the "is this nameserver me?" check needs.
    upstreams = [parse_upstream(u) for u in args.upstream] or read_resolv_conf(args.upstream_resolv)
    forward.upstreams = upstreams = without_self(upstreams, host, bound)
    log.info("listening on %s:%d (udp, tcp) for %s; upstreams: %s", host, bound, zone.origin,
             ", ".join(map(str, upstreams)) or "none")

    health_servers = [HealthServer(lambda: zone.synced, "0.0.0.0", p) for p in (args.health_port, args.ready_port)
                      if p is not None]
    for health in health_servers:
        log.info("health on :%d (/health, /ready)", await health.start())

    tasks = []
    client = None
    if args.objects:
        log.info("loaded %d objects from %s", load_objects(zone, args.objects), args.objects)
    else:
        client = connect(args.kubeconfig)
        tasks.append(asyncio.create_task(ZoneFeeder(client, zone).run()))
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    for task in (waiter, *tasks):
        task.cancel()
    await asyncio.gather(waiter, *tasks, return_exceptions=True)  # informers stop before their client closes
    exit_code = 0
    for task in done:
        if task is not waiter and not task.cancelled():
            # The feed ended on its own: exit non-zero so kubelet restarts the Pod rather than serve stale data.
            log.error("zone feed stopped: %r", task.exception())
            exit_code = 1
    await server.close()
    forward.close()
    if client is not None:
        await client.close()
    for health in health_servers:
        await health.close()
    return exit_code


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        import uvloop  # ~5x the queries/s of the default loop (ARCHITECTURE.md, performance notes)

        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())

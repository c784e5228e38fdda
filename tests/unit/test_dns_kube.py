"""The zone fed by list+watch: kubenet.client's Informer over a fake API client, and a saved object list."""
from __future__ import annotations

import asyncio
import json
import subprocess

from dnslib import QTYPE, RCODE, DNSRecord

from coredns_py.chain import Request
from coredns_py.kube import ZoneFeeder, load_objects
from coredns_py.records import KubernetesPlugin
from coredns_py.zone import ClusterZone
from tests.unit.test_dns_support import LAB, endpoint, endpoint_slice, lab_objects, namespace, service
from tests.waiting import eventually


class FakeAPI:
    """Just enough of kubenet.client's Client for an Informer: list, then a watch fed from a queue."""

    def __init__(self, objects: list[dict]) -> None:
        self.objects = objects
        self.watches: dict[str, asyncio.Queue] = {}
        self.list_gate = asyncio.Event()
        self.list_gate.set()
        self.listing = 0
        self.all_listing = asyncio.Event()  # every informer is inside list(), held at the gate

    async def list(self, resource, namespace=None, label_selector=None, field_selector=None):
        self.listing += 1
        if self.listing == 3:
            self.all_listing.set()
        await self.list_gate.wait()
        kind = {"services": "Service", "endpointslices.discovery.k8s.io": "EndpointSlice",
                "namespaces": "Namespace"}[resource]
        items = [dict(o, metadata=dict(o["metadata"], resourceVersion="1")) for o in self.objects if o["kind"] == kind]
        return items, "1"

    async def watch(self, resource, namespace=None, resource_version="0", label_selector=None, field_selector=None,
                    timeout_seconds=None):
        queue = self.watches.setdefault(resource, asyncio.Queue())
        while True:
            yield await queue.get()


async def ask(plugin: KubernetesPlugin, name: str, qtype: str = "A") -> DNSRecord:
    return (await plugin.serve(Request(DNSRecord.question(name, qtype)))).message


def test_the_zone_is_fed_by_informers_and_synced_only_after_every_list():
    async def story():
        api = FakeAPI(lab_objects())
        api.list_gate.clear()
        zone = ClusterZone()
        plugin = KubernetesPlugin(zone)
        synced = asyncio.Event()
        zone.add_listener(lambda: zone.synced and synced.set())
        feeder = ZoneFeeder(api, zone)
        feeding = asyncio.create_task(feeder.run())
        await asyncio.wait_for(api.all_listing.wait(), 5)
        assert not zone.synced and (await ask(plugin, "web." + LAB)).header.rcode == RCODE.SERVFAIL
        api.list_gate.set()
        await asyncio.wait_for(synced.wait(), 5)
        assert [str(r.rdata) for r in (await ask(plugin, "web." + LAB)).rr] == ["10.96.10.5"]

        added = service("lab", "api", "10.96.10.9")
        added["metadata"]["resourceVersion"] = "2"
        api.watches["services"].put_nowait(("ADDED", added))
        api.watches["namespaces"].put_nowait(("ADDED", dict(namespace("extra"), metadata={"name": "extra",
                                                                                        "resourceVersion": "3"})))
        gone = dict(endpoint_slice("lab", "db", [endpoint("10.244.1.20", hostname="db-0")], []))
        gone["metadata"] = dict(gone["metadata"], resourceVersion="4")
        api.watches["endpointslices.discovery.k8s.io"].put_nowait(("DELETED", gone))
        for informer, revision in zip(feeder.informers, (2, 4, 3)):  # services, endpointslices, namespaces
            await asyncio.wait_for(informer.wait_revision(revision), 5)
        assert [str(r.rdata) for r in (await ask(plugin, "api." + LAB)).rr] == ["10.96.10.9"]
        assert (await ask(plugin, "extra.svc.cluster.local.")).header.rcode == RCODE.NOERROR
        assert (await ask(plugin, "db." + LAB)).header.rcode == RCODE.NXDOMAIN
        feeding.cancel()

    asyncio.run(story())


def test_a_saved_object_list_feeds_and_syncs_the_zone(tmp_path):
    path = tmp_path / "objects.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": lab_objects()}))
    zone = ClusterZone()
    assert load_objects(zone, str(path)) == len(lab_objects())
    assert zone.synced

    reply = asyncio.run(ask(KubernetesPlugin(zone), "_pg._tcp.db." + LAB, "SRV"))
    assert sorted(str(r.rdata.target) for r in reply.rr if r.rtype == QTYPE.SRV) == [
        "db-0.db." + LAB, "db-1.db." + LAB]


def dig(port: int, name: str) -> list[str]:
    return subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+short", "+time=2", "+tries=1", name],
                          capture_output=True, text=True, check=False).stdout.split()


async def dig_until(port: int, name: str, expected: list, timeout: float = 5.0) -> list:
    """Ask until the watch has delivered the change (bounded), then return the last answer."""
    last: list = []

    async def answered():
        nonlocal last
        last = await asyncio.to_thread(dig, port, name)
        return last == expected
    try:
        await eventually(answered, timeout, interval=0.05, what=f"{name} -> {expected}")
    except AssertionError:
        pass  # the caller's assertion shows the last answer
    return last


def test_the_dns_process_follows_a_real_api_server(tmp_path):
    """kubenet's own API server (in memory, plain HTTP on 127.0.0.1) and `python -m coredns_py --kubeconfig`."""
    import contextlib
    import re
    import signal
    import sys
    from pathlib import Path

    from kubenet.apiserver.registry import Registry
    from kubenet.apiserver.server import APIServer
    from kubenet.client.local import LocalClient
    from kubenet.store.memory import MemoryStore
    from tests.unit.test_dns_main import free_port

    resources = {"Namespace": "namespaces", "Service": "services",
                 "EndpointSlice": "endpointslices.discovery.k8s.io"}

    async def story():
        registry = Registry(MemoryStore())
        api, api_port, dns_port = APIServer(registry), free_port(), free_port()
        await api.start(["127.0.0.1"], api_port, tls=False)
        client = LocalClient(registry)
        for obj in lab_objects():
            await client.create(resources[obj["kind"]], obj, obj["metadata"].get("namespace"))
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "test",
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
            "clusters": [{"name": "test", "cluster": {"server": f"http://127.0.0.1:{api_port}"}}],
            "users": [{"name": "test", "user": {}}]}))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "coredns_py", "--kubeconfig", str(kubeconfig), "--listen", f"127.0.0.1:{dns_port}",
            "--upstream-resolv", str(tmp_path / "none"), "--log-level", "WARNING",
            cwd=Path(__file__).resolve().parents[2])
        try:
            assert await dig_until(dns_port, "web." + LAB, ["10.96.10.5"], timeout=10) == ["10.96.10.5"]
            created = await client.create("services", service("lab", "api", None, [{"port": 80}]), "lab")
            cluster_ip = created["spec"]["clusterIP"]
            assert await dig_until(dns_port, "api." + LAB, [cluster_ip]) == [cluster_ip]
            await client.delete("services", "api", "lab")
            assert await dig_until(dns_port, "api." + LAB, []) == []
            rss = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{process.pid}/status").read_text()).group(1))
            assert rss < 60 * 1024
        finally:
            process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0
            # APIServer.stop() waits ~30 s for watch handlers whose client has gone (reported to the lead);
            # the store is in memory and the loop closes right after, so do not wait for that here.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(api.stop(), 1.0)

    asyncio.run(story())


def test_an_informer_that_fails_before_it_synced_ends_the_feeder_with_its_error():
    class Broken:
        def add_handlers(self, *handlers) -> None:
            pass

        def has_synced(self) -> bool:
            return False

        async def wait_synced(self) -> None:
            await asyncio.Event().wait()  # never

        async def run(self) -> None:
            raise PermissionError("services is forbidden")

    async def story():
        zone = ClusterZone()
        try:
            await asyncio.wait_for(ZoneFeeder(None, zone, informer_factory=lambda client, resource: Broken()).run(), 5)
        except PermissionError as exc:
            assert str(exc) == "services is forbidden"
        else:
            raise AssertionError("the feeder did not stop")
        assert not zone.synced

    asyncio.run(story())

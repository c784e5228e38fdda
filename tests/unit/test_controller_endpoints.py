"""EndpointSlice and Endpoints controllers: what `kubectl get endpointslices,endpoints -o yaml` shows as Pods
come, become ready, go unready and terminate."""
from __future__ import annotations

from kubenet.controllers.endpoints import EndpointsController
from kubenet.controllers.endpointslice import EndpointSliceController
from tests.unit.controller_harness import Cluster, pod, run, service

SLICES = "endpointslices.discovery.k8s.io"


def by_pod(slices: list[dict]) -> dict[str, dict]:
    return {ep["targetRef"]["name"]: ep for s in slices for ep in s.get("endpoints") or []}


def test_slice_tracks_ready_unready_and_terminating_pods():
    async def story():
        async with Cluster(EndpointSliceController) as c:
            svc = await c.client.create("services", service("web", {"app": "web"}), "default")
            await c.client.create("pods", pod("web-1", {"app": "web"}), "default")
            await c.client.create("pods", pod("web-2", {"app": "web"}), "default")
            await c.client.create("pods", pod("no-ip", {"app": "web"}), "default")
            await c.client.create("pods", pod("other", {"app": "db"}), "default")
            await c.set_pod_status("web-1", ip="10.244.1.5", node="kn-worker")
            await c.set_pod_status("web-2", ip="10.244.2.7", node="kn-worker2", ready=False)

            async def two_endpoints():
                slices = await c.list(SLICES)
                return slices if len(by_pod(slices)) == 2 else None
            slices = await c.until(two_endpoints)
            assert len(slices) == 1
            eps = slices[0]
            assert eps["metadata"]["name"].startswith("web-") and len(eps["metadata"]["name"]) == len("web-") + 5
            assert eps["metadata"]["labels"] == {"kubernetes.io/service-name": "web",
                                                 "endpointslice.kubernetes.io/managed-by":
                                                     "endpointslice-controller.k8s.io"}
            owner = eps["metadata"]["ownerReferences"][0]
            assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == \
                ("Service", "web", svc["metadata"]["uid"], True)
            assert eps["addressType"] == "IPv4"
            assert eps["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
            assert "endpoints.kubernetes.io/last-change-trigger-time" in eps["metadata"]["annotations"]
            web1 = by_pod(slices)["web-1"]
            assert web1["addresses"] == ["10.244.1.5"]
            assert web1["conditions"] == {"ready": True, "serving": True, "terminating": False}
            assert web1["nodeName"] == "kn-worker"
            assert web1["targetRef"]["kind"] == "Pod" and web1["targetRef"]["namespace"] == "default"
            assert "hostname" not in web1
            assert by_pod(slices)["web-2"]["conditions"] == {"ready": False, "serving": False, "terminating": False}

            # The readiness probe starts passing.
            await c.set_pod_status("web-2", ip="10.244.2.7", ready=True)

            async def web2_ready():
                ep = by_pod(await c.list(SLICES)).get("web-2")
                return ep and ep["conditions"]["ready"]
            await c.until(web2_ready)

            # kubectl delete pod web-1: it terminates gracefully; still serving, no longer ready.
            await c.client.delete("pods", "web-1", "default")

            async def web1_terminating():
                ep = by_pod(await c.list(SLICES)).get("web-1")
                return ep and ep["conditions"]["terminating"]
            await c.until(web1_terminating)
            assert by_pod(await c.list(SLICES))["web-1"]["conditions"] == \
                {"ready": False, "serving": True, "terminating": True}

            await c.force_delete("web-1")

            async def web1_gone():
                return "web-1" not in by_pod(await c.list(SLICES))
            await c.until(web1_gone)
            assert len(await c.list(SLICES)) == 1  # updated in place, not replaced
            assert (await c.list(SLICES))[0]["metadata"]["name"] == eps["metadata"]["name"]
    run(story)


def test_placeholder_slice_and_selectorless_services():
    async def story():
        async with Cluster(EndpointSliceController, EndpointsController) as c:
            await c.client.create("services", service("empty", {"app": "nothing"}), "default")
            await c.client.create("services", service("manual", None), "default")

            async def placeholder():
                return [s for s in await c.list(SLICES)
                        if s["metadata"]["labels"]["kubernetes.io/service-name"] == "empty"]
            slices = await c.until(placeholder)
            assert len(slices) == 1 and not slices[0].get("endpoints")

            async def empty_endpoints():
                items = await c.list("endpoints")
                return [e for e in items if e["metadata"]["name"] == "empty"]
            (ep,) = await c.until(empty_endpoints)
            assert "subsets" not in ep
            await c.settle()
            # A Service without a selector: its slices and Endpoints are the user's business.
            assert not [s for s in await c.list(SLICES)
                        if s["metadata"]["labels"].get("kubernetes.io/service-name") == "manual"]
            assert not [e for e in await c.list("endpoints") if e["metadata"]["name"] == "manual"]
    run(story)


def test_hostname_only_when_subdomain_is_the_service():
    async def story():
        async with Cluster(EndpointSliceController, EndpointsController) as c:
            await c.client.create("services", service("db", {"app": "db"}, clusterIP="None"), "default")
            await c.client.create("pods", pod("db-0", {"app": "db"}, hostname="db-0", subdomain="db"), "default")
            await c.client.create("pods", pod("db-x", {"app": "db"}, hostname="db-x", subdomain="other"), "default")
            await c.client.create("pods", pod("db-y", {"app": "db"}, subdomain="db"), "default")
            for i, name in enumerate(["db-0", "db-x", "db-y"]):
                await c.set_pod_status(name, ip=f"10.244.1.{10 + i}", node="kn-worker")

            async def three():
                eps = by_pod(await c.list(SLICES))
                return eps if len(eps) == 3 else None
            eps = await c.until(three)
            assert eps["db-0"]["hostname"] == "db-0"
            assert "hostname" not in eps["db-x"] and "hostname" not in eps["db-y"]
            (eps_slice,) = await c.list(SLICES)
            assert eps_slice["metadata"]["labels"]["service.kubernetes.io/headless"] == ""

            async def endpoints():
                items = [e for e in await c.list("endpoints") if e["metadata"]["name"] == "db"]
                return items and items[0].get("subsets") and len(items[0]["subsets"][0]["addresses"]) == 3 and items[0]
            ep = await c.until(endpoints)
            hostnames = {a["targetRef"]["name"]: a.get("hostname") for a in ep["subsets"][0]["addresses"]}
            assert hostnames == {"db-0": "db-0", "db-x": None, "db-y": None}
    run(story)


def test_named_target_port_resolves_per_pod():
    async def story():
        async with Cluster(EndpointSliceController, EndpointsController) as c:
            await c.client.create("services", service("web", {"app": "web"}, ports=[
                {"name": "http", "port": 80, "targetPort": "web"}]), "default")
            await c.client.create("pods", pod("a", {"app": "web"}, ports=[{"name": "web", "containerPort": 8080}]),
                                  "default")
            await c.client.create("pods", pod("b", {"app": "web"}, ports=[{"name": "web", "containerPort": 9090}]),
                                  "default")
            await c.client.create("pods", pod("c", {"app": "web"}, ports=[{"name": "metrics", "containerPort": 9100}]),
                                  "default")
            for i, name in enumerate("abc"):
                await c.set_pod_status(name, ip=f"10.244.1.{20 + i}", node="kn-worker")

            async def three_slices():
                slices = await c.list(SLICES)
                return slices if len(by_pod(slices)) == 3 else None
            slices = await c.until(three_slices)
            ports_of = {ep["targetRef"]["name"]: s["ports"] for s in slices for ep in s["endpoints"]}
            assert ports_of["a"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
            assert ports_of["b"] == [{"name": "http", "port": 9090, "protocol": "TCP"}]
            assert ports_of["c"] == []  # no port named "web": left out of every port group
            assert len(slices) == 3

            async def endpoints():
                items = [e for e in await c.list("endpoints") if e["metadata"]["name"] == "web"]
                return items and len(items[0].get("subsets") or []) == 2 and items[0]
            ep = await c.until(endpoints)
            got = sorted((s["ports"][0]["port"], [a["ip"] for a in s["addresses"]]) for s in ep["subsets"])
            assert got == [(8080, ["10.244.1.20"]), (9090, ["10.244.1.21"])]
    run(story)


def test_publish_not_ready_addresses():
    async def story():
        async with Cluster(EndpointSliceController, EndpointsController) as c:
            await c.client.create("services", service("peers", {"app": "p"}, publishNotReadyAddresses=True,
                                                      clusterIP="None"), "default")
            await c.client.create("pods", pod("p-0", {"app": "p"}), "default")
            await c.set_pod_status("p-0", ip="10.244.1.30", ready=False, node="kn-worker")

            async def published():
                ep = by_pod(await c.list(SLICES)).get("p-0")
                return ep
            ep = await c.until(published)
            assert ep["conditions"] == {"ready": True, "serving": False, "terminating": False}

            async def endpoints():
                items = [e for e in await c.list("endpoints") if e["metadata"]["name"] == "peers"]
                return items and items[0].get("subsets") and items[0]
            legacy = await c.until(endpoints)
            assert [a["ip"] for a in legacy["subsets"][0]["addresses"]] == ["10.244.1.30"]
            assert "notReadyAddresses" not in legacy["subsets"][0]
    run(story)


def test_endpoints_object_ready_and_not_ready_addresses():
    async def story():
        async with Cluster(EndpointsController) as c:
            await c.client.create("services", service("web", {"app": "web"}, ports=[
                {"name": "http", "port": 80, "targetPort": 8080},
                {"name": "dns", "port": 53, "targetPort": 53, "protocol": "UDP"}]), "default")
            await c.client.create("pods", pod("web-1", {"app": "web"}), "default")
            await c.client.create("pods", pod("web-2", {"app": "web"}), "default")
            await c.set_pod_status("web-1", ip="10.244.1.5", node="kn-worker")
            await c.set_pod_status("web-2", ip="10.244.2.7", ready=False, node="kn-worker2")

            async def filled():
                items = [e for e in await c.list("endpoints") if e["metadata"]["name"] == "web"]
                sub = items and (items[0].get("subsets") or [None])[0]
                return sub and sub.get("addresses") and sub.get("notReadyAddresses") and items[0]
            ep = await c.until(filled)
            assert ep["metadata"]["labels"] == {"endpointslice.kubernetes.io/skip-mirror": "true"}
            assert "endpoints.kubernetes.io/last-change-trigger-time" in ep["metadata"]["annotations"]
            (subset,) = ep["subsets"]
            assert subset["addresses"] == [{"ip": "10.244.1.5", "nodeName": "kn-worker", "targetRef": {
                "kind": "Pod", "namespace": "default", "name": "web-1",
                "uid": (await c.client.get("pods", "web-1", "default"))["metadata"]["uid"]}}]
            assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.244.2.7"]
            assert subset["ports"] == [{"name": "dns", "port": 53, "protocol": "UDP"},
                                       {"name": "http", "port": 8080, "protocol": "TCP"}]

            # A terminating Pod leaves Endpoints at once (no terminating state in the old API).
            await c.client.delete("pods", "web-1", "default")

            async def only_not_ready():
                ep = await c.client.get("endpoints", "web", "default")
                sub = (ep.get("subsets") or [{}])[0]
                return not sub.get("addresses") and ep
            ep = await c.until(only_not_ready)
            assert [a["ip"] for a in ep["subsets"][0]["notReadyAddresses"]] == ["10.244.2.7"]

            await c.client.delete("services", "web", "default")

            async def endpoints_gone():
                return not [e for e in await c.list("endpoints") if e["metadata"]["name"] == "web"]
            await c.until(endpoints_gone)
    run(story)


def test_many_pods_split_into_slices_and_shrink_in_place():
    async def story():
        async with Cluster((EndpointSliceController, {"max_endpoints_per_slice": 3})) as c:
            await c.client.create("services", service("web", {"app": "web"}), "default")
            for i in range(7):
                await c.client.create("pods", pod(f"w{i}", {"app": "web"}), "default")
                await c.set_pod_status(f"w{i}", ip=f"10.244.1.{100 + i}", node="kn-worker")

            async def seven():
                slices = await c.list(SLICES)
                return slices if sum(len(s.get("endpoints") or []) for s in slices) == 7 else None
            slices = await c.until(seven)
            assert all(len(s["endpoints"]) <= 3 for s in slices)
            assert len(slices) == 3
            assert len(by_pod(slices)) == 7
            names = {s["metadata"]["name"] for s in slices}

            for i in range(5):
                await c.force_delete(f"w{i}")

            async def two():
                slices = await c.list(SLICES)
                return slices if sum(len(s.get("endpoints") or []) for s in slices) == 2 else None
            slices = await c.until(two)
            assert set(by_pod(slices)) == {"w5", "w6"}
            assert {s["metadata"]["name"] for s in slices} <= names  # no new slices for a shrink
    run(story)


def test_pods_in_other_namespaces_are_not_endpoints():
    async def story():
        async with Cluster(EndpointSliceController, namespaces=("default", "other")) as c:
            await c.client.create("services", service("web", {"app": "web"}), "default")
            await c.client.create("pods", pod("mine", {"app": "web"}), "default")
            await c.client.create("pods", pod("theirs", {"app": "web"}), "other")
            await c.set_pod_status("mine", ip="10.244.1.5", node="kn-worker")
            await c.set_pod_status("theirs", "other", ip="10.244.1.6", node="kn-worker")

            async def mine():
                eps = by_pod(await c.list(SLICES))
                return eps if "mine" in eps else None
            await c.until(mine)
            await c.settle()
            assert set(by_pod(await c.list(SLICES))) == {"mine"}
    run(story)

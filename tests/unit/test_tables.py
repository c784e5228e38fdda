"""Server-side printing: the Table a real 1.32 server returns, checked cell by cell and through kubectl."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from typing import Self

import pytest
from aiohttp import web

from kubenet.api import kinds
from kubenet.api.tables import columns_for, human_duration, table

NOW = datetime(2026, 1, 10, 12, 0, 0, tzinfo=UTC)


def ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def running_pod(name: str = "web-7d4b9c-abcde", restarts: int = 0, last_restart_ago: float = 300) -> dict:
    status = {"running": {"startedAt": ago(600)}}
    container = {"name": "web", "ready": True, "restartCount": restarts, "state": status, "image": "nginx"}
    if restarts:
        container["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                                 "finishedAt": ago(last_restart_ago)}}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": "u1", "resourceVersion": "42",
                     "creationTimestamp": ago(3 * 60 + 2)},
        "spec": {"nodeName": "kind-worker", "containers": [{"name": "web", "image": "nginx"}]},
        "status": {"phase": "Running", "podIP": "10.244.1.5", "podIPs": [{"ip": "10.244.1.5"}],
                   "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [container]},
    }


# --- AGE -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seconds,text", [
    (-5, "<invalid>"), (-1, "0s"), (0, "0s"), (5, "5s"), (119, "119s"), (182, "3m2s"), (300, "5m"),
    (12 * 60 + 30, "12m"), (179 * 60, "179m"), (3 * 3600, "3h"), (5 * 3600 + 3 * 60, "5h3m"), (20 * 3600, "20h"),
    (2 * 86400 + 3 * 3600, "2d3h"), (3 * 86400, "3d"), (30 * 86400, "30d"), (800 * 86400, "2y70d"),
    (9 * 365 * 86400, "9y"),
])
def test_human_duration_reads_like_kubectl(seconds, text):
    assert human_duration(seconds) == text


# --- Pods ------------------------------------------------------------------------------------------

def test_pod_columns_match_a_real_server():
    names = [(c["name"], c["priority"]) for c in columns_for(kinds.by_resource("", "pods"))]
    assert names == [("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0), ("IP", 1),
                     ("Node", 1), ("Nominated Node", 1), ("Readiness Gates", 1)]


def test_a_running_pod_prints_its_row_and_partial_metadata():
    result = table(kinds.by_resource("", "pods"), [running_pod()], now=NOW, resource_version="99")
    assert result["kind"] == "Table" and result["apiVersion"] == "meta.k8s.io/v1"
    assert result["metadata"] == {"resourceVersion": "99"}
    row = result["rows"][0]
    assert row["cells"] == ["web-7d4b9c-abcde", "1/1", "Running", "0", "3m2s", "10.244.1.5", "kind-worker",
                            "<none>", "<none>"]
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["apiVersion"] == "meta.k8s.io/v1"
    assert row["object"]["metadata"]["uid"] == "u1"


def test_include_object_controls_the_row_object():
    pod = running_pod()
    assert table(kinds.by_resource("", "pods"), [pod], now=NOW, include_object="Object")["rows"][0]["object"] == pod
    assert "object" not in table(kinds.by_resource("", "pods"), [pod], now=NOW, include_object="None")["rows"][0]


def test_restarts_show_when_the_last_restart_was():
    row = table(kinds.by_resource("", "pods"), [running_pod(restarts=3, last_restart_ago=300)], now=NOW)["rows"][0]
    assert row["cells"][3] == "3 (5m ago)"


def _pod_with(state: dict, phase: str = "Pending", ready: bool = False, **extra) -> dict:
    pod = running_pod()
    pod["status"]["phase"] = phase
    pod["status"]["containerStatuses"][0].update(ready=ready, state=state)
    pod.update(extra)
    return pod


@pytest.mark.parametrize("state,phase,status", [
    ({"waiting": {"reason": "ContainerCreating"}}, "Pending", "ContainerCreating"),
    ({"waiting": {"reason": "CrashLoopBackOff"}}, "Running", "CrashLoopBackOff"),
    ({"waiting": {"reason": "ErrImagePull"}}, "Pending", "ErrImagePull"),
    ({"waiting": {"reason": "ImagePullBackOff"}}, "Pending", "ImagePullBackOff"),
    ({"terminated": {"exitCode": 0, "reason": "Completed"}}, "Succeeded", "Completed"),
    ({"terminated": {"exitCode": 137}}, "Failed", "ExitCode:137"),
])
def test_pod_status_follows_the_container_states(state, phase, status):
    row = table(kinds.by_resource("", "pods"), [_pod_with(state, phase)], now=NOW)["rows"][0]
    assert row["cells"][1:3] == ["0/1", status]


def test_a_pod_without_container_statuses_is_pending():
    pod = running_pod()
    pod["status"] = {"phase": "Pending"}
    pod["spec"].pop("nodeName")
    cells = table(kinds.by_resource("", "pods"), [pod], now=NOW)["rows"][0]["cells"]
    assert cells[1:4] == ["0/1", "Pending", "0"] and cells[5:7] == ["<none>", "<none>"]


def test_a_deleted_running_pod_is_terminating():
    pod = running_pod()
    pod["metadata"]["deletionTimestamp"] = ago(1)
    assert table(kinds.by_resource("", "pods"), [pod], now=NOW)["rows"][0]["cells"][2] == "Terminating"


def test_init_containers_show_progress():
    pod = running_pod()
    pod["status"]["phase"] = "Pending"
    pod["spec"]["initContainers"] = [{"name": "a"}, {"name": "b"}]
    pod["status"]["initContainerStatuses"] = [
        {"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}, "restartCount": 0},
        {"name": "b", "state": {"running": {}}, "restartCount": 0},
    ]
    assert table(kinds.by_resource("", "pods"), [pod], now=NOW)["rows"][0]["cells"][2] == "Init:1/2"
    pod["status"]["initContainerStatuses"][1]["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}
    assert table(kinds.by_resource("", "pods"), [pod], now=NOW)["rows"][0]["cells"][2] == "Init:CrashLoopBackOff"


# --- Services, Deployments and friends -------------------------------------------------------------

def service(svc_type: str, ports: list, status: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(7200)},
            "spec": {"type": svc_type, "clusterIP": "10.96.12.34", "clusterIPs": ["10.96.12.34"], "ports": ports,
                     "selector": {"app": "web", "tier": "front"}},
            "status": status or {}}


def test_service_rows():
    svc_kind = kinds.by_resource("", "services")
    assert [c["name"] for c in columns_for(svc_kind)] == ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)",
                                                          "Age", "Selector"]
    node_port = service("NodePort", [{"port": 8099, "nodePort": 30080, "protocol": "TCP"}])
    assert table(svc_kind, [node_port], now=NOW)["rows"][0]["cells"] == [
        "web", "NodePort", "10.96.12.34", "<none>", "8099:30080/TCP", "120m", "app=web,tier=front"]
    pending = service("LoadBalancer", [{"port": 80, "nodePort": 31000, "protocol": "TCP"},
                                       {"port": 53, "protocol": "UDP"}])
    assert table(svc_kind, [pending], now=NOW)["rows"][0]["cells"][3:5] == ["<pending>", "80:31000/TCP,53/UDP"]
    ready = service("LoadBalancer", [], {"loadBalancer": {"ingress": [{"ip": "172.18.255.200"}]}})
    assert table(svc_kind, [ready], now=NOW)["rows"][0]["cells"][3:5] == ["172.18.255.200", "<none>"]


def deployment(ready: int = 2) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(86400 * 2 + 3600 * 3)},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"},
                                                          {"name": "log", "image": "busybox"}]}}},
            "status": {"readyReplicas": ready, "updatedReplicas": 3, "availableReplicas": ready}}


def test_deployment_and_replicaset_rows():
    row = table(kinds.by_resource("apps", "deployments"), [deployment()], now=NOW)["rows"][0]
    assert row["cells"] == ["web", "2/3", 3, 2, "2d3h", "web,log", "nginx:1.27,busybox", "app=web"]
    rs = deployment()
    rs["status"] = {"replicas": 3, "readyReplicas": 1}
    assert table(kinds.by_resource("apps", "replicasets"), [rs], now=NOW)["rows"][0]["cells"][:4] == [
        "web", 3, 3, 1]


def test_job_status_column():
    job = {"metadata": {"name": "pi", "creationTimestamp": ago(90)},
           "spec": {"completions": 1, "parallelism": 1, "template": {"spec": {"containers": []}}},
           "status": {"succeeded": 1, "startTime": ago(80), "completionTime": ago(40),
                      "conditions": [{"type": "Complete", "status": "True"}]}}
    cols = [c["name"] for c in columns_for(kinds.by_resource("batch", "jobs"))]
    assert cols[:5] == ["Name", "Status", "Completions", "Duration", "Age"]
    assert table(kinds.by_resource("batch", "jobs"), [job], now=NOW)["rows"][0]["cells"][:5] == [
        "pi", "Complete", "1/1", "40s", "90s"]


def test_endpointslice_and_ingress_rows():
    eps = {"metadata": {"name": "web-abc12", "creationTimestamp": ago(10)}, "addressType": "IPv4",
           "ports": [{"port": 80, "name": "http"}],
           "endpoints": [{"addresses": [f"10.244.1.{i}"]} for i in range(1, 6)]}
    cells = table(kinds.by_resource("discovery.k8s.io", "endpointslices"), [eps], now=NOW)["rows"][0]["cells"]
    assert cells == ["web-abc12", "IPv4", "80", "10.244.1.1,10.244.1.2,10.244.1.3 + 2 more...", "10s"]
    ing = {"metadata": {"name": "web", "creationTimestamp": ago(10)},
           "spec": {"ingressClassName": "nginx", "rules": [{"host": "web.example"}], "tls": [{"hosts": ["x"]}]},
           "status": {"loadBalancer": {"ingress": [{"ip": "172.18.255.201"}]}}}
    assert table(kinds.by_resource("networking.k8s.io", "ingresses"), [ing], now=NOW)["rows"][0]["cells"] == [
        "web", "nginx", "web.example", "172.18.255.201", "80, 443", "10s"]


def test_node_event_secret_and_role_rows():
    node = {"metadata": {"name": "kind-control-plane", "creationTimestamp": ago(600),
                         "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}],
                       "nodeInfo": {"kubeletVersion": "v1.32.4", "osImage": "kubenet", "kernelVersion": "6.1",
                                    "containerRuntimeVersion": "kubenet://0.1"}}}
    assert table(kinds.by_resource("", "nodes"), [node], now=NOW)["rows"][0]["cells"] == [
        "kind-control-plane", "Ready", "control-plane", "10m", "v1.32.4", "172.18.0.2", "<none>", "kubenet", "6.1",
        "kubenet://0.1"]
    event = {"metadata": {"name": "web.1"}, "type": "Normal", "reason": "Scheduled", "message": "assigned ",
             "involvedObject": {"kind": "Pod", "name": "web"}, "source": {"component": "default-scheduler"},
             "firstTimestamp": ago(120), "lastTimestamp": ago(60), "count": 2}
    event_kind = kinds.by_resource("", "events")
    assert [c["name"] for c in columns_for(event_kind) if c["priority"] == 0] == [
        "Last Seen", "Type", "Reason", "Object", "Message"]
    assert table(event_kind, [event], now=NOW)["rows"][0]["cells"] == [
        "60s", "Normal", "Scheduled", "pod/web", "", "default-scheduler", "assigned", "2m", 2, "web.1"]
    secret = {"metadata": {"name": "tls", "creationTimestamp": ago(5)}, "type": "kubernetes.io/tls",
              "data": {"tls.crt": "", "tls.key": ""}}
    assert table(kinds.by_resource("", "secrets"), [secret], now=NOW)["rows"][0]["cells"] == [
        "tls", "kubernetes.io/tls", 2, "5s"]
    role = {"metadata": {"name": "reader", "creationTimestamp": "2026-01-01T08:00:00Z"}}
    role_table = table(kinds.by_resource("rbac.authorization.k8s.io", "roles"), [role], now=NOW)
    assert [c["name"] for c in role_table["columnDefinitions"]] == ["Name", "Created At"]
    assert role_table["rows"][0]["cells"] == ["reader", "2026-01-01T08:00:00Z"]


# --- through the real kubectl ----------------------------------------------------------------------

class StubAPIServer:
    """A tiny plain-HTTP API server on 127.0.0.1 that kubectl can talk to (`--server http://...`)."""

    def __init__(self, objects: dict[str, list[dict]] | None = None, openapi=None):
        self.objects = objects or {}
        self.openapi = openapi  # the kubenet.apiserver.openapi module, or None to serve no OpenAPI
        self.requests: list[str] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _resource_list(self, group_version: str) -> dict:
        resources = []
        for kind in kinds.kinds_in(group_version):
            resources.append({"name": kind.plural, "singularName": kind.singular_name, "namespaced": kind.namespaced,
                              "kind": kind.kind, "verbs": list(kind.verbs), "shortNames": list(kind.short_names),
                              "categories": list(kind.categories)})
            for sub in kind.subresources:
                resources.append({"name": f"{kind.plural}/{sub}", "singularName": "", "namespaced": kind.namespaced,
                                  "kind": kind.kind, "verbs": ["get", "patch", "update"]})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                "resources": resources}

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        path = request.path
        if path == "/version":
            return web.json_response({"major": "1", "minor": "32", "gitVersion": "v1.32.4", "platform": "linux/amd64"})
        if path == "/api":
            return web.json_response({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self.port}"}]})
        if path == "/apis":
            groups = [{"name": g, "versions": [{"groupVersion": f"{g}/v1", "version": "v1"}],
                       "preferredVersion": {"groupVersion": f"{g}/v1", "version": "v1"}}
                      for g in kinds.GROUP_ORDER if g]
            return web.json_response({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        if path == "/api/v1" or (path.startswith("/apis/") and path.count("/") == 3):
            return web.json_response(self._resource_list(path.removeprefix("/api/").removeprefix("/apis/")))
        if path.startswith("/openapi/") and self.openapi is not None:
            if path == "/openapi/v2":
                return web.Response(body=self.openapi.v2(), content_type="application/json")
            if path == "/openapi/v3":
                return web.json_response(self.openapi.v3_index())
            body = self.openapi.v3(path.removeprefix("/openapi/v3/"))
            if body is not None:
                return web.Response(body=body, content_type="application/json")
        parts = path.strip("/").split("/")
        if len(parts) >= 5 and parts[-3] == "namespaces":
            group = "" if parts[0] == "api" else parts[1]
            kind = kinds.by_resource(group, parts[-1])
            if kind is not None:
                items = self.objects.get(parts[-1], [])
                if "as=Table" in request.headers.get("Accept", ""):
                    return web.json_response(table(kind, items, resource_version="7"))
                return web.json_response({"kind": f"{kind.kind}List", "apiVersion": kind.api_version,
                                          "metadata": {"resourceVersion": "7"}, "items": items})
        return web.json_response({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                  "message": "the server could not find the requested resource", "code": 404},
                                 status=404)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        async def stop() -> None:
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        cache = tempfile.mkdtemp(prefix="kubectl-cache-")
        try:
            env = {**os.environ, "KUBECONFIG": os.path.join(cache, "none")}
            return subprocess.run(["kubectl", "--server", self.url, "--cache-dir", cache, *args], input=stdin,
                                  capture_output=True, text=True, timeout=60, env=env, check=False)
        finally:
            shutil.rmtree(cache, ignore_errors=True)


needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


@needs_kubectl
def test_kubectl_get_pods_prints_the_server_table():
    pod = running_pod("web-1")
    pod["metadata"]["creationTimestamp"] = (datetime.now(UTC) - timedelta(minutes=30, seconds=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with StubAPIServer({"pods": [pod]}) as server:
        result = server.kubectl("get", "pods")
        wide = server.kubectl("get", "pods", "-o", "wide")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert lines[0].startswith("NAME    READY   STATUS    RESTARTS   AGE")
    assert lines[1].split() == ["web-1", "1/1", "Running", "0", "30m"]
    assert wide.stdout.splitlines()[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                                                   "NOMINATED", "NODE", "READINESS", "GATES"]


@needs_kubectl
def test_kubectl_get_deployments_prints_the_deployment_columns():
    with StubAPIServer({"deployments": [deployment()]}) as server:
        result = server.kubectl("get", "deployments")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert result.stdout.splitlines()[1].split()[:4] == ["web", "2/3", "3", "2"]


def test_table_is_json_serialisable():
    json.dumps(table(kinds.by_resource("", "pods"), [running_pod()], now=NOW))

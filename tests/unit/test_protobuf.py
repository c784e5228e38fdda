"""Protobuf bodies from kubectl's typed clients decode to the JSON kubectl would have sent for the same object."""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
from collections.abc import Callable

import pytest
from aiohttp import ClientSession, web

from kubenet.api import kinds
from kubenet.api.protobuf import ProtobufError, _go_duration, decode_object
from kubenet.apiserver import discovery

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="needs kubectl")


# --- a tiny API server for kubectl to talk to, in a thread ---------------------------------------------

class ServerThread:
    """Runs an aiohttp app on 127.0.0.1:<random port> in its own event loop."""

    def __init__(self, make_app: Callable[[], web.Application]):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner = self.call(self._start(make_app))
        self.url = f"http://127.0.0.1:{self.port}"

    async def _start(self, make_app):
        runner = web.AppRunner(make_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = runner.addresses[0][1]
        return runner

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def stop(self):
        self.call(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class CapturingAPI:
    """Answers discovery like kubenet does and keeps every POST body; the created object is a stub."""

    def __init__(self):
        self.posts: list[tuple[str, str, bytes]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        path = request.path
        if path == "/version":
            return web.json_response(discovery.version())  # gitVersion v1.32.4: the dispatcher runs kubectl 1.32
        if path == "/api":
            return web.json_response(discovery.api_versions("127.0.0.1"))
        if path == "/apis":
            return web.json_response(discovery.api_group_list())
        group_version = path.removeprefix("/api/").removeprefix("/apis/")
        if request.method == "GET" and discovery.resource_list(group_version):
            return web.json_response(discovery.resource_list(group_version))
        if request.method == "POST":
            self.posts.append((path, request.headers.get("Content-Type", ""), await request.read()))
            segments = path.split("/")  # /api/v1/.../PLURAL or /apis/GROUP/v1/.../PLURAL
            kind = kinds.by_resource(segments[2] if segments[1] == "apis" else "", segments[-1])
            return web.json_response({"kind": kind.kind, "apiVersion": kind.api_version,
                                      "metadata": {"name": "stub"}}, status=201)
        return web.json_response({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                                  "reason": "NotFound"}, status=404)


@pytest.fixture(scope="module")
def capturing_api():
    api = CapturingAPI()
    server = ServerThread(api.app)
    api.url = server.url
    yield api
    server.stop()


def kubectl(url: str, cache_dir, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([KUBECTL, "--server", url, "--cache-dir", str(cache_dir), *args],
                          check=False, capture_output=True, text=True, timeout=60)


def with_flags(args: tuple[str, ...], *flags: str) -> tuple[str, ...]:
    """Flags go before a `-- command ...` tail."""
    cut = args.index("--") if "--" in args else len(args)
    return (*args[:cut], *flags, *args[cut:])


CREATE_COMMANDS = {
    "configmap": ("create", "configmap", "x", "--from-literal=a=b"),
    "secret": ("create", "secret", "generic", "s", "--from-literal=k=v"),
    "deployment": ("create", "deployment", "d", "--image=nginx", "--replicas=2", "--port=80"),
    "namespace": ("create", "namespace", "n"),
    "job": ("create", "job", "j", "--image=busybox", "--", "echo", "hi"),
    "cronjob": ("create", "cronjob", "c", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"),
    "service-nodeport": ("create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=30001"),
    "service-clusterip": ("create", "service", "clusterip", "hl", "--clusterip=None"),
    "service-externalname": ("create", "service", "externalname", "en", "--external-name=a.com"),
    "serviceaccount": ("create", "serviceaccount", "sa"),
    "role": ("create", "role", "r", "--verb=get", "--resource=pods"),
    "clusterrole": ("create", "clusterrole", "cr", "--verb=get,list", "--resource=pods,deployments.apps"),
    "rolebinding": ("create", "rolebinding", "rb", "--role=r", "--user=u"),
    "clusterrolebinding": ("create", "clusterrolebinding", "crb", "--clusterrole=cr", "--group=g"),
    "ingress": ("create", "ingress", "i", "--rule=a.com/b=svc:80"),
}


@needs_kubectl
@pytest.mark.parametrize("args", CREATE_COMMANDS.values(), ids=CREATE_COMMANDS.keys())
def test_kubectl_create_body_decodes_to_what_dry_run_prints(capturing_api, tmp_path, args):
    capturing_api.posts.clear()
    created = kubectl(capturing_api.url, tmp_path, *args)
    assert created.returncode == 0, created.stderr
    [(_, content_type, body)] = capturing_api.posts
    assert content_type == "application/vnd.kubernetes.protobuf"

    printed = kubectl(capturing_api.url, tmp_path, *with_flags(args, "-o", "json", "--dry-run=client"))
    assert printed.returncode == 0, printed.stderr
    # No normalising needed: `creationTimestamp: null`, `status: {}`, `resources: {}` come out of both.
    assert decode_object(body) == json.loads(printed.stdout)


@needs_kubectl
def test_every_truncation_of_a_real_body_is_a_protobuf_error_or_a_smaller_object(capturing_api, tmp_path):
    capturing_api.posts.clear()
    created = kubectl(capturing_api.url, tmp_path, *CREATE_COMMANDS["deployment"])
    assert created.returncode == 0, created.stderr
    body = capturing_api.posts[0][2]
    for end in range(len(body)):
        try:
            decode_object(body[:end])
        except ProtobufError:
            pass
    for at in range(4, len(body)):  # and every single corrupted byte
        for byte in (0x00, 0x07, 0x80, 0xFF):
            try:
                decode_object(body[:at] + bytes([byte]) + body[at + 1:])
            except ProtobufError:
                pass


# --- kubectl against kubenet's own API server -------------------------------------------------------------

@pytest.fixture(scope="module")
def kubenet_api(tmp_path_factory):
    from kubenet.apiserver import openapi
    from kubenet.apiserver.registry import Registry
    from kubenet.apiserver.server import APIServer
    from kubenet.store.memory import MemoryStore

    openapi.set_cache_dir(str(tmp_path_factory.mktemp("openapi")))  # kubectl create fetches /openapi/v3
    registry = Registry(MemoryStore())
    api = APIServer(registry)
    server = ServerThread(api.app)
    yield server, registry
    server.stop()
    openapi.set_cache_dir(None)


@needs_kubectl
def test_kubectl_create_configmap_works_against_kubenet(kubenet_api, tmp_path):
    server, registry = kubenet_api

    for args in (("create", "namespace", "default"), CREATE_COMMANDS["configmap"], CREATE_COMMANDS["deployment"]):
        done = kubectl(server.url, tmp_path, *args)
        assert done.returncode == 0, done.stderr
    configmap = registry.get(kinds.by_resource("", "configmaps"), "default", "x")
    assert configmap["data"] == {"a": "b"}
    deployment = registry.get(kinds.by_resource("apps", "deployments"), "default", "d")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "protocol": "TCP"}]


def test_a_malformed_protobuf_body_is_a_bad_request(kubenet_api):
    server, _ = kubenet_api

    async def post():
        url = f"{server.url}/api/v1/namespaces/default/configmaps"
        headers = {"Content-Type": "application/vnd.kubernetes.protobuf"}
        async with ClientSession() as session, session.post(url, data=b"k8s\x00\x0a\x05", headers=headers) as response:
            return response.status, await response.json()

    status, body = asyncio.run(post())
    assert status == 400
    assert body["reason"] == "BadRequest" and body["message"] == "unexpected EOF"


# --- hand-built bodies for what kubectl's create commands do not send ----------------------------------

def varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative ints go out as ten-byte two's complement, as Go's int32/int64 do
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def field(number: int, value: int | bytes | str) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return b"k8s\x00" + field(1, field(1, api_version) + field(2, kind)) + field(2, raw)


def pod(metadata: bytes = b"", spec: bytes = b"") -> dict:
    return decode_object(envelope("v1", "Pod", field(1, metadata) + field(2, spec)))


def test_object_meta_timestamps_owner_references_and_managed_fields():
    owner = field(1, "ReplicaSet") + field(3, "rs") + field(4, "uid-1") + field(5, "apps/v1") + field(6, 1)
    managed = field(1, "kubectl") + field(2, "Update") + field(3, "v1") + field(4, field(1, 1704067200)) \
        + field(6, "FieldsV1") + field(7, field(1, b'{"f:metadata":{}}'))
    meta = (field(1, "p") + field(8, field(1, 1704067200) + field(2, 5)) + field(10, 30)
            + field(11, field(1, "app") + field(2, "web")) + field(13, owner) + field(17, managed))
    obj = pod(meta)
    assert obj["kind"] == "Pod" and obj["apiVersion"] == "v1"
    assert obj["metadata"] == {
        "name": "p", "creationTimestamp": "2024-01-01T00:00:00Z", "deletionGracePeriodSeconds": 30,
        "labels": {"app": "web"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "uid-1",
                             "controller": True}],
        "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                           "time": "2024-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:metadata": {}}}],
    }


def test_optional_scalars_are_kept_when_set_even_to_zero():
    spec = field(2, field(1, "app") + field(2, "busybox")) + field(3, "") + field(4, 0)
    obj = pod(spec=spec)
    assert obj["spec"]["terminationGracePeriodSeconds"] == 0  # *int64: set, so printed
    assert "restartPolicy" not in obj["spec"]  # omitempty string, empty
    assert obj["spec"]["containers"][0]["resources"] == {}  # a struct is always printed


def test_negative_int32_and_int64_come_from_ten_byte_varints():
    deployment = decode_object(envelope("apps/v1", "Deployment", field(2, field(1, -1) + field(6, -3))))
    assert deployment["spec"]["replicas"] == -1
    assert deployment["spec"]["revisionHistoryLimit"] == -3
    assert len(varint(-1)) == 10


def test_int_or_string_quantity_and_packed_repeated_ints():
    container = field(1, "c") + field(8, field(1, field(1, "cpu") + field(2, field(1, "1000m"))))
    security = field(4, varint(3) + varint(4))  # supplementalGroups, packed
    spec = field(2, container) + field(14, security + field(4, 5))  # ... and one unpacked
    obj = pod(spec=spec)
    assert obj["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "1"}}
    assert obj["spec"]["securityContext"]["supplementalGroups"] == [3, 4, 5]
    port = field(1, "http") + field(3, 80) + field(4, field(1, 1) + field(3, "web"))
    service = decode_object(envelope("v1", "Service", field(2, field(1, port))))
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "web"}]
    port = field(3, 80) + field(4, field(1, 0) + field(2, 8080))
    service = decode_object(envelope("v1", "Service", field(2, field(1, port))))
    assert service["spec"]["ports"][0]["targetPort"] == 8080


def test_secret_bytes_are_base64_and_raw_extensions_are_json():
    secret = decode_object(envelope("v1", "Secret", field(2, field(1, "k") + field(2, b"\x00\xff"))))
    assert secret["data"] == {"k": "AP8="}
    revision = decode_object(envelope("apps/v1", "ControllerRevision", field(2, field(1, b'{"spec":{"a":1}}'))
                                      + field(3, 2)))
    assert revision["data"] == {"spec": {"a": 1}} and revision["revision"] == 2


def test_micro_time_keeps_microseconds():
    event = decode_object(envelope("events.k8s.io/v1", "Event", field(2, field(1, 1704067200) + field(2, 123456789))))
    assert event["eventTime"] == "2024-01-01T00:00:00.123456Z"


def test_meta_kinds_decode_in_any_group_version():
    options = decode_object(envelope("v1", "DeleteOptions", field(1, 0) + field(4, "Background") + field(5, "All")))
    assert options == {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
                       "propagationPolicy": "Background", "dryRun": ["All"]}
    eviction = decode_object(envelope("policy/v1", "Eviction", field(1, field(1, "p")) + field(2, field(1, 5))))
    assert eviction["deleteOptions"] == {"gracePeriodSeconds": 5}


def test_unknown_fields_of_every_wire_type_are_skipped():
    unknown = (field(99, 7) + varint(98 << 3 | 1) + bytes(8) + varint(97 << 3 | 5) + bytes(4) + field(96, b"x")
               + varint(95 << 3 | 3) + field(1, 1) + varint(95 << 3 | 4))
    configmap = decode_object(envelope("v1", "ConfigMap", unknown + field(2, field(1, "a") + field(2, "b"))))
    assert configmap == {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"creationTimestamp": None},
                         "data": {"a": "b"}}


def test_go_duration_strings():
    # metav1.Duration prints Go's time.Duration.String(); no served kind has one today.
    assert [_go_duration(n) for n in (0, 1500, 1_500_000, 90 * 10**9, 3600 * 10**9, -(10**9 + 5 * 10**8))] == [
        "0s", "1.5µs", "1.5ms", "1m30s", "1h0m0s", "-1.5s"]


@pytest.mark.parametrize("body,message", [
    (b"", "empty data"),
    (b'{"kind":"Pod"}', "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"),
    (b"k8s\x00", "empty body"),
    (b"k8s\x00\x0a", "unexpected EOF"),
    (b"k8s\x00\x0a\x7f", "unexpected EOF"),
    (b"k8s\x00" + b"\xff" * 11, "proto: integer overflow"),
    (b"k8s\x00\x0e", "proto: illegal wireType 6"),
    (b"k8s\x00\x02\x00", "proto: Unknown: illegal tag 0 (wire type 2)"),
    (b"k8s\x00\x0c", "proto: Unknown: wiretype end group for non-group"),
    (b"k8s\x00\x08\x01", "proto: wrong wireType = 0 for field typeMeta"),
    (envelope("", "Pod", b""), "Object 'apiVersion' is missing in 'runtime.TypeMeta{APIVersion:\"\", Kind:\"Pod\"}'"),
    (envelope("v1", "", b""), "Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:\"v1\", Kind:\"\"}'"),
    (envelope("v1", "Widget", b""), 'no kind "Widget" is registered for version "v1"'),
    (envelope("v1", "Pod", field(1, 5)),
     'Pod in version "v1" cannot be handled as a Pod: proto: wrong wireType = 0 for field metadata'),
    (envelope("apps/v1", "Deployment", field(2, field(1, b"x"))),
     'Deployment in version "v1" cannot be handled as a Deployment: proto: wrong wireType = 2 for field replicas'),
    (envelope("v1", "Service", field(2, field(1, field(4, field(1, 2))))),
     'Service in version "v1" cannot be handled as a Service: impossible IntOrString.Type 2'),
    (envelope("v1", "Pod", field(2, field(2, field(8, field(1, field(1, "cpu") + field(2, field(1, "1 cpu"))))))),
     ("Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression "
      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")),
    (envelope("apps/v1", "ControllerRevision", field(2, field(1, b"{nope"))),
     ('ControllerRevision in version "v1" cannot be handled as a ControllerRevision: RawExtension is not JSON: '
      "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)")),
])
def test_malformed_bodies_are_protobuf_errors_with_the_servers_words(body, message):
    with pytest.raises(ProtobufError) as caught:
        decode_object(body)
    assert str(caught.value) == message

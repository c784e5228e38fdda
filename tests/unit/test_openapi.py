"""OpenAPI v2/v3 documents generated from the `kubernetes` client models, and strict field validation."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from aiohttp import web

from kubenet.api import kinds
from kubenet.apiserver import openapi
from tests.unit.test_tables import StubAPIServer, needs_kubectl

META = "io.k8s.apimachinery.pkg.apis.meta.v1"


@pytest.fixture(scope="module", autouse=True)
def openapi_cache(tmp_path_factory):
    """Build once per module into a temporary cache (never into the repository or /var/lib)."""
    root = tmp_path_factory.mktemp("openapi-cache")
    openapi.set_cache_dir(str(root))
    openapi.ensure_built()  # runs `python -m kubenet.apiserver.openapi build DIR` in a subprocess
    yield root
    openapi.set_cache_dir(None)


def valid_deployment() -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {"team": "net"}},
        "spec": {
            "replicas": 3, "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{
                    "name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80, "name": "http"}],
                    "env": [{"name": "MODE", "value": "prod"},
                            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
                    "resources": {"limits": {"cpu": "500m", "memory": "64Mi"}, "requests": {"cpu": 0.1}},
                    "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 5},
                    "volumeMounts": [{"name": "html", "mountPath": "/usr/share/nginx/html"}],
                }], "volumes": [{"name": "html", "emptyDir": {"sizeLimit": "1Gi"}}],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]},
            },
        },
        "status": {"replicas": 3, "conditions": [{"type": "Available", "status": "True",
                                                   "lastUpdateTime": "2026-01-01T00:00:00Z"}]},
    }


def valid_service() -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"type": "NodePort", "selector": {"app": "web"},
                     "ports": [{"name": "http", "port": 8099, "targetPort": 80, "nodePort": 30080,
                                "protocol": "TCP"}]}}


# --- documents -------------------------------------------------------------------------------------

def test_v2_names_definitions_like_kubernetes_and_tags_gvks():
    doc = json.loads(openapi.v2())
    assert doc["swagger"] == "2.0"
    definitions = doc["definitions"]
    assert definitions["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"] == [
        {"group": "", "kind": "Pod", "version": "v1"}]
    assert definitions["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}]
    assert definitions["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["template"]["$ref"] == (
        "#/definitions/io.k8s.api.core.v1.PodTemplateSpec")
    assert definitions["io.k8s.api.core.v1.ServicePort"]["properties"]["targetPort"]["$ref"] == (
        "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString")
    assert definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == "int-or-string"
    limits = definitions["io.k8s.api.core.v1.ResourceRequirements"]["properties"]["limits"]
    assert limits["additionalProperties"]["$ref"] == "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity"
    assert definitions[f"{META}.ObjectMeta"]["properties"]["creationTimestamp"]["$ref"] == (
        f"#/definitions/{META}.Time")
    containers = definitions["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert "containers" in definitions["io.k8s.api.core.v1.PodSpec"]["required"]


def test_v3_index_lists_every_group_version_with_a_hash():
    paths = openapi.v3_index()["paths"]
    expected = {"api/v1" if gv == "v1" else f"apis/{gv}" for gv in kinds.group_versions()}
    assert set(paths) == expected
    url = paths["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=") and len(url.rpartition("=")[2]) == 128
    assert openapi.v3("apis/apps/v1") is not None and openapi.v3("/openapi/v3/api/v1?hash=x") is not None
    assert openapi.v3("apis/nope/v1") is None


@pytest.mark.parametrize("kind", [k for k in kinds.KINDS if "patch" in k.verbs], ids=str)
def test_every_patch_operation_accepts_field_validation(kind):
    """kubectl decides that the server validates fields by finding this parameter (QueryParamVerifierV3)."""
    gv_path = "api/v1" if kind.group == "" else f"apis/{kind.api_version}"
    doc = json.loads(openapi.v3(gv_path))
    patches = [item["patch"] for item in doc["paths"].values() if "patch" in item and
               item["patch"]["x-kubernetes-group-version-kind"] == {"group": kind.group, "kind": kind.kind,
                                                                     "version": kind.version}]
    assert patches, f"no PATCH operation for {kind.kind}"
    for patch in patches:
        assert {"name": "fieldValidation", "in": "query"}.items() <= next(
            p for p in patch["parameters"] if p["name"] == "fieldValidation").items()
    schemas = doc["components"]["schemas"]
    assert any({"group": kind.group, "kind": kind.kind, "version": kind.version} in
               s.get("x-kubernetes-group-version-kind", []) for s in schemas.values())


def test_v3_refs_resolve_inside_each_document():
    for gv_path in openapi.v3_index()["paths"]:
        text = openapi.v3(gv_path).decode()
        doc = json.loads(text)
        refs = {part.split('"')[0] for part in text.split('"$ref":"#/components/schemas/')[1:]}
        assert refs <= set(doc["components"]["schemas"]), gv_path


# --- unknown_fields ---------------------------------------------------------------------------------

def test_a_misspelt_field_is_unknown():
    deployment = valid_deployment()
    deployment["spec"]["replicass"] = deployment["spec"].pop("replicas")
    deployment["spec"]["template"]["spec"]["containers"][0]["imagee"] = "x"
    # named as the API server's strict decoder names them, in the order the body lists them
    assert openapi.unknown_fields(kinds.by_resource("apps", "deployments"), deployment) == [
        "spec.template.spec.containers[0].imagee", "spec.replicass"]


def test_realistic_objects_have_no_unknown_fields():
    assert openapi.unknown_fields(kinds.by_resource("apps", "deployments"), valid_deployment()) == []
    assert openapi.unknown_fields(kinds.by_resource("", "services"), valid_service()) == []


def test_status_and_metadata_are_checked_too():
    service = valid_service()
    service["status"] = {"loadBalancer": {"ingress": [{"ip": "172.18.255.200", "hostnam": "x"}]}}
    service["metadata"]["lables"] = {}
    assert sorted(openapi.unknown_fields(kinds.by_resource("", "services"), service)) == [
        "metadata.lables", "status.loadBalancer.ingress[0].hostnam"]


def test_free_form_fields_accept_anything():
    revision = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r1"},
                "revision": 1, "data": {"spec": {"anything": {"goes": True}}}}
    assert openapi.unknown_fields(kinds.by_resource("apps", "controllerrevisions"), revision) == []


# --- with the real kubectl --------------------------------------------------------------------------

class ValidatingStub(StubAPIServer):
    """Answers writes like a real server with fieldValidation=Strict: 400 on unknown fields."""

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method not in ("POST", "PUT", "PATCH"):
            return await super()._handle(request)
        self.requests.append(f"{request.method} {request.path_qs}")
        parts = request.path.strip("/").split("/")
        kind = kinds.by_resource("" if parts[0] == "api" else parts[1], parts[-1])
        body = await request.json()
        unknown = openapi.unknown_fields(kind, body)
        if unknown and request.query.get("fieldValidation") == "Strict":
            message = (f'{kind.kind} in version "{kind.version}" cannot be handled as a {kind.kind}: '
                       + "strict decoding error: " + ", ".join(f'unknown field "{u}"' for u in unknown))
            return web.json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                      "message": message, "reason": "BadRequest", "code": 400}, status=400)
        return web.json_response(body, status=201)


DEPLOY_YAML = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicass: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
        resources: {limits: {cpu: 1, memory: 64Mi}}
"""


@needs_kubectl
def test_kubectl_explain_reads_our_v3_document():
    with StubAPIServer(openapi=openapi) as server:
        result = server.kubectl("explain", "deployment.spec.replicas")
        target_port = server.kubectl("explain", "svc.spec.ports.targetPort")
        limits = server.kubectl("explain", "pod.spec.containers.resources.limits")
    assert result.returncode == 0, result.stderr
    assert "FIELD: targetPort <IntOrString>" in target_port.stdout
    assert "FIELD: limits <map[string]Quantity>" in limits.stdout
    assert "FIELD: replicas <integer>" in result.stdout
    assert "Number of desired pods." in result.stdout


@needs_kubectl
def test_kubectl_leaves_strict_validation_to_the_server_and_shows_its_error():
    with ValidatingStub(openapi=openapi) as server:
        client_side = server.kubectl("create", "--dry-run=client", "-o", "name", "--validate=strict", "-f", "-",
                                     stdin=DEPLOY_YAML)
        server_side = server.kubectl("create", "--dry-run=server", "--validate=strict", "-f", "-", stdin=DEPLOY_YAML)
        fixed = server.kubectl("create", "--dry-run=server", "--validate=strict", "-f", "-",
                               stdin=DEPLOY_YAML.replace("replicass", "replicas"))
    # Our v3 PATCH operations accept fieldValidation, so kubectl (like against a real 1.32 server) skips the
    # client-side schema check and never needs /openapi/v2 ...
    assert client_side.returncode == 0, client_side.stderr
    assert not any(r.startswith("/openapi/v2") for r in server.requests)
    # ... and sends fieldValidation=Strict, where unknown_fields finds the typo.
    assert any("fieldValidation=Strict" in r for r in server.requests if r.startswith("POST"))
    assert server_side.returncode == 1
    assert 'strict decoding error: unknown field "spec.replicass"' in server_side.stderr
    assert fixed.returncode == 0, fixed.stderr


@needs_kubectl
def test_kubectl_apply_accepts_a_valid_manifest_with_validation_on():
    with ValidatingStub(openapi=openapi) as server:
        result = server.kubectl("apply", "-f", "-", stdin=DEPLOY_YAML.replace("replicass", "replicas"))
    assert result.returncode == 0, result.stderr
    assert "deployment.apps/web created" in result.stdout


def test_build_cli_writes_the_documents(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "kubenet.apiserver.openapi", "build", str(out)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["fields.json", "index.json", "v2.json", "v3"]
    usage = subprocess.run([sys.executable, "-m", "kubenet.apiserver.openapi"], capture_output=True, text=True,
                           check=False)
    assert usage.returncode == 2 and "usage" in usage.stderr

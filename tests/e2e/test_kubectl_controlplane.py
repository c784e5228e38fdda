"""The real kubectl against our API server: the seed manifests and the everyday verbs (no nodes: Pods stay Pending)."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import wait_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = ["-f", str(EXAMPLES / "apa000dep.yaml"), "-f", str(EXAMPLES / "apa000ser.yaml")]


def pods(kubectl, selector="app=apa000kube") -> list[dict]:
    items = json.loads(kubectl("get", "pods", "-l", selector, "-o", "json"))["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def replica_sets(kubectl, selector="app=apa000kube") -> list[dict]:
    return json.loads(kubectl("get", "rs", "-l", selector, "-o", "json"))["items"]


def test_seed_hands_on_through_kubectl(control_plane):
    kubectl = control_plane.kubectl
    out = kubectl("apply", *SEED)
    assert "deployment.apps/apa000dep created" in out and "service/apa000ser created" in out
    wait_for(lambda: len(pods(kubectl)) == 3, what="3 pods")

    table = kubectl("get", "deploy,rs,pods,svc")
    assert "NAME                        READY   UP-TO-DATE   AVAILABLE   AGE" in table
    assert "DESIRED   CURRENT   READY   AGE" in table
    assert "TYPE        CLUSTER-IP" in table and "8099:30080/TCP" in table
    assert "STATUS    RESTARTS   AGE" in table and "Pending" in table

    # replicas 5 and re-apply scales
    manifest = (EXAMPLES / "apa000dep.yaml").read_text().replace("replicas: 3", "replicas: 5")
    assert "configured" in kubectl("apply", "-f", "-", input=manifest)
    wait_for(lambda: len(pods(kubectl)) == 5, what="5 pods")

    # a new image makes a second ReplicaSet with revision 2; rollout undo returns to the first
    first = replica_sets(kubectl)[0]["metadata"]["name"]
    kubectl("apply", "-f", "-", input=manifest.replace("image: httpd", "image: nginx"))
    wait_for(lambda: len(replica_sets(kubectl)) == 2, what="a second ReplicaSet")
    revisions = {rs["metadata"]["name"]: rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                 for rs in replica_sets(kubectl)}
    assert revisions[first] == "1" and sorted(revisions.values()) == ["1", "2"]
    assert "rolled back" in kubectl("rollout", "undo", "deployment/apa000dep")
    wait_for(lambda: {rs["metadata"]["name"]: rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                      for rs in replica_sets(kubectl)}.get(first) == "3", what="the first RS at revision 3")
    template = json.loads(kubectl("get", "deploy", "apa000dep", "-o", "json"))["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "httpd"

    # deleting a Pod gets a replacement
    before = pods(kubectl)
    victim = before[0]["metadata"]["name"]
    kubectl("delete", "pod", victim, "--wait=false")
    wait_for(lambda: victim not in {p["metadata"]["name"] for p in pods(kubectl)} and
             len(pods(kubectl)) == len(before), what="a replacement pod")

    # delete -f removes everything by cascade
    kubectl("delete", *SEED)
    wait_for(lambda: not pods(kubectl) and not replica_sets(kubectl), what="cascade delete")
    assert "NotFound" in kubectl("get", "svc", "apa000ser", check=False)


def test_get_output_formats_and_describe(control_plane):
    kubectl = control_plane.kubectl
    kubectl("create", "deployment", "fmt", "--image=nginx", "--replicas=2")
    wait_for(lambda: len(pods(kubectl, "app=fmt")) == 2, what="pods of fmt")
    doc = yaml.safe_load(kubectl("get", "deploy", "fmt", "-o", "yaml"))
    assert doc["kind"] == "Deployment" and doc["spec"]["replicas"] == 2
    assert json.loads(kubectl("get", "deploy", "fmt", "-o", "json"))["metadata"]["name"] == "fmt"
    assert kubectl("get", "deploy", "fmt", "-o", "jsonpath={.spec.template.spec.containers[0].image}") == "nginx"
    wide = kubectl("get", "deploy", "fmt", "-o", "wide")
    assert "CONTAINERS   IMAGES   SELECTOR" in wide and "app=fmt" in wide
    described = kubectl("describe", "deployment", "fmt")
    assert "Replicas:" in described and "ScalingReplicaSet" in described
    rs = replica_sets(kubectl, "app=fmt")[0]["metadata"]["name"]
    assert "SuccessfulCreate" in kubectl("describe", "rs", rs)
    pod = pods(kubectl, "app=fmt")[0]["metadata"]["name"]
    wait_for(lambda: "FailedScheduling" in kubectl("describe", "pod", pod), what="FailedScheduling in describe")


def test_imperative_verbs(control_plane):
    kubectl = control_plane.kubectl
    kubectl("create", "deployment", "verbs", "--image=httpd")
    assert "service/verbs exposed" in kubectl("expose", "deployment", "verbs", "--port=80", "--type=NodePort")
    assert "pod/runner created" in kubectl("run", "runner", "--image=busybox", "--", "sleep", "3600")
    assert "scaled" in kubectl("scale", "deployment", "verbs", "--replicas=3")
    assert json.loads(kubectl("get", "deploy", "verbs", "-o", "json"))["spec"]["replicas"] == 3
    kubectl("label", "pod", "runner", "tier=debug")
    kubectl("annotate", "pod", "runner", "note=hello")
    pod = json.loads(kubectl("get", "pod", "runner", "-o", "json"))
    assert pod["metadata"]["labels"]["tier"] == "debug" and pod["metadata"]["annotations"]["note"] == "hello"
    kubectl("patch", "deploy", "verbs", "--type=merge", "-p", '{"spec":{"replicas":2}}')
    kubectl("patch", "deploy", "verbs", "--type=json", "-p", '[{"op":"replace","path":"/spec/replicas","value":1}]')
    kubectl("patch", "deploy", "verbs", "-p",
            '{"spec":{"template":{"spec":{"containers":[{"name":"httpd","env":[{"name":"A","value":"1"}]}]}}}}')
    deploy = json.loads(kubectl("get", "deploy", "verbs", "-o", "json"))
    assert deploy["spec"]["replicas"] == 1
    assert deploy["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "httpd"

    changed = kubectl("get", "deploy", "verbs", "-o", "yaml").replace("replicas: 1", "replicas: 4", 1)
    diff = kubectl.run("diff", "-f", "-", input=changed)
    assert diff.returncode == 1 and "-  replicas: 1" in diff.stdout and "+  replicas: 4" in diff.stdout

    kubectl("delete", "pod", "runner", "--wait=true", timeout=30)
    assert "NotFound" in kubectl("get", "pod", "runner", check=False)

    ssa = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"a": "1"}}
    assert "serverside-applied" in kubectl("apply", "--server-side", "-f", "-", input=json.dumps(ssa))
    cm = json.loads(kubectl("get", "cm", "ssa", "-o", "json", "--show-managed-fields"))
    assert any(m["manager"] == "kubectl" and m["operation"] == "Apply" for m in cm["metadata"]["managedFields"])

    explained = kubectl("explain", "deployment.spec.replicas")
    assert "FIELD: replicas <integer>" in explained or "replicas" in explained and "integer" in explained


def test_get_watch_prints_changes(control_plane):
    kubectl = control_plane.kubectl
    watcher = kubectl.popen("get", "configmaps", "-w")
    try:
        # The list's first line is out: kubectl watches from the list's resourceVersion now, so a ConfigMap
        # created after this point reaches the watch whenever its request lands.
        assert watcher.stdout.readline()
        kubectl("create", "configmap", "watched", "--from-literal=k=v")
        deadline = time.monotonic() + 10
        seen = ""
        while time.monotonic() < deadline and "watched" not in seen:
            line = watcher.stdout.readline()
            seen += line
        assert "watched" in seen
    finally:
        watcher.kill()
        watcher.wait()


@pytest.mark.parametrize("manifest,message", [
    ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bad-np"},
      "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 80}]}},
     ('The Service "bad-np" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the '
      "valid range. The range of valid ports is 30000-32767")),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad-sel"},
      "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {"metadata": {"labels": {"app": "b"}},
               "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}},
     "`selector` does not match template `labels`"),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "Bad_Name"},
      "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
     'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of'),
])
def test_invalid_objects_get_kubernetes_messages(control_plane, manifest, message):
    out = control_plane.kubectl("apply", "-f", "-", input=json.dumps(manifest), check=False)
    assert message in out


def test_unknown_resource_and_missing_object(control_plane):
    kubectl = control_plane.kubectl
    assert 'pods "nope" not found' in kubectl("get", "pod", "nope", check=False)
    out = kubectl("get", "--raw", "/api/v1/namespaces/default/nothings", check=False)
    assert "the server could not find the requested resource" in out


def test_python_client_list_create_watch_and_410(control_plane):
    script = f"""
import threading, time
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
config.load_kube_config(config_file={str(control_plane.kubeconfig)!r})
v1 = client.CoreV1Api()
rv = v1.list_namespaced_config_map("default").metadata.resource_version
seen = []
def run():
    for ev in watch.Watch().stream(v1.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=5):
        seen.append((ev["type"], ev["object"].metadata.name))
        if ev["object"].metadata.name == "py-cm":
            break
t = threading.Thread(target=run); t.start()  # from rv: it sees py-cm whenever its watch request lands
v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm"),
                                                                 data={{"x": "1"}}))
t.join(10)
print("WATCH", seen[-1] if seen else None)
print("LIST", "py-cm" in [c.metadata.name for c in v1.list_namespaced_config_map("default").items])
"""
    out = subprocess.run(["python3", "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert "WATCH ('ADDED', 'py-cm')" in out.stdout, out.stdout + out.stderr
    assert "LIST True" in out.stdout

    # A watch from a revision the store has compacted away gets 410 Gone (as an ERROR event, like etcd's).
    store = control_plane.plane.store
    control_plane.run(_compact(store))
    gone = f"""
from kubernetes import client, config, watch
config.load_kube_config(config_file={str(control_plane.kubeconfig)!r})
v1 = client.CoreV1Api()
try:
    for ev in watch.Watch().stream(v1.list_namespaced_config_map, "default", resource_version="1", timeout_seconds=3):
        print("EVENT", ev["type"])
except client.rest.ApiException as e:
    print("STATUS", e.status, e.reason)
"""
    out = subprocess.run(["python3", "-c", gone], capture_output=True, text=True, timeout=60, check=False)
    assert "STATUS 410" in out.stdout, out.stdout + out.stderr


async def _compact(store) -> None:
    store.compact(store.revision)


def test_apply_a_list_document(control_plane):
    # kubectl validates a `kind: List` client-side, fetching /openapi/v2 as protobuf first.
    listed = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "from-list"}, "data": {"a": "1"}}]}
    assert "configmap/from-list created" in control_plane.kubectl("apply", "-f", "-", input=json.dumps(listed))


def test_auth_can_i_and_whoami(control_plane):
    kubectl = control_plane.kubectl
    assert kubectl("auth", "can-i", "create", "deployments").strip() == "yes"
    who = kubectl("auth", "whoami")
    assert "kubernetes-admin" in who and "system:masters" in who
    assert "MethodNotAllowed" in kubectl("get", "--raw", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                                         check=False) or "method" in kubectl(
        "get", "--raw", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", check=False).lower()

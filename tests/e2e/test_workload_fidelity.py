"""What a real cluster shows that tutorials rely on: ReplicationControllers, adoption of orphans, the root CA
ConfigMap, and the control plane as mirror Pods in kube-system (the real kubectl throughout)."""
from __future__ import annotations

import json
import re

import pytest

from kubenet.cluster import control_plane_pods
from tests.e2e.conftest import wait_for

RC = """
apiVersion: v1
kind: ReplicationController
metadata:
  name: nginx
spec:
  replicas: 3
  selector:
    app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx
"""

STS = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
  replicas: 2
  podManagementPolicy: Parallel
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx
"""


def live_pods(kubectl, selector: str, namespace: str = "default") -> list[dict]:
    items = json.loads(kubectl("get", "pods", "-n", namespace, "-l", selector, "-o", "json"))["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def test_replication_controller_get_scale_and_get_all(control_plane):
    kubectl = control_plane.kubectl
    assert "replicationcontroller/nginx created" in kubectl("apply", "-f", "-", input=RC)
    wait_for(lambda: len(live_pods(kubectl, "app=nginx")) == 3, what="3 pods of the RC")
    table = kubectl("get", "rc")
    assert re.search(r"^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\n", table), table
    wait_for(lambda: re.search(r"^nginx\s+3\s+3\s+0\s+\S+$", kubectl("get", "rc"), re.MULTILINE), what="CURRENT 3")
    assert "app=nginx" in kubectl("get", "rc", "nginx", "-o", "wide")
    assert "replicationcontroller/nginx scaled" in kubectl("scale", "rc", "nginx", "--replicas=1")
    wait_for(lambda: len(live_pods(kubectl, "app=nginx")) == 1, what="scaled down to 1")
    assert "replicationcontroller/nginx" in kubectl("get", "all")
    events = kubectl("get", "events", "--field-selector", "involvedObject.kind=ReplicationController")
    assert "SuccessfulCreate" in events and "replication-controller" in kubectl("describe", "rc", "nginx")
    kubectl("delete", "rc", "nginx")
    wait_for(lambda: not live_pods(kubectl, "app=nginx"), what="the RC's pods collected")


def test_orphaned_statefulset_pods_are_adopted_by_a_reapply(control_plane):
    """The issue's story: delete --cascade=orphan, re-apply, and a later delete removes the Pods again."""
    kubectl = control_plane.kubectl
    kubectl("apply", "-f", "-", input=STS)
    wait_for(lambda: len(live_pods(kubectl, "app=web")) == 2, what="web-0 and web-1")
    kubectl("delete", "statefulset", "web", "--cascade=orphan")
    wait_for(lambda: all(not p["metadata"].get("ownerReferences") for p in live_pods(kubectl, "app=web")),
             what="orphaned pods")
    uid_before = json.loads(kubectl("get", "pod", "web-1", "-o", "json"))["metadata"]["uid"]
    kubectl("apply", "-f", "-", input=STS)
    sts_uid = json.loads(kubectl("get", "sts", "web", "-o", "json"))["metadata"]["uid"]

    def adopted() -> bool:
        pod = json.loads(kubectl("get", "pod", "web-1", "-o", "json"))
        refs = pod["metadata"].get("ownerReferences") or []
        return [(r["kind"], r["uid"], r.get("controller")) for r in refs] == [("StatefulSet", sts_uid, True)] and \
            pod["metadata"]["uid"] == uid_before
    wait_for(adopted, what="web-1 adopted by the new StatefulSet")
    kubectl("delete", "statefulset", "web")
    wait_for(lambda: not live_pods(kubectl, "app=web"), what="the adopted pods deleted with their owner")


def test_kube_root_ca_configmap_in_every_namespace(control_plane):
    kubectl = control_plane.kubectl
    ca = control_plane.plane.pki.ca_cert.read_text()

    def published(ns: str) -> bool:
        out = kubectl.run("get", "cm", "kube-root-ca.crt", "-n", ns, "-o", "json")
        return out.returncode == 0 and json.loads(out.stdout)["data"] == {"ca.crt": ca}
    for ns in ("default", "kube-system", "kube-public"):
        wait_for(lambda ns=ns: published(ns), what=f"kube-root-ca.crt in {ns}")
    assert re.search(r"^kube-root-ca\.crt\s+1\s+", kubectl("get", "cm", "kube-root-ca.crt"), re.MULTILINE)
    kubectl("create", "namespace", "tutorial")
    wait_for(lambda: published("tutorial"), what="kube-root-ca.crt in a new namespace")
    kubectl("delete", "cm", "kube-root-ca.crt", "-n", "tutorial")
    wait_for(lambda: published("tutorial"), what="kube-root-ca.crt made again")
    kubectl("patch", "cm", "kube-root-ca.crt", "-n", "tutorial", "--type=merge", "-p", '{"data":{"ca.crt":"x"}}')
    wait_for(lambda: published("tutorial"), what="kube-root-ca.crt repaired")


@pytest.mark.root
@pytest.mark.slow
def test_control_plane_mirror_pods_and_their_logs(sandbox_cluster_factory):
    cluster = sandbox_cluster_factory(nodes=1)
    kubectl, node = cluster.kubectl, cluster.config.node_names[0]
    node_ip = cluster.config.node_ip(0)
    names = [f"kube-apiserver-{node}", f"kube-controller-manager-{node}", f"kube-scheduler-{node}"]

    def running() -> dict:
        pods = {p["metadata"]["name"]: p for p in json.loads(kubectl("get", "pods", "-n", "kube-system", "-o",
                                                                    "json"))["items"]}
        ok = all(n in pods and pods[n]["status"].get("phase") == "Running" and
                 not pods[n]["metadata"].get("deletionTimestamp") for n in names)
        return pods if ok else {}
    pods = wait_for(running, what="the control-plane mirror pods Running")
    assert not any(n.startswith("etcd") for n in pods)  # the store is SQLite, as on k3s
    table = kubectl("get", "pods", "-n", "kube-system", "-o", "wide")
    for n in names:
        row = rf"^{n}\s+1/1\s+Running\s+0\s+\S+\s+{re.escape(node_ip)}\s+{node}\s"
        assert re.search(row, table, re.MULTILINE), table
    api = pods[names[0]]
    assert api["metadata"]["annotations"]["kubernetes.io/config.source"] == "file"
    assert api["metadata"]["annotations"]["kubernetes.io/config.mirror"]
    assert api["metadata"]["ownerReferences"][0]["kind"] == "Node"
    assert api["spec"]["hostNetwork"] and api["spec"]["priorityClassName"] == "system-node-critical"

    logs = kubectl("logs", "-n", "kube-system", names[0])
    assert re.search(r"^I\d{4} [\d:.]+ +\d+ controlplane\.py:\d+\] Serving securely on ", logs, re.MULTILINE), logs
    assert "Started controllers:" in kubectl("logs", "-n", "kube-system", names[1])
    assert "Starting Kubernetes Scheduler" in kubectl("logs", "-n", "kube-system", names[2])

    old_uid = pods[names[2]]["metadata"]["uid"]
    kubectl("delete", "pod", "-n", "kube-system", names[2], timeout=30)
    wait_for(lambda: (running().get(names[2]) or {}).get("metadata", {}).get("uid") not in (None, old_uid),
             what="the scheduler's mirror pod posted again")

    assert len(control_plane_pods.log_dirs(cluster.config)) == 3
    assert cluster.down().returncode == 0
    assert control_plane_pods.log_dirs(cluster.config) == []  # `down` leaves no static Pod logs behind

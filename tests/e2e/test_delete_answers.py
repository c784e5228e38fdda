"""What a DELETE answers, kind by kind, as the real registry does (generic Store.Delete / finalizeDelete):
the deleted object where the storage sets ReturnDeletedObject, a Success Status elsewhere, and the object with
its deletionTimestamp while finalizers or a grace period hold it."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.e2e.test_api_errors import call

NS = "/api/v1/namespaces/default"


def _create(plane, path: str, obj: dict) -> dict:
    status, created = call(plane, "POST", path, json.dumps(obj).encode())
    assert status == 201, created
    return created


def test_a_service_delete_answers_the_deleted_service(control_plane):
    created = _create(control_plane, f"{NS}/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "del-svc"},
        "spec": {"ports": [{"port": 80}], "selector": {"app": "x"}}})
    status, answer = call(control_plane, "DELETE", f"{NS}/services/del-svc")
    assert status == 200
    assert answer["kind"] == "Service" and answer["metadata"]["uid"] == created["metadata"]["uid"]
    assert answer["spec"]["clusterIP"] == created["spec"]["clusterIP"]
    assert call(control_plane, "GET", f"{NS}/services/del-svc")[0] == 404


@pytest.mark.parametrize("path,obj", [
    (f"{NS}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "del-cm"}}),
    ("/apis/apps/v1/namespaces/default/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "del-deploy"},
        "spec": {"selector": {"matchLabels": {"app": "d"}}, "template": {
            "metadata": {"labels": {"app": "d"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}),
])
def test_most_kinds_answer_a_success_status(control_plane, path, obj):
    created = _create(control_plane, path, obj)
    name = obj["metadata"]["name"]
    status, answer = call(control_plane, "DELETE", f"{path}/{name}")
    assert status == 200
    group = path.split("/")[2] if path.startswith("/apis/") else None
    details = {"name": name, "kind": path.rsplit("/", 1)[1], "uid": created["metadata"]["uid"]}
    if group:
        details["group"] = group
    assert answer == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def test_unscheduled_pod_and_serviceaccount_answer_the_object(control_plane):
    _create(control_plane, f"{NS}/serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount",
                                                      "metadata": {"name": "del-sa"}})
    status, answer = call(control_plane, "DELETE", f"{NS}/serviceaccounts/del-sa")
    assert status == 200 and answer["kind"] == "ServiceAccount" and answer["metadata"]["name"] == "del-sa"
    _create(control_plane, f"{NS}/pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "del-pod"},
                                          "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    status, answer = call(control_plane, "DELETE", f"{NS}/pods/del-pod")
    # Not scheduled: deleted at once, marked with a zero grace period on the way out.
    assert status == 200 and answer["kind"] == "Pod"
    assert answer["metadata"]["deletionGracePeriodSeconds"] == 0 and answer["metadata"]["deletionTimestamp"]
    assert call(control_plane, "GET", f"{NS}/pods/del-pod")[0] == 404


def test_an_object_held_by_a_finalizer_comes_back_with_its_deletion_timestamp(control_plane):
    _create(control_plane, f"{NS}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                "metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    status, answer = call(control_plane, "DELETE", f"{NS}/configmaps/held")
    assert status == 200 and answer["kind"] == "ConfigMap"
    assert answer["metadata"]["deletionTimestamp"] and answer["metadata"]["finalizers"] == ["example.com/hold"]
    # Cascading with orphanDependents=false on an object that stays: 202 Accepted.
    status, answer = call(control_plane, "DELETE", f"{NS}/configmaps/held",
                          json.dumps({"orphanDependents": False}).encode())
    assert status == 202 and "foregroundDeletion" in answer["metadata"]["finalizers"]
    status, _ = call(control_plane, "PATCH", f"{NS}/configmaps/held",
                     json.dumps({"metadata": {"finalizers": None}}).encode(), "application/merge-patch+json")
    assert status == 200
    assert call(control_plane, "GET", f"{NS}/configmaps/held")[0] == 404


def test_a_namespace_delete_answers_the_terminating_namespace(control_plane):
    _create(control_plane, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                  "metadata": {"name": "del-ns"}})
    status, answer = call(control_plane, "DELETE", "/api/v1/namespaces/del-ns")
    assert status == 200 and answer["kind"] == "Namespace"
    assert answer["status"]["phase"] == "Terminating" and answer["metadata"]["deletionTimestamp"]


def test_dry_run_delete_answers_like_the_real_one_and_keeps_the_object(control_plane):
    _create(control_plane, f"{NS}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                "metadata": {"name": "dry"}})
    status, answer = call(control_plane, "DELETE", f"{NS}/configmaps/dry?dryRun=All")
    assert status == 200 and answer["kind"] == "Status" and answer["details"]["name"] == "dry"
    assert call(control_plane, "GET", f"{NS}/configmaps/dry")[0] == 200


def test_deletecollection_answers_the_list_it_deleted(control_plane):
    for name in ("coll-a", "coll-b"):
        _create(control_plane, f"{NS}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                    "metadata": {"name": name, "labels": {"coll": "yes"}}})
    status, answer = call(control_plane, "DELETE", f"{NS}/configmaps?labelSelector=coll%3Dyes")
    assert status == 200 and answer["kind"] == "ConfigMapList"
    assert sorted(i["metadata"]["name"] for i in answer["items"]) == ["coll-a", "coll-b"]
    assert call(control_plane, "GET", f"{NS}/configmaps?labelSelector=coll%3Dyes")[1]["items"] == []


def test_python_client_delete_namespaced_service(control_plane):
    script = f"""
from kubernetes import client, config
config.load_kube_config(config_file={str(control_plane.kubeconfig)!r})
v1 = client.CoreV1Api()
svc = client.V1Service(metadata=client.V1ObjectMeta(name="py-del"),
                       spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)], selector={{"app": "x"}}))
made = v1.create_namespaced_service("default", svc)
gone = v1.delete_namespaced_service("py-del", "default")
print("DELETED", type(gone).__name__, gone.metadata.name, gone.spec.cluster_ip == made.spec.cluster_ip)
v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-del-cm")))
answer = v1.delete_namespaced_config_map("py-del-cm", "default")  # this client types it as a plain dict
print("STATUS", answer["kind"], answer["status"])
"""
    out = subprocess.run(["python3", "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert "DELETED V1Service py-del True" in out.stdout, out.stdout + out.stderr
    assert "STATUS Status Success" in out.stdout, out.stdout + out.stderr


def test_kubectl_delete_prints_what_it_printed_before(control_plane):
    kubectl = control_plane.kubectl
    kubectl("create", "service", "clusterip", "kd-svc", "--tcp=80:80")
    kubectl("create", "configmap", "kd-cm")
    assert kubectl("delete", "svc", "kd-svc").strip() == 'service "kd-svc" deleted'
    assert kubectl("delete", "cm", "kd-cm").strip() == 'configmap "kd-cm" deleted'


def test_a_scheduled_pod_comes_back_in_its_grace_period_then_goes_with_grace_zero(control_plane):
    _create(control_plane, f"{NS}/pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "graceful"},
                                          "spec": {"nodeName": "ghost-node",
                                                   "containers": [{"name": "c", "image": "nginx"}]}})
    status, answer = call(control_plane, "DELETE", f"{NS}/pods/graceful")
    assert status == 200 and answer["kind"] == "Pod"
    assert answer["metadata"]["deletionGracePeriodSeconds"] == 30 and answer["metadata"]["deletionTimestamp"]
    assert call(control_plane, "GET", f"{NS}/pods/graceful")[0] == 200  # the kubelet has yet to stop it
    status, answer = call(control_plane, "DELETE", f"{NS}/pods/graceful",
                          json.dumps({"gracePeriodSeconds": 0}).encode())
    assert status == 200 and answer["kind"] == "Pod" and answer["metadata"]["deletionGracePeriodSeconds"] == 0
    assert call(control_plane, "GET", f"{NS}/pods/graceful")[0] == 404


def test_a_repeated_delete_of_an_object_still_held_writes_nothing(control_plane):
    """A second DELETE of an object a finalizer holds changes nothing, so etcd3's GuaranteedUpdate skips the
    write: same resourceVersion, no MODIFIED event for watchers (it was bumped on every repeat)."""
    _create(control_plane, f"{NS}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                "metadata": {"name": "held-twice", "finalizers": ["example.com/h"]}})
    first = call(control_plane, "DELETE", f"{NS}/configmaps/held-twice")[1]
    status, again = call(control_plane, "DELETE", f"{NS}/configmaps/held-twice")
    assert status == 200 and again == first
    assert call(control_plane, "GET", f"{NS}/configmaps/held-twice")[1]["metadata"]["resourceVersion"] == \
        first["metadata"]["resourceVersion"]
    call(control_plane, "PATCH", f"{NS}/configmaps/held-twice", json.dumps({"metadata": {"finalizers": None}}).encode(),
         "application/merge-patch+json")

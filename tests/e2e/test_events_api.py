"""kubectl sees one set of Events through core/v1 and events.k8s.io/v1, as on a real cluster."""
from __future__ import annotations

import json

from tests.e2e.conftest import wait_for

NEW_EVENT = {
    "apiVersion": "events.k8s.io/v1", "kind": "Event",
    "metadata": {"name": "backup.snapshot-1", "namespace": "default"},
    "eventTime": "2024-01-01T00:00:00.000000Z", "reportingController": "example.com/backup",
    "reportingInstance": "backup-0", "action": "Snapshot", "reason": "SnapshotTaken", "type": "Normal",
    "note": "snapshot of the volume taken",
    "regarding": {"kind": "ConfigMap", "namespace": "default", "name": "backup-target", "apiVersion": "v1"},
}


def test_a_controllers_event_is_listed_by_events_k8s_io(control_plane):
    kubectl = control_plane.kubectl
    kubectl("create", "deployment", "evd", "--image=nginx")

    def scaling_event():
        listed = json.loads(kubectl("get", "events.v1.events.k8s.io", "-o", "json"))
        return next((e for e in listed["items"] if e.get("reason") == "ScalingReplicaSet"
                     and e["regarding"].get("name") == "evd"), None)
    event = wait_for(scaling_event, what="a ScalingReplicaSet event through events.k8s.io")
    assert event["apiVersion"] == "events.k8s.io/v1"
    assert event["regarding"]["kind"] == "Deployment"
    assert event["note"].startswith("Scaled up replica set evd-")
    assert event["reportingController"] == "deployment-controller"
    # the same object, under the same name and resourceVersion, through core/v1
    core = json.loads(kubectl("get", "events", event["metadata"]["name"], "-o", "json"))
    assert core["involvedObject"]["name"] == "evd" and core["message"] == event["note"]
    assert core["metadata"]["resourceVersion"] == event["metadata"]["resourceVersion"]
    # a field selector in the events.k8s.io vocabulary
    selected = json.loads(kubectl("get", "events.events.k8s.io", "--field-selector",
                                  "regarding.kind=Deployment,regarding.name=evd", "-o", "json"))
    assert selected["items"] and all(e["regarding"]["name"] == "evd" for e in selected["items"])


def test_an_event_created_through_events_k8s_io_shows_in_get_events_and_describe(control_plane):
    kubectl = control_plane.kubectl
    kubectl("create", "configmap", "backup-target", "--from-literal=a=b")
    target = json.loads(kubectl("get", "configmap", "backup-target", "-o", "json"))
    event = dict(NEW_EVENT, regarding={**NEW_EVENT["regarding"], "uid": target["metadata"]["uid"]})
    kubectl("create", "-f", "-", input=json.dumps(event))
    table = kubectl("get", "events")
    line = next(row for row in table.splitlines() if "SnapshotTaken" in row)
    assert "configmap/backup-target" in line and "snapshot of the volume taken" in line
    core = json.loads(kubectl("get", "events", "backup.snapshot-1", "-o", "json"))
    assert core["reportingComponent"] == "example.com/backup" and core["action"] == "Snapshot"
    described = kubectl("describe", "configmap", "backup-target")  # selects on involvedObject.uid too
    assert "SnapshotTaken" in described and "snapshot of the volume taken" in described
    # kubectl label sends a strategic merge patch, applied to the events.k8s.io shape and stored as core
    kubectl("label", "events.events.k8s.io", "backup.snapshot-1", "team=storage")
    assert kubectl("get", "events", "-l", "team=storage", "-o", "name") == "event/backup.snapshot-1\n"
    assert "SnapshotTaken" in kubectl("get", "events.events.k8s.io", "-l", "team=storage")
    kubectl("delete", "events.events.k8s.io", "backup.snapshot-1")
    assert "backup.snapshot-1" not in kubectl("get", "events", "-o", "name")


def test_an_events_k8s_io_event_without_its_required_fields_is_invalid(control_plane):
    bare = {key: value for key, value in NEW_EVENT.items()
            if key not in ("eventTime", "reportingController", "reportingInstance", "action")}
    bare["metadata"] = {"name": "bare", "namespace": "default"}
    out = control_plane.kubectl("create", "-f", "-", input=json.dumps(bare), check=False)
    assert 'The Event "bare" is invalid: eventTime: Required value' in out, out
    bare["eventTime"] = NEW_EVENT["eventTime"]
    out = control_plane.kubectl("create", "-f", "-", input=json.dumps(bare), check=False)
    assert "reportingController: Required value" in out and "reportingInstance: Required value" in out, out
    assert "action: Required value" in out, out

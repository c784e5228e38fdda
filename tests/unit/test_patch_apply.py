"""Server-side apply and managedFields, as `kubectl apply --server-side` and other writers see them."""
from __future__ import annotations

import copy

import pytest

from kubenet.api.patch import PatchError, server_side_apply, update_managed_fields

T1, T2, T3, T4 = (f"2025-03-01T1{i}:00:00Z" for i in range(4))


def manifest() -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "fe"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                                                  "ports": [{"containerPort": 80}]}]}},
        },
    }


def stored(obj: dict) -> dict:
    """What the registry adds on create: identity and bookkeeping the managers never own."""
    obj = copy.deepcopy(obj)
    obj["metadata"].update({"uid": "0b6f", "resourceVersion": "7", "generation": 1,
                            "creationTimestamp": "2025-03-01T10:00:00Z"})
    return obj


def entries(obj: dict) -> dict[tuple[str, str], dict]:
    return {(e["manager"], e["operation"]): e for e in obj["metadata"]["managedFields"]}


def test_apply_creates_and_records_what_the_config_sets():
    created = server_side_apply(None, manifest(), "Deployment", "kubectl", False, T1)

    assert created["spec"]["replicas"] == 3
    (entry,) = created["metadata"]["managedFields"]
    assert {k: entry[k] for k in ("manager", "operation", "apiVersion", "time", "fieldsType")} == {
        "manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1", "time": T1, "fieldsType": "FieldsV1"}
    assert entry["fieldsV1"] == {
        "f:metadata": {"f:labels": {"f:app": {}, "f:tier": {}}},
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},  # a LabelSelector is owned as a whole
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:containers": {'k:{"name":"nginx"}': {
                    ".": {}, "f:image": {}, "f:name": {},
                    # keyed by containerPort and protocol, the protocol defaulted to TCP
                    "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}},
                }}},
            },
        },
    }


def test_reapply_without_a_field_removes_it_and_keeps_others_fields():
    live = stored(server_side_apply(None, manifest(), "Deployment", "kubectl", False, T1))
    live["metadata"]["annotations"] = {"note": "set by hand"}
    update_managed_fields(stored(server_side_apply(None, manifest(), "Deployment", "kubectl", False, T1)), live,
                          "kubectl-annotate", "Update", T2)

    config = manifest()
    del config["metadata"]["labels"]["tier"]
    config["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    reapplied = server_side_apply(live, config, "Deployment", "kubectl", False, T3)

    assert reapplied["metadata"]["labels"] == {"app": "web"}
    assert reapplied["metadata"]["annotations"] == {"note": "set by hand"}  # owned by someone else
    assert reapplied["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    applied = entries(reapplied)[("kubectl", "Apply")]
    assert applied["time"] == T3
    assert applied["fieldsV1"]["f:metadata"] == {"f:labels": {"f:app": {}}}
    assert entries(reapplied)[("kubectl-annotate", "Update")]["fieldsV1"] == {
        "f:metadata": {"f:annotations": {".": {}, "f:note": {}}}}


def test_apply_conflicts_with_a_field_another_manager_changed():
    # Created by client-side `kubectl apply`, then applied server-side with a different replica count.
    created = stored(manifest())
    update_managed_fields(None, created, "kubectl-client-side-apply", "Update", T1)
    config = manifest()
    config["spec"]["replicas"] = 5

    with pytest.raises(PatchError) as exc:
        server_side_apply(created, config, "Deployment", "kubectl", False, T2)
    assert exc.value.code == 409 and exc.value.reason == "Conflict"
    assert str(exc.value) == ('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" '
                              "using apps/v1: .spec.replicas")
    assert exc.value.causes == [{"type": "FieldManagerConflict", "field": ".spec.replicas",
                                 "message": 'conflict with "kubectl-client-side-apply" using apps/v1'}]

    # --force-conflicts takes the field over.
    forced = server_side_apply(created, config, "Deployment", "kubectl", True, T2)
    assert forced["spec"]["replicas"] == 5
    other = entries(forced)[("kubectl-client-side-apply", "Update")]["fieldsV1"]
    assert "f:replicas" not in other["f:spec"]
    assert "f:replicas" in entries(forced)[("kubectl", "Apply")]["fieldsV1"]["f:spec"]


def test_several_conflicts_are_listed_per_manager():
    created = stored(manifest())
    update_managed_fields(None, created, "kubectl-create", "Update", T1)
    config = manifest()
    config["spec"]["replicas"] = 1
    config["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    with pytest.raises(PatchError) as exc:
        server_side_apply(created, config, "Deployment", "kubectl", False, T2)
    assert str(exc.value) == ('Apply failed with 2 conflicts: conflicts with "kubectl-create" using apps/v1:\n'
                              "- .spec.replicas\n"
                              '- .spec.template.spec.containers[name="nginx"].image')


def test_applying_the_same_value_another_manager_set_shares_ownership():
    created = stored(manifest())
    update_managed_fields(None, created, "kubectl-create", "Update", T1)
    shared = server_side_apply(created, manifest(), "Deployment", "kubectl", False, T2)
    assert "f:replicas" in entries(shared)[("kubectl-create", "Update")]["fieldsV1"]["f:spec"]
    assert "f:replicas" in entries(shared)[("kubectl", "Apply")]["fieldsV1"]["f:spec"]


def test_apply_refuses_managed_fields_and_another_version():
    config = manifest()
    config["metadata"]["managedFields"] = []
    with pytest.raises(PatchError, match="metadata.managedFields must be nil"):
        server_side_apply(None, config, "Deployment", "kubectl", False, T1)
    config = manifest()
    config["apiVersion"] = "apps/v1beta1"
    with pytest.raises(PatchError) as exc:
        server_side_apply(stored(manifest()), config, "Deployment", "kubectl", False, T1)
    assert str(exc.value) == ("Incorrect version specified in apply patch. Specified patch version: "
                              "apps/v1beta1, expected: apps/v1")


def test_update_on_create_owns_everything_the_request_set():
    created = stored(manifest())
    created["status"] = {"replicas": 0}
    update_managed_fields(None, created, "kubectl-create", "Update", T1)
    (entry,) = created["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["time"]) == ("kubectl-create", "Update", T1)
    fields = entry["fieldsV1"]
    # Maps the request created carry the "." member; structs every Deployment has (spec, template) do not.
    assert fields["f:metadata"] == {"f:labels": {".": {}, "f:app": {}, "f:tier": {}}}
    assert "." not in fields["f:spec"] and "." not in fields["f:spec"]["f:template"]
    assert fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']["f:ports"][
        "."] == {}
    assert "f:status" not in fields  # status is the status subresource's


def test_update_moves_changed_fields_and_leaves_time_alone_on_no_op():
    created = stored(manifest())
    update_managed_fields(None, created, "kubectl-create", "Update", T1)
    scaled = copy.deepcopy(created)
    scaled["spec"]["replicas"] = 4
    update_managed_fields(created, scaled, "kubectl-edit", "Update", T2)
    by = entries(scaled)
    assert by[("kubectl-edit", "Update")]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in by[("kubectl-create", "Update")]["fieldsV1"]["f:spec"]

    again = copy.deepcopy(scaled)
    update_managed_fields(scaled, again, "kubectl-edit", "Update", T3)
    assert entries(again)[("kubectl-edit", "Update")]["time"] == T2


def test_status_writes_are_recorded_with_the_subresource():
    created = stored(manifest())
    update_managed_fields(None, created, "kubectl-create", "Update", T1)
    with_status = copy.deepcopy(created)
    with_status["status"] = {"replicas": 3, "readyReplicas": 3}
    update_managed_fields(created, with_status, "kube-controller-manager", "Update", T2, subresource="status")
    entry = entries(with_status)[("kube-controller-manager", "Update")]
    assert entry["subresource"] == "status"
    assert entry["fieldsV1"] == {"f:status": {"f:readyReplicas": {}, "f:replicas": {}}}


def test_managed_fields_can_be_reset_with_an_empty_entry():
    created = stored(manifest())
    update_managed_fields(None, created, "kubectl-create", "Update", T1)
    reset = copy.deepcopy(created)
    reset["metadata"]["managedFields"] = [{}]
    update_managed_fields(created, reset, "kubectl-patch", "Update", T2)
    assert "managedFields" not in reset["metadata"]


def test_managed_fields_that_do_not_decode_give_way_to_the_live_objects():
    """FieldManager.Update upstream: a client's managedFields whose fieldsV1 is not a tree of objects are
    ignored for the live object's (a PUT with `"f:a": "x"` inside was a 500 'str' object has no attribute)."""
    created = stored(manifest())
    update_managed_fields(None, created, "kubectl-create", "Update", T1)
    hostile = copy.deepcopy(created)
    hostile["metadata"]["managedFields"] = [{"manager": "m", "operation": "Apply", "fieldsType": "FieldsV1",
                                            "fieldsV1": {"f:metadata": {"f:labels": "not an object"}}}]
    hostile["metadata"]["labels"]["tier"] = "be"
    update_managed_fields(created, hostile, "kubectl-edit", "Update", T2)
    managers = [e["manager"] for e in hostile["metadata"]["managedFields"]]
    assert managers == ["kubectl-create", "kubectl-edit"]
    edit = hostile["metadata"]["managedFields"][1]["fieldsV1"]
    assert edit == {"f:metadata": {"f:labels": {"f:tier": {}}}}

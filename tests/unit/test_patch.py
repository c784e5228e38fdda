"""Patches as kubectl sends them, applied the way the API server applies them."""
from __future__ import annotations

import copy

import pytest

from kubenet.api.patch import (
    PatchError,
    json_merge_patch,
    json_patch,
    strategic_merge_patch,
)


def deployment() -> dict:
    """A Deployment as the server stores it after `kubectl apply` (defaults filled in)."""
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "resourceVersion": "41", "generation": 1,
                     "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.25", "imagePullPolicy": "IfNotPresent",
                         "ports": [{"containerPort": 80, "protocol": "TCP"},
                                   {"containerPort": 443, "protocol": "TCP"}],
                         "env": [{"name": "MODE", "value": "prod"}]},
                        {"name": "log", "image": "busybox:1.36", "args": ["tail", "-f", "/var/log/x"]},
                    ],
                    "volumes": [{"name": "cache", "emptyDir": {}}],
                    "restartPolicy": "Always",
                },
            },
        },
        "status": {"replicas": 2},
    }


# --- strategic merge patch ---------------------------------------------------------------------------------------

def test_kubectl_apply_three_way_patch_changes_image_adds_env_and_drops_a_port():
    # What `kubectl apply` sends after the manifest changed image, added LOG_LEVEL and dropped port 443.
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "nginx"}, {"name": "log"}],
        "containers": [{
            "$setElementOrder/env": [{"name": "MODE"}, {"name": "LOG_LEVEL"}],
            "$setElementOrder/ports": [{"containerPort": 80}],
            "name": "nginx", "image": "nginx:1.27",
            "env": [{"name": "LOG_LEVEL", "value": "debug"}],
            "ports": [{"$patch": "delete", "containerPort": 443}],
        }],
    }}}}
    live = deployment()
    patched = strategic_merge_patch(live, patch, "Deployment")

    nginx, log = patched["spec"]["template"]["spec"]["containers"]
    assert nginx["image"] == "nginx:1.27"
    assert nginx["imagePullPolicy"] == "IfNotPresent"  # fields the patch does not name stay
    assert nginx["env"] == [{"name": "MODE", "value": "prod"}, {"name": "LOG_LEVEL", "value": "debug"}]
    assert nginx["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert log == deployment()["spec"]["template"]["spec"]["containers"][1]
    assert live == deployment()  # the input is not touched


def test_plain_patch_adding_a_container_puts_it_first_like_the_real_server():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "debug", "image": "busybox"}]}}}}
    patched = strategic_merge_patch(deployment(), patch, "Deployment")
    assert [c["name"] for c in patched["spec"]["template"]["spec"]["containers"]] == ["debug", "nginx", "log"]


def test_lists_without_a_merge_key_are_replaced_and_null_deletes():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "log", "args": ["sleep", "1"]}],
                                            "restartPolicy": None}}}}
    patched = strategic_merge_patch(deployment(), patch, "Deployment")
    spec = patched["spec"]["template"]["spec"]
    assert spec["containers"][1]["args"] == ["sleep", "1"]
    assert "restartPolicy" not in spec


def test_patch_replace_and_delete_directives():
    replaced = strategic_merge_patch(deployment(), {"metadata": {"labels": {"$patch": "replace", "tier": "fe"}}},
                                     "Deployment")
    assert replaced["metadata"]["labels"] == {"tier": "fe"}

    only = {"spec": {"template": {"spec": {"containers": [{"name": "solo", "image": "x"}, {"$patch": "replace"}]}}}}
    patched = strategic_merge_patch(deployment(), only, "Deployment")
    assert patched["spec"]["template"]["spec"]["containers"] == [{"name": "solo", "image": "x"}]

    gone = strategic_merge_patch(deployment(), {"spec": {"strategy": {"$patch": "delete"}}}, "Deployment")
    assert gone["spec"]["strategy"] == {}


def test_retain_keys_switches_the_deployment_strategy_and_a_volume_source():
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                      "template": {"spec": {"volumes": [
                          {"$retainKeys": ["configMap", "name"], "name": "cache", "configMap": {"name": "cfg"}}]}}}}
    patched = strategic_merge_patch(deployment(), patch, "Deployment")
    assert patched["spec"]["strategy"] == {"type": "Recreate"}
    assert patched["spec"]["template"]["spec"]["volumes"] == [{"name": "cache", "configMap": {"name": "cfg"}}]


def test_finalizers_merge_as_a_set_and_delete_from_primitive_list():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "finalizers": ["a.io/x", "b.io/y"]}}
    added = strategic_merge_patch(pod, {"metadata": {"finalizers": ["c.io/z", "a.io/x"]}}, "Pod")
    assert sorted(added["metadata"]["finalizers"]) == ["a.io/x", "b.io/y", "c.io/z"]
    removed = strategic_merge_patch(pod, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/x"]}}, "Pod")
    assert removed["metadata"]["finalizers"] == ["b.io/y"]


def test_service_ports_merge_on_port():
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
    patched = strategic_merge_patch(svc, {"spec": {"ports": [{"port": 80, "nodePort": 30080}]}}, "Service")
    assert patched["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}]


def test_strategic_merge_patch_errors_read_like_the_server():
    with pytest.raises(PatchError) as bad_type:
        strategic_merge_patch(deployment(), {"metadata": {"labels": {"$patch": "nope"}}}, "Deployment")
    assert str(bad_type.value) == "unknown patch type: nope in map: map[$patch:nope]"
    assert bad_type.value.code == 400  # upstream: 500 (an untyped error); never a 5xx here

    with pytest.raises(PatchError) as no_key:
        strategic_merge_patch(deployment(), {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}},
                              "Deployment")
    assert str(no_key.value) == "map: map[image:x] does not contain declared merge key: name"

    with pytest.raises(PatchError) as retain:
        strategic_merge_patch(deployment(), {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}},
                              "Deployment")
    assert (str(retain.value), retain.value.code) == ("invalid patch format of retainKeys", 400)


# --- JSON merge patch ------------------------------------------------------------------------------------------

def test_merge_patch_as_kubectl_scale_and_label_send_it():
    scaled = json_merge_patch(deployment(), {"spec": {"replicas": 5}})
    assert scaled["spec"]["replicas"] == 5
    assert scaled["spec"]["template"] == deployment()["spec"]["template"]

    labelled = json_merge_patch(deployment(), {"metadata": {"labels": {"app": None, "tier": "fe"}}})
    assert labelled["metadata"]["labels"] == {"tier": "fe"}

    # A merge patch replaces lists whole (RFC 7386), unlike a strategic one.
    replaced = json_merge_patch(deployment(), {"spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}})
    assert replaced["spec"]["template"]["spec"]["containers"] == [{"name": "a"}]


# --- JSON patch --------------------------------------------------------------------------------------------------

def test_json_patch_of_spec_template_as_rollout_undo_sends_it():
    old_template = copy.deepcopy(deployment()["spec"]["template"])
    old_template["spec"]["containers"][0]["image"] = "nginx:1.24"
    ops = [{"op": "replace", "path": "/spec/template", "value": old_template},
           {"op": "replace", "path": "/metadata/annotations", "value": {"deployment.kubernetes.io/revision": "1"}}]
    with pytest.raises(PatchError):  # no annotations yet: replace needs the member to exist
        json_patch(deployment(), ops)
    ops[1]["op"] = "add"
    undone = json_patch(deployment(), ops)
    assert undone["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.24"
    assert undone["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}


def test_json_patch_operations():
    doc = json_patch(deployment(), [
        {"op": "test", "path": "/spec/replicas", "value": 2},
        {"op": "add", "path": "/spec/template/spec/containers/1/args/-", "value": "--verbose"},
        {"op": "add", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "web"},
        {"op": "copy", "from": "/metadata/labels", "path": "/metadata/annotations"},
        {"op": "move", "from": "/spec/replicas", "path": "/spec/minReadySeconds"},
        {"op": "remove", "path": "/spec/template/spec/containers/0/ports/1"},
    ])
    assert doc["spec"]["template"]["spec"]["containers"][1]["args"][-1] == "--verbose"
    assert doc["metadata"]["labels"]["app.kubernetes.io/name"] == "web"
    assert doc["metadata"]["annotations"] == doc["metadata"]["labels"]
    assert "replicas" not in doc["spec"] and doc["spec"]["minReadySeconds"] == 2
    assert len(doc["spec"]["template"]["spec"]["containers"][0]["ports"]) == 1


@pytest.mark.parametrize("op, detail", [
    ({"op": "frobnicate", "path": "/spec"}, "Unexpected kind: frobnicate"),
    ({"op": "add", "path": "/spec/nothere/x", "value": 1},
     'add operation does not apply: doc is missing path: "/spec/nothere/x": missing value'),
    ({"op": "remove", "path": "/metadata/annotations"},
     ("error in remove for path: '/metadata/annotations': Unable to remove nonexistent key: annotations: "
     "missing value")),
    ({"op": "replace", "path": "/spec/paused", "value": True},
     "replace operation does not apply: doc is missing key: /spec/paused: missing value"),
    ({"op": "test", "path": "/spec/replicas", "value": 3}, "testing value /spec/replicas failed: test failed"),
    ({"op": "remove", "path": "/spec/template/spec/containers/7"},
     ("error in remove for path: '/spec/template/spec/containers/7': Unable to access invalid index: 7: "
     "invalid index referenced")),
])
def test_json_patch_that_does_not_apply_is_a_422(op, detail):
    live = deployment()
    with pytest.raises(PatchError) as exc:
        json_patch(live, [{"op": "add", "path": "/spec/minReadySeconds", "value": 5}, op])
    # The real apiserver answers with this generic text; the library's words are kept as detail.
    assert str(exc.value) == "the server rejected our request due to an error in our request"
    assert (exc.value.code, exc.value.reason, exc.value.detail) == (422, "Invalid", detail)
    assert live == deployment()


def test_json_patch_that_is_not_a_list_is_a_400():
    with pytest.raises(PatchError) as exc:
        json_patch(deployment(), {"op": "add"})
    assert (str(exc.value), exc.value.code) == (
        "json: cannot unmarshal object into Go value of type jsonpatch.Patch", 400)

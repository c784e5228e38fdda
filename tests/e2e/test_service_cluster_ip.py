"""spec.clusterIP and spec.clusterIPs: immutable once set, always in step, and cleared only by a type change
(Service REST storage normalizeClusterIPs / dropTypeDependentFields, then ValidateServiceUpdate)."""
from __future__ import annotations

import json

import pytest


def _svc(kubectl, name: str) -> dict:
    return json.loads(kubectl("get", "svc", name, "-o", "json"))


@pytest.fixture
def web(control_plane):
    kubectl = control_plane.kubectl
    name = f"ip-{abs(hash(object())) % 10**6}"
    kubectl("create", "service", "clusterip", name, "--tcp=80:8080")
    yield name, _svc(kubectl, name)["spec"]["clusterIP"]
    kubectl("delete", "svc", name, "--ignore-not-found")


def _other_ip(ip: str) -> str:
    a, b, c, d = ip.split(".")
    return f"{a}.{b}.{c}.{(int(d) % 200) + 20}"


def test_patching_cluster_ip_alone_is_refused_and_changes_nothing(control_plane, web):
    kubectl = control_plane.kubectl
    name, ip = web
    other = _other_ip(ip)
    out = kubectl("patch", "svc", name, "-p", json.dumps({"spec": {"clusterIP": other}}), check=False)
    assert out.strip() == (f'The Service "{name}" is invalid: spec.clusterIPs[0]: Invalid value: '
                           f'[]string{{"{other}"}}: may not change once set')
    spec = _svc(kubectl, name)["spec"]
    assert spec["clusterIP"] == ip and spec["clusterIPs"] == [ip]


def test_patching_cluster_ips_alone_or_both_apart_is_refused(control_plane, web):
    kubectl = control_plane.kubectl
    name, ip = web
    other = _other_ip(ip)
    out = kubectl("patch", "svc", name, "-p", json.dumps({"spec": {"clusterIPs": [other]}}), check=False)
    assert f'spec.clusterIPs[0]: Invalid value: []string{{"{other}"}}: may not change once set' in out
    assert f'spec.clusterIPs: Invalid value: []string{{"{other}"}}: first value must match `clusterIP`' in out
    out = kubectl("patch", "svc", name, "-p", json.dumps({"spec": {"clusterIP": "None"}}), check=False)
    assert out.strip() == (f'The Service "{name}" is invalid: spec.clusterIPs[0]: Invalid value: '
                           '[]string{"None"}: may not change once set')
    assert _svc(kubectl, name)["spec"]["clusterIPs"] == [ip]


def test_creating_with_cluster_ips_but_no_cluster_ip_is_refused(control_plane):
    manifest = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ips-only"},
                "spec": {"clusterIPs": ["10.96.77.77"], "ports": [{"port": 80}]}}
    out = control_plane.kubectl("create", "-f", "-", input=json.dumps(manifest), check=False)
    assert ('spec.clusterIPs: Invalid value: []string{"10.96.77.77"}: must be empty when `clusterIP` is not '
            "specified") in out


def test_resubmitting_without_the_allocated_ip_keeps_it(control_plane, web):
    kubectl = control_plane.kubectl
    name, ip = web
    current = _svc(kubectl, name)
    for field in ("clusterIP", "clusterIPs"):
        current["spec"].pop(field)
    kubectl("replace", "-f", "-", input=json.dumps(current))
    spec = _svc(kubectl, name)["spec"]
    assert spec["clusterIP"] == ip and spec["clusterIPs"] == [ip]


def test_a_change_to_external_name_drops_the_ips_and_back_allocates_anew(control_plane, web):
    kubectl = control_plane.kubectl
    name, _ = web
    kubectl("patch", "svc", name, "-p", json.dumps({"spec": {"type": "ExternalName",
                                                             "externalName": "example.com"}}))
    spec = _svc(kubectl, name)["spec"]
    for gone in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"):
        assert gone not in spec, spec
    kubectl("patch", "svc", name, "--type=json", "-p", json.dumps([
        {"op": "replace", "path": "/spec/type", "value": "ClusterIP"},
        {"op": "remove", "path": "/spec/externalName"}]))
    spec = _svc(kubectl, name)["spec"]
    assert spec["clusterIP"] and spec["clusterIPs"] == [spec["clusterIP"]]


def test_a_change_from_node_port_to_cluster_ip_drops_the_node_ports(control_plane):
    kubectl = control_plane.kubectl
    kubectl("create", "service", "nodeport", "np-drop", "--tcp=80:8080")
    assert _svc(kubectl, "np-drop")["spec"]["ports"][0]["nodePort"]
    kubectl("patch", "svc", "np-drop", "-p", json.dumps({"spec": {"type": "ClusterIP"}}))
    spec = _svc(kubectl, "np-drop")["spec"]
    assert "nodePort" not in spec["ports"][0] and "externalTrafficPolicy" not in spec, spec

"""Rejections of ConfigMaps, Secrets, Namespaces, Nodes, Ingresses, EndpointSlices, NetworkPolicies."""
import copy

from kubenet.api.defaults import apply_defaults
from kubenet.api.kinds import by_kind
from kubenet.api.validation import validate

CM, SECRET, NS, NODE = by_kind("v1", "ConfigMap"), by_kind("v1", "Secret"), by_kind("v1", "Namespace"), by_kind("v1", "Node")
ING, EPS = by_kind("networking.k8s.io/v1", "Ingress"), by_kind("discovery.k8s.io/v1", "EndpointSlice")
NETPOL = by_kind("networking.k8s.io/v1", "NetworkPolicy")
META = {"name": "x", "namespace": "default"}


def errors(kind, obj, old=None):
    obj = copy.deepcopy(obj)
    apply_defaults(kind, obj)
    return [str(e) for e in validate(kind, obj, old)]


def test_config_map_keys():
    assert errors(CM, {"metadata": META, "data": {"bad key": "v", "..x": "v"}}) == [
        ('data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '
        "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')"),
        "data[..x]: Invalid value: \"..x\": must not start with '..'"]


def test_immutable_config_map():
    old = {"metadata": META, "data": {"a": "1"}, "immutable": True}
    new = {"metadata": META, "data": {"a": "2"}, "immutable": True}
    assert errors(CM, new, old) == ["data: Forbidden: field is immutable when `immutable` is set"]


def test_secret_keys_and_tls_type():
    assert errors(SECRET, {"metadata": META, "type": "kubernetes.io/tls", "data": {}}) == [
        "data[tls.crt]: Required value", "data[tls.key]: Required value"]
    assert errors(SECRET, {"metadata": META, "stringData": {"a b": "x"}})[0].startswith(
        'data[a b]: Invalid value: "a b": a valid config key must consist of')


def test_namespace_finalizers():
    assert errors(NS, {"metadata": {"name": "team"}, "spec": {"finalizers": ["custom"]}}) == [
        'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified']
    assert errors(NS, {"metadata": {"name": "team", "namespace": "default"}}) == [
        "metadata.namespace: Forbidden: not allowed on this type"]


def test_node_name_and_taints():
    assert errors(NODE, {"metadata": {"name": "kind-worker"}}) == []
    assert errors(NODE, {"metadata": {"name": "w"}, "spec": {"taints": [{"key": "gpu", "effect": "Sometimes"}]}}) == [
        ('metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", '
        '"PreferNoSchedule", "NoExecute"')]


def ingress(**path):
    entry = {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}
    entry.update(path)
    return {"metadata": META, "spec": {"rules": [{"host": "web.example.com", "http": {"paths": [entry]}}]}}


def test_ingress_valid_and_rules_required():
    assert errors(ING, ingress()) == []
    assert errors(ING, {"metadata": META, "spec": {}}) == [
        "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"]


def test_ingress_path_type_and_backend():
    no_type = ingress()
    del no_type["spec"]["rules"][0]["http"]["paths"][0]["pathType"]
    assert errors(ING, no_type) == ["spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"]
    assert errors(ING, ingress(pathType="Regex")) == [
        ('spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", '
        '"ImplementationSpecific", "Prefix"')]
    assert errors(ING, ingress(path="web")) == [
        'spec.rules[0].http.paths[0].path: Invalid value: "web": must be an absolute path']
    assert errors(ING, ingress(backend={"service": {"name": "web", "port": {}}})) == [
        "spec.rules[0].http.paths[0].backend: Required value: port name or number is required"]
    assert errors(ING, ingress(backend={"service": {"port": {"number": 80}}})) == [
        "spec.rules[0].http.paths[0].backend.service.name: Required value"]


def test_ingress_host_may_not_be_an_ip():
    obj = ingress()
    obj["spec"]["rules"][0]["host"] = "10.0.0.1"
    assert errors(ING, obj) == ['spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address']


def test_endpoint_slice_address_type():
    assert errors(EPS, {"metadata": META, "addressType": "IPv5", "endpoints": []}) == [
        'addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"']
    assert errors(EPS, {"metadata": META, "addressType": "IPv4", "endpoints": [{"addresses": ["fd00::1"]}]}) == [
        'endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address']


def test_network_policy_types():
    assert errors(NETPOL, {"metadata": META, "spec": {"policyTypes": ["Both"]}}) == [
        'spec.policyTypes[0]: Unsupported value: "Both": supported values: "Ingress", "Egress"']


def _slice_of(ip: str) -> dict:
    return {"metadata": META, "addressType": "IPv4", "endpoints": [{"addresses": [ip]}]}


def test_endpoint_addresses_may_not_be_loopback_link_local_or_unspecified():
    """ValidateEndpointIP upstream: an Endpoints or EndpointSlice must not point a Service at a node's localhost
    or the 169.254.169.254 metadata service (both were accepted, and kube-proxy programmed them)."""
    link_local = "may not be in the link-local range (169.254.0.0/16, fe80::/10)"
    multicast = "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
    loopback = "may not be in the loopback range (127.0.0.0/8, ::1/128)"
    where = "endpoints[0].addresses[0]: Invalid value:"
    assert errors(EPS, _slice_of("169.254.169.254")) == [f'{where} "169.254.169.254": {link_local}']
    assert errors(EPS, _slice_of("0.0.0.0")) == [f'{where} "0.0.0.0": may not be unspecified (0.0.0.0)']
    assert errors(EPS, _slice_of("224.0.0.5")) == [f'{where} "224.0.0.5": {multicast}']
    assert errors(EPS, _slice_of("10.244.1.7")) == []
    endpoints = {"metadata": META, "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 6443}]}]}
    assert errors(by_kind("v1", "Endpoints"), endpoints) == [
        f'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": {loopback}']

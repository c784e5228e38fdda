"""The shared change tracker: what a backend gets from Service / EndpointSlice watch events."""

import pytest

from kubenet.proxy.endpoints import Endpoint, categorize_endpoints
from kubenet.proxy.serviceport import ServicePortName, service_ports_from_service
from kubenet.proxy.tracker import ProxyState, UnknownEventType
from tests.unit.test_proxy_objects import endpoint, endpoint_slice, port, service

WEB = ServicePortName("default", "web", "http", "TCP")


def web_service(**spec):
    return service("default", "web", "10.96.0.50", [port("http", 80, node_port=30080)], type="NodePort", **spec)


def web_slice(*eps, suffix="1"):
    return endpoint_slice("default", "web", list(eps), [port("http", 8080)], suffix=suffix)


def test_service_ports_carry_everything_a_backend_needs():
    svc = service(
        "ns2", "lb", "10.96.0.9", [port("p80", 80, node_port=31000), port("", 53, "UDP")],
        clusterIPs=["10.96.0.9", "fd00::9"], type="LoadBalancer", externalIPs=["192.168.99.22", "fd00::1"],
        externalTrafficPolicy="Local", healthCheckNodePort=32000, internalTrafficPolicy="Local",
        loadBalancerSourceRanges=[" 203.0.113.5/25"], sessionAffinity="ClientIP",
        sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}},
        status={"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}, {"ip": "5.6.7.8", "ipMode": "Proxy"}]}},
    )
    ports = service_ports_from_service(svc)
    info = ports[ServicePortName("ns2", "lb", "p80", "TCP")]
    assert info.cluster_ip == "10.96.0.9" and info.cluster_ips == ("10.96.0.9",)
    assert info.node_port == 31000 and info.health_check_node_port == 32000
    assert info.external_ips == ("192.168.99.22",)
    assert info.load_balancer_ips == ("1.2.3.4",)  # ipMode Proxy is not captured on the node
    assert info.load_balancer_source_ranges == ("203.0.113.0/25",)
    assert (info.session_affinity, info.sticky_max_age_seconds) == ("ClientIP", 60)
    assert info.external_policy_local and info.internal_policy_local
    assert ServicePortName("ns2", "lb", "", "UDP") in ports


@pytest.mark.parametrize("spec", [
    {"clusterIP": "None"}, {"clusterIP": ""}, {"type": "ExternalName", "externalName": "example.com"},
])
def test_headless_and_external_name_services_are_skipped(spec):
    svc = service("default", "skip", "10.96.0.7", [port("http", 80)])
    svc["spec"].update(spec)
    state = ProxyState("node-a")
    assert state.on_service("ADDED", svc) is False
    assert state.snapshot().services == {}


def test_snapshot_reports_changed_ports_once():
    state = ProxyState("node-a")
    state.on_service("ADDED", web_service())
    state.on_endpoint_slice("ADDED", web_slice(endpoint("10.244.1.3", "node-a"), endpoint("10.244.1.2", "node-b")))
    services, endpoints, changed = state.snapshot()
    assert set(services) == {WEB} and changed == {WEB}
    # Sorted as "ip:port" strings, the local flag derived from nodeName.
    assert [(e.endpoint, e.is_local) for e in endpoints[WEB]] == [("10.244.1.2:8080", False), ("10.244.1.3:8080", True)]
    assert state.snapshot().changed == set()


def test_change_undone_before_snapshot_is_not_a_change():
    state = ProxyState("node-a")
    state.on_service("ADDED", web_service())
    state.snapshot()
    assert state.on_service("MODIFIED", web_service(sessionAffinity="ClientIP")) is True
    state.on_service("MODIFIED", web_service())
    assert state.snapshot().changed == set()


def test_deleted_service_is_reported_as_changed_and_gone():
    state = ProxyState("node-a")
    state.on_service("ADDED", web_service())
    state.snapshot()
    state.on_service("DELETED", web_service())
    services, _, changed = state.snapshot()
    assert services == {} and changed == {WEB}


def test_endpoint_change_marks_all_ports_of_the_service():
    state = ProxyState("node-a")
    two_ports = service("default", "web", "10.96.0.50", [port("http", 80), port("https", 443)])
    state.on_service("ADDED", two_ports)
    state.snapshot()
    state.on_endpoint_slice("ADDED", web_slice(endpoint("10.244.1.2")))
    assert state.snapshot().changed == {WEB, ServicePortName("default", "web", "https", "TCP")}


def test_slices_merge_and_duplicates_prefer_the_local_copy():
    state = ProxyState("node-a")
    state.on_endpoint_slice("ADDED", web_slice(endpoint("10.244.1.2", "node-b"), suffix="a"))
    state.on_endpoint_slice("ADDED", web_slice(endpoint("10.244.1.2", "node-a"), endpoint("10.244.1.9"), suffix="b"))
    eps = state.snapshot().endpoints[WEB]
    assert [(e.ip, e.is_local) for e in eps] == [("10.244.1.2", True), ("10.244.1.9", False)]
    state.on_endpoint_slice("DELETED", web_slice(suffix="b"))
    assert [(e.ip, e.is_local) for e in state.snapshot().endpoints[WEB]] == [("10.244.1.2", False)]


def test_ipv6_slices_and_unlabelled_slices_are_ignored_by_an_ipv4_proxier():
    state = ProxyState("node-a")
    state.on_endpoint_slice("ADDED", endpoint_slice("default", "web", [endpoint("fd00::2")], [port("http", 80)],
                                                     address_type="IPv6"))
    orphan = web_slice(endpoint("10.244.1.2"), suffix="x")
    del orphan["metadata"]["labels"]
    state.on_endpoint_slice("ADDED", orphan)
    assert state.snapshot().endpoints == {}


def test_conditions_default_like_the_api_says():
    state = ProxyState("node-a")
    state.on_endpoint_slice("ADDED", web_slice(endpoint("10.244.1.2"),
                                               endpoint("10.244.1.3", ready=False, serving=True, terminating=True)))
    first, second = state.snapshot().endpoints[WEB]
    assert (first.ready, first.serving, first.terminating) == (True, True, False)
    assert (second.ready, second.serving, second.terminating) == (False, True, True)


def test_unknown_event_type_is_an_error():
    with pytest.raises(UnknownEventType):
        ProxyState("node-a").on_service("BOOKMARK", web_service())


def _info(**spec):
    return service_ports_from_service(web_service(**spec))[WEB]


def test_ready_endpoints_win_over_terminating_ones():
    eps = [Endpoint("10.0.0.1", 80, ready=True), Endpoint("10.0.0.2", 80, ready=False, terminating=True)]
    choice = categorize_endpoints(eps, _info())
    assert [e.ip for e in choice.cluster] == ["10.0.0.1"] and choice.has_any


def test_serving_terminating_endpoints_used_when_none_ready():
    eps = [Endpoint("10.0.0.1", 80, ready=False, serving=True, terminating=True),
           Endpoint("10.0.0.2", 80, ready=False, serving=False, terminating=True)]
    choice = categorize_endpoints(eps, _info())
    assert [e.ip for e in choice.cluster] == ["10.0.0.1"]


def test_external_local_policy_keeps_cluster_and_local_sets():
    eps = [Endpoint("10.0.0.1", 80, is_local=False), Endpoint("10.0.0.2", 80, is_local=True)]
    choice = categorize_endpoints(eps, _info(externalTrafficPolicy="Local"))
    assert [e.ip for e in choice.cluster] == ["10.0.0.1", "10.0.0.2"]
    assert [e.ip for e in choice.local] == ["10.0.0.2"]
    assert len(choice.all_reachable) == 2


def test_internal_local_policy_without_local_endpoints_still_has_endpoints_somewhere():
    eps = [Endpoint("10.0.0.1", 80, is_local=False)]
    svc = service_ports_from_service(service("default", "web", "10.96.0.50", [port("http", 80)],
                                             internalTrafficPolicy="Local"))[WEB]
    choice = categorize_endpoints(eps, svc)
    assert choice.local == () and choice.cluster == () and choice.has_any

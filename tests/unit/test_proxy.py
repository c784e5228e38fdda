"""Where the proxy subresource goes (Service and Pod ResourceLocation) and how it rewrites what comes back."""
from __future__ import annotations

import gzip

import pytest

from kubenet.api.errors import APIError
from kubenet.api.kinds import by_kind
from kubenet.apiserver import proxy
from kubenet.apiserver.proxy_html import rewrite_body, rewrite_url
from kubenet.apiserver.registry import Registry
from kubenet.store.memory import MemoryStore

PREFIX = "/api/v1/namespaces/default/services/web:80/proxy"


@pytest.mark.parametrize("id_,parsed", [
    ("web", ("", "web", "")), ("web:80", ("", "web", "80")), ("https:web:443", ("https", "web", "443")),
    ("web:http", ("", "web", "http")), ("ftp:web:21", None), (":80", None), ("a:b:c:d", None),
])
def test_split_scheme_name_port(id_, parsed):
    assert proxy.split_scheme_name_port(id_) == parsed


@pytest.fixture
def registry() -> Registry:
    reg = Registry(MemoryStore())
    reg.create(by_kind("v1", "Namespace"), None, {"metadata": {"name": "default"}})
    for name, ip in (("web-1", "10.244.1.5"), ("web-2", "10.244.2.7")):
        pod = reg.create(by_kind("v1", "Pod"), "default", {"metadata": {"name": name}, "spec": {
            "containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 8080}]}]}})
        pod["status"] = {"podIP": ip, "podIPs": [{"ip": ip}]}
        reg.update(by_kind("v1", "Pod"), "default", name, pod, "status")
    reg.create(by_kind("v1", "Service"), "default", {"metadata": {"name": "web"}, "spec": {
        "selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    reg.create(by_kind("v1", "Endpoints"), "default", {"metadata": {"name": "web"}, "subsets": [{
        "addresses": [{"ip": "10.244.1.5", "targetRef": {"kind": "Pod", "namespace": "default", "name": "web-1"}},
                      {"ip": "10.9.9.9"}],  # no targetRef: never chosen (isValidAddress)
        "notReadyAddresses": [{"ip": "10.244.2.7", "targetRef": {"kind": "Pod", "namespace": "default",
                                                                 "name": "web-2"}}],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]})
    return reg


def test_a_service_goes_to_a_ready_endpoint_of_the_named_port(registry):
    for _ in range(20):
        assert proxy.service_location(registry, "default", "web:80") == ("", "10.244.1.5:8080")
    assert proxy.service_location(registry, "default", "https:web:http") == ("https", "10.244.1.5:8080")


def test_service_errors(registry):
    cases = {"web:81": (503, 'no service port 81 found for service "web"'),
             "web": (503, 'no endpoints available for service "web"'),  # no unnamed port among the endpoints
             "nope": (404, 'endpoints "nope" not found'),
             "nope:80": (404, 'services "nope" not found'),
             "a:b:c:d": (400, 'invalid service request "a:b:c:d"')}
    for id_, (code, message) in cases.items():
        with pytest.raises(APIError) as err:
            proxy.service_location(registry, "default", id_)
        assert (err.value.code, err.value.message) == (code, message), id_
    registry.create(by_kind("v1", "Endpoints"), "default", {"metadata": {"name": "empty"}})
    with pytest.raises(APIError) as err:
        proxy.service_location(registry, "default", "empty")
    assert err.value.message == 'no endpoints available for service "empty"'


def test_a_pod_goes_to_its_ip_and_first_declared_port(registry):
    assert proxy.pod_location(registry, "default", "web-1") == ("", "10.244.1.5:8080")
    assert proxy.pod_location(registry, "default", "https:web-2:8443") == ("https", "10.244.2.7:8443")
    registry.create(by_kind("v1", "Pod"), "default", {"metadata": {"name": "pending"}, "spec": {
        "containers": [{"name": "c", "image": "nginx"}]}})
    with pytest.raises(APIError) as err:
        proxy.pod_location(registry, "default", "pending")
    assert (err.value.code, err.value.message) == (400, "address not allowed")


def test_links_to_the_backend_are_put_under_the_proxy():
    def rewrite(url):
        return rewrite_url(url, "10.244.1.5:8080", "127.0.0.1:8001", PREFIX)
    assert rewrite("/static/app.css") == f"{PREFIX}/static/app.css"
    assert rewrite("http://10.244.1.5:8080/a?b=1#c") == f"{PREFIX}/a?b=1#c"
    assert rewrite("relative/page") == "relative/page"
    assert rewrite("https://example.com/x") == "https://example.com/x"
    assert rewrite(f"{PREFIX}/already") == f"{PREFIX}/already"
    page = (b'<html><head><link rel="stylesheet" href="/s.css"><script src=\'/a.js\'></script></head>'
            b'<body><a href=/next data-href="/kept">next</a> <a href="http://nginx.org/">out</a>'
            b'<img alt="/not-a-url" src="/i.png"/><p>href="/text"</p></body></html>')
    out = rewrite_body(page, "", rewrite)
    assert out == (f'<html><head><link rel="stylesheet" href="{PREFIX}/s.css"><script src=\'{PREFIX}/a.js\'>'
                   f'</script></head><body><a href={PREFIX}/next data-href="/kept">next</a> '
                   f'<a href="http://nginx.org/">out</a><img alt="/not-a-url" src="{PREFIX}/i.png"/>'
                   '<p>href="/text"</p></body></html>').encode()
    assert gzip.decompress(rewrite_body(gzip.compress(page), "gzip", rewrite)) == out
    assert rewrite_body(page, "br", rewrite) is None

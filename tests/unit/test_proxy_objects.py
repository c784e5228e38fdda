"""Service and EndpointSlice dicts in wire format, shared by the proxy tests (no tests of its own)."""

from __future__ import annotations

from typing import Any


def service(ns: str, name: str, cluster_ip: str, ports: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    status = spec.pop("status", {})
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": ns, "name": name},
            "spec": {"clusterIP": cluster_ip, "ports": ports, **spec}, "status": status}


def port(name: str, number: int, protocol: str = "TCP", node_port: int = 0) -> dict[str, Any]:
    p: dict[str, Any] = {"name": name, "port": number, "protocol": protocol}
    if node_port:
        p["nodePort"] = node_port
    return p


def endpoint(ip: str, node: str | None = None, ready: bool | None = None, serving: bool | None = None,
             terminating: bool | None = None) -> dict[str, Any]:
    cond = {k: v for k, v in (("ready", ready), ("serving", serving), ("terminating", terminating)) if v is not None}
    ep: dict[str, Any] = {"addresses": [ip], "conditions": cond}
    if node:
        ep["nodeName"] = node
    return ep


def endpoint_slice(ns: str, svc: str, endpoints: list[dict[str, Any]], ports: list[dict[str, Any]],
                   suffix: str = "1", address_type: str = "IPv4") -> dict[str, Any]:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"namespace": ns, "name": f"{svc}-{suffix}", "labels": {"kubernetes.io/service-name": svc}},
            "addressType": address_type, "endpoints": endpoints, "ports": ports}

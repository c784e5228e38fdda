"""Endpoints from EndpointSlices (discovery.k8s.io/v1) and kube-proxy's choice among them.

Follows kube-proxy's endpointslicecache.go (parsing, de-duplication, ordering) and topology.go
(CategorizeEndpoints: ready endpoints, falling back to serving-and-terminating ones).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kubenet.proxy.serviceport import SERVICE_PROXY_NAME_LABEL, ServicePortInfo, ServicePortName, ip_family_of

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
HEADLESS_LABEL = "service.kubernetes.io/headless"
_ADDRESS_TYPE = {4: "IPv4", 6: "IPv6"}


@dataclass(frozen=True)
class Endpoint:
    ip: str
    port: int
    ready: bool = True
    serving: bool = True
    terminating: bool = False
    node_name: str = ""
    is_local: bool = False

    @property
    def endpoint(self) -> str:
        """"ip:port" (IPv6 in brackets), the string kube-proxy sorts, hashes and prints."""
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        return self.endpoint


def service_name_of_slice(endpoint_slice: dict[str, Any]) -> str | None:
    """"ns/svc" the slice belongs to, or None when kube-proxy ignores the slice."""
    meta = endpoint_slice.get("metadata") or {}
    labels = meta.get("labels") or {}
    if HEADLESS_LABEL in labels or SERVICE_PROXY_NAME_LABEL in labels:
        return None
    service = labels.get(SERVICE_NAME_LABEL)
    if not service:
        return None
    return f"{meta.get('namespace') or 'default'}/{service}"


def endpoints_from_slices(
    slices: Iterable[dict[str, Any]], node_name: str, ip_family: int = 4
) -> dict[ServicePortName, list[Endpoint]]:
    """Merge all slices of one Service into endpoints per service port, sorted by "ip:port"."""
    by_port: dict[ServicePortName, dict[str, Endpoint]] = {}
    for endpoint_slice in slices:
        nsname = service_name_of_slice(endpoint_slice)
        if nsname is None or endpoint_slice.get("addressType", "IPv4") != _ADDRESS_TYPE[ip_family]:
            continue
        namespace, service = nsname.split("/", 1)
        for port in endpoint_slice.get("ports") or []:
            if port.get("port") is None:
                continue  # a nil port means "all ports", which kube-proxy does not support either
            name = ServicePortName(namespace, service, port.get("name") or "", port.get("protocol") or "TCP")
            found = by_port.setdefault(name, {})
            for ep in endpoint_slice.get("endpoints") or []:
                addresses = ep.get("addresses") or []
                # Only the first address counts (the API says they are fungible); family must match.
                if not addresses or ip_family_of(addresses[0]) != ip_family:
                    continue
                cond = ep.get("conditions") or {}
                endpoint = Endpoint(
                    ip=addresses[0],
                    port=int(port["port"]),
                    # Unset ready/serving mean true, unset terminating means false (discovery/v1 docs).
                    ready=cond.get("ready") is not False,
                    serving=cond.get("serving") is not False,
                    terminating=cond.get("terminating") is True,
                    node_name=ep.get("nodeName") or "",
                    is_local=bool(node_name) and ep.get("nodeName") == node_name,
                )
                # The same endpoint may sit in two slices during a move; prefer the local view.
                if endpoint.endpoint not in found or endpoint.is_local:
                    found[endpoint.endpoint] = endpoint
    return {name: [eps[k] for k in sorted(eps)] for name, eps in by_port.items()}


@dataclass(frozen=True)
class EndpointChoice:
    """Which endpoints each traffic policy uses (kube-proxy's CategorizeEndpoints)."""

    cluster: tuple[Endpoint, ...]
    local: tuple[Endpoint, ...]
    all_reachable: tuple[Endpoint, ...]
    has_any: bool


def categorize_endpoints(endpoints: list[Endpoint], svc: ServicePortInfo) -> EndpointChoice:
    """Ready endpoints win; with none ready anywhere, serving-and-terminating ones keep traffic flowing
    (KEP-1669). Topology-aware hints are not modelled: nodes carry no zone labels here."""
    cluster: tuple[Endpoint, ...] = ()
    local: tuple[Endpoint, ...] = ()
    has_any = False
    if svc.uses_cluster_endpoints:
        cluster = tuple(ep for ep in endpoints if ep.ready)
        if not cluster:
            cluster = tuple(ep for ep in endpoints if ep.serving and ep.terminating)
        has_any = bool(cluster)
    if not svc.uses_local_endpoints:
        return EndpointChoice(cluster, (), cluster, has_any)

    has_local_ready = has_local_serving_terminating = False
    for ep in endpoints:
        if ep.ready:
            has_any = True
            has_local_ready = has_local_ready or ep.is_local
        elif ep.serving and ep.terminating:
            has_any = True
            has_local_serving_terminating = has_local_serving_terminating or ep.is_local
    if has_local_ready:
        local = tuple(ep for ep in endpoints if ep.is_local and ep.ready)
    elif has_local_serving_terminating:
        local = tuple(ep for ep in endpoints if ep.is_local and ep.serving and ep.terminating)

    if not svc.uses_cluster_endpoints:
        return EndpointChoice((), local, local, has_any)
    if not local:
        return EndpointChoice(cluster, local, cluster, has_any)
    # Both policies in use: every endpoint either chain may jump to needs its SEP chain.
    seen = {ep.endpoint for ep in cluster}
    reachable = cluster + tuple(ep for ep in local if ep.endpoint not in seen)
    return EndpointChoice(cluster, local, reachable, has_any)

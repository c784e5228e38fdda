"""Service ports as kube-proxy sees them: one ServicePortInfo per (Service, port), keyed by ServicePortName.

Input is a Service in Kubernetes wire format (a JSON dict). Follows kube-proxy's serviceport.go and
ShouldSkipService: headless and ExternalName Services are not proxied, and only addresses of the proxier's
IP family are kept (a dual-stack cluster runs one proxier per family).
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from typing import Any

# spec.sessionAffinityConfig.clientIP.timeoutSeconds default (core/v1 defaults: 3 hours).
DEFAULT_STICKY_MAX_AGE_SECONDS = 10800
# Services and slices carrying this label belong to another proxy implementation (kube-proxy's informers
# filter them out with a label selector).
SERVICE_PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name"


@dataclass(frozen=True, order=True)
class ServicePortName:
    """ns/name:portname plus protocol; str() is kube-proxy's ServicePortName.String() (no protocol)."""

    namespace: str
    name: str
    port: str = ""
    protocol: str = "TCP"

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" + (f":{self.port}" if self.port else "")

    @property
    def namespaced_name(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class ServicePortInfo:
    """Everything a backend needs about one port of one Service (immutable, comparable)."""

    cluster_ip: str
    port: int
    protocol: str = "TCP"
    cluster_ips: tuple[str, ...] = ()
    node_port: int = 0
    service_type: str = "ClusterIP"
    load_balancer_ips: tuple[str, ...] = ()
    external_ips: tuple[str, ...] = ()
    load_balancer_source_ranges: tuple[str, ...] = ()
    session_affinity: str = "None"
    sticky_max_age_seconds: int = DEFAULT_STICKY_MAX_AGE_SECONDS
    external_traffic_policy: str = "Cluster"
    internal_traffic_policy: str = "Cluster"
    health_check_node_port: int = 0
    target_port: int | str = 0

    @property
    def externally_accessible(self) -> bool:
        return self.node_port != 0 or bool(self.load_balancer_ips) or bool(self.external_ips)

    @property
    def external_policy_local(self) -> bool:
        # externalTrafficPolicy only means something for traffic that can arrive from outside.
        return self.externally_accessible and self.external_traffic_policy == "Local"

    @property
    def internal_policy_local(self) -> bool:
        return self.internal_traffic_policy == "Local"

    @property
    def uses_cluster_endpoints(self) -> bool:
        return not self.internal_policy_local or (self.externally_accessible and not self.external_policy_local)

    @property
    def uses_local_endpoints(self) -> bool:
        return self.internal_policy_local or self.external_policy_local

    @property
    def client_ip_affinity(self) -> bool:
        return self.session_affinity == "ClientIP"


@functools.lru_cache(maxsize=4096)
def ip_family_of(address: str) -> int | None:
    """4 or 6 for a valid IP address or CIDR, None otherwise.

    Cached: every EndpointSlice change re-reads all its endpoints, and ipaddress parsing was ~5% of the
    supervisor's CPU during a 100-Pod rollout (py-spy)."""
    try:
        if "/" in address:
            return ipaddress.ip_network(address.strip(), strict=False).version
        return ipaddress.ip_address(address.strip()).version
    except ValueError:
        return None


def _of_family(addresses: list[str] | None, ip_family: int) -> tuple[str, ...]:
    return tuple(a.strip() for a in addresses or () if ip_family_of(a) == ip_family)


def should_skip_service(svc: dict[str, Any]) -> bool:
    spec = svc.get("spec") or {}
    cluster_ip = spec.get("clusterIP") or ""
    if cluster_ip in ("", "None"):
        return True  # headless: DNS gives the Pod IPs directly, nothing to proxy
    if spec.get("type") == "ExternalName":
        return True  # a CNAME in DNS, never a virtual IP
    labels = (svc.get("metadata") or {}).get("labels") or {}
    return SERVICE_PROXY_NAME_LABEL in labels


def service_ports_from_service(svc: dict[str, Any], ip_family: int = 4) -> dict[ServicePortName, ServicePortInfo]:
    """All proxied ports of one Service; empty when kube-proxy would skip the Service."""
    if should_skip_service(svc):
        return {}
    meta = svc.get("metadata") or {}
    spec = svc.get("spec") or {}
    status = svc.get("status") or {}
    cluster_ips = _of_family(spec.get("clusterIPs") or [spec.get("clusterIP")], ip_family)
    if not cluster_ips:
        return {}  # a single-stack Service of the other family
    svc_type = spec.get("type") or "ClusterIP"

    lb_ips: list[str] = []
    for ingress in (status.get("loadBalancer") or {}).get("ingress") or []:
        # ipMode Proxy (KEP-1860): the load balancer proxies, so the node must not capture its IP.
        if ingress.get("ip") and ingress.get("ipMode", "VIP") == "VIP":
            lb_ips.extend(_of_family([ingress["ip"]], ip_family))
    source_ranges = tuple(
        str(ipaddress.ip_network(cidr.strip(), strict=False))
        for cidr in spec.get("loadBalancerSourceRanges") or ()
        if ip_family_of(cidr) == ip_family
    )
    affinity = spec.get("sessionAffinity") or "None"
    sticky = DEFAULT_STICKY_MAX_AGE_SECONDS
    if affinity == "ClientIP":
        client_ip = (spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}
        sticky = int(client_ip.get("timeoutSeconds") or DEFAULT_STICKY_MAX_AGE_SECONDS)
    etp = spec.get("externalTrafficPolicy") or "Cluster"
    # The apiserver allocates healthCheckNodePort only for LoadBalancer + Local (NeedsHealthCheck).
    hc_port = int(spec.get("healthCheckNodePort") or 0) if svc_type == "LoadBalancer" and etp == "Local" else 0

    ports: dict[ServicePortName, ServicePortInfo] = {}
    for port in spec.get("ports") or []:
        protocol = port.get("protocol") or "TCP"
        name = ServicePortName(meta.get("namespace") or "default", meta["name"], port.get("name") or "", protocol)
        ports[name] = ServicePortInfo(
            cluster_ip=cluster_ips[0],
            cluster_ips=cluster_ips,
            port=int(port["port"]),
            protocol=protocol,
            node_port=int(port.get("nodePort") or 0),
            service_type=svc_type,
            load_balancer_ips=tuple(lb_ips),
            external_ips=_of_family(spec.get("externalIPs"), ip_family),
            load_balancer_source_ranges=source_ranges,
            session_affinity=affinity,
            sticky_max_age_seconds=sticky,
            external_traffic_policy=etp,
            internal_traffic_policy=spec.get("internalTrafficPolicy") or "Cluster",
            health_check_node_port=hc_port,
            target_port=port.get("targetPort", port["port"]),
        )
    return ports

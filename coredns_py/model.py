"""Value objects for the parts of Services and EndpointSlices that cluster DNS reads.

They are parsed from the Kubernetes wire format (plain JSON dicts) once per watch event, so that the
zone never holds on to (or mutates) an object that belongs to an informer cache.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

# EndpointSlices name their Service through this well-known label (discovery.k8s.io/v1).
SERVICE_NAME_LABEL = "kubernetes.io/service-name"


@dataclass(frozen=True)
class PortSpec:
    """A Service port or an EndpointSlice port. `name` is "" for an unnamed port."""

    name: str
    port: int
    protocol: str  # lower case, as it appears in the SRV label: "tcp", "udp", "sctp"


@dataclass(frozen=True)
class Service:
    namespace: str
    name: str
    cluster_ips: tuple[str, ...]  # empty for headless and ExternalName services
    headless: bool
    external_name: str | None
    ports: tuple[PortSpec, ...]
    publish_not_ready: bool

    @classmethod
    def from_object(cls, obj: dict[str, Any]) -> Service:
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        ips = list(spec.get("clusterIPs") or [])
        if not ips and spec.get("clusterIP"):
            ips = [spec["clusterIP"]]
        headless = any(ip == "None" for ip in ips)
        cluster_ips = tuple(ip for ip in ips if ip not in ("None", "") and _is_ip(ip))
        external_name = None
        if spec.get("type") == "ExternalName" and spec.get("externalName"):
            external_name = str(spec["externalName"]).rstrip(".").lower() + "."
            cluster_ips = ()
        return cls(
            namespace=meta.get("namespace") or "default",
            name=meta.get("name", ""),
            cluster_ips=cluster_ips,
            headless=headless and external_name is None,
            external_name=external_name,
            ports=_ports(spec.get("ports")),
            publish_not_ready=bool(spec.get("publishNotReadyAddresses")),
        )


@dataclass(frozen=True)
class Endpoint:
    addresses: tuple[str, ...]
    hostname: str | None
    # discovery.k8s.io/v1 EndpointConditions: a nil `ready` must be read as true.
    ready: bool
    terminating: bool


@dataclass(frozen=True)
class EndpointSlice:
    namespace: str
    name: str
    service_name: str | None
    endpoints: tuple[Endpoint, ...]
    ports: tuple[PortSpec, ...]

    @classmethod
    def from_object(cls, obj: dict[str, Any]) -> EndpointSlice:
        meta = obj.get("metadata") or {}
        labels = meta.get("labels") or {}
        endpoints: list[Endpoint] = []
        # FQDN slices carry names, not addresses; DNS has nothing to publish for them.
        if obj.get("addressType", "IPv4") in ("IPv4", "IPv6"):
            for item in obj.get("endpoints") or []:
                conditions = item.get("conditions") or {}
                addresses = tuple(a for a in item.get("addresses") or [] if _is_ip(a))
                if not addresses:
                    continue
                endpoints.append(
                    Endpoint(
                        addresses=addresses,
                        hostname=(item.get("hostname") or None),
                        ready=conditions.get("ready") is not False,
                        terminating=bool(conditions.get("terminating")),
                    )
                )
        return cls(
            namespace=meta.get("namespace") or "default",
            name=meta.get("name", ""),
            service_name=labels.get(SERVICE_NAME_LABEL),
            endpoints=tuple(endpoints),
            ports=_ports(obj.get("ports")),
        )


def _ports(raw: list[dict[str, Any]] | None) -> tuple[PortSpec, ...]:
    ports = []
    for item in raw or []:
        if item.get("port") is None:
            continue
        ports.append(
            PortSpec(
                name=item.get("name") or "",
                port=int(item["port"]),
                protocol=str(item.get("protocol") or "TCP").lower(),
            )
        )
    return tuple(ports)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def dashed_ip(address: str) -> str:
    """Endpoint/pod label for an IP: 10.244.1.10 -> 10-244-1-10, 2001:db8::1 -> 2001-db8--1."""
    return address.replace(".", "-").replace(":", "-")


def ip_from_dashed(label: str) -> str | None:
    """Inverse of dashed_ip for pod records (`a-b-c-d.<ns>.pod.<zone>`); None if not an IP."""
    candidates = [label.replace("-", ".")] if label.count("-") == 3 else []
    candidates.append(label.replace("-", ":"))
    for text in candidates:
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            continue
    return None

"""Service, Endpoints and EndpointSlice rules (pkg/apis/core/validation ValidateService,
pkg/apis/discovery/validation), plus the NodePort range check the Service REST storage makes when it
allocates a requested nodePort."""
from __future__ import annotations

import ipaddress

from kubenet.api.validation_field import (
    FieldError,
    GoLiteral,
    duplicate,
    forbidden,
    go_quote,
    go_string_slice,
    invalid,
    not_supported,
    required,
    too_many,
)
from kubenet.api.validation_meta import (
    is_qualified_name,
    is_valid_ip,
    is_valid_port_num,
    name_is_dns1035_label,
    name_is_dns_subdomain,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_labels,
    validate_object_meta,
    validate_object_meta_update,
)
from kubenet.api.validation_pod import PORT_PROTOCOLS, validate_port_num_or_name, validate_protocol

SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]  # sets.List order
DEFAULT_NODE_PORT_RANGE = (30000, 32767)


def _is_headless(svc: dict) -> bool:
    spec = svc.get("spec") or {}
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return bool(ips) and ips[0] == "None"


def _externally_accessible(spec: dict) -> bool:
    t = spec.get("type")
    return t in ("LoadBalancer", "NodePort") or (t == "ClusterIP" and bool(spec.get("externalIPs")))


def _service_port_literal(protocol: str, port: int) -> GoLiteral:
    return GoLiteral(f'core.ServicePort{{Name:"", Protocol:{go_quote(protocol)}, AppProtocol:(*string)(nil), '
                     f'Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}, NodePort:0}}')


def _validate_service_port(sp: dict, require_name: bool, names: set[str], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    name = sp.get("name") or ""
    if require_name and not name:
        errs.append(required(f"{path}.name"))
    elif name:
        errs += validate_dns1123_label(name, f"{path}.name")
        if name in names:
            errs.append(duplicate(f"{path}.name", name))
        else:
            names.add(name)
    port = sp.get("port") or 0
    errs += [invalid(f"{path}.port", port, m) for m in is_valid_port_num(port)]
    errs += validate_protocol(sp.get("protocol"), f"{path}.protocol")
    errs += validate_port_num_or_name(sp.get("targetPort", 0), f"{path}.targetPort")
    if sp.get("appProtocol") is not None:
        errs += [invalid(f"{path}.appProtocol", sp["appProtocol"], m) for m in is_qualified_name(sp["appProtocol"])]
    return errs


def node_port_range_errors(svc: dict, old: dict | None, node_port_range: tuple[int, int]) -> list[FieldError]:
    """The allocator's refusal of a requested nodePort outside the range (only new or changed ports)."""
    lo, hi = node_port_range
    old_ports = {p.get("nodePort") for p in ((old or {}).get("spec") or {}).get("ports") or []}
    errs = []
    for i, port in enumerate((svc.get("spec") or {}).get("ports") or []):
        node_port = port.get("nodePort") or 0
        if node_port and node_port not in old_ports and not lo <= node_port <= hi:
            errs.append(invalid(f"spec.ports[{i}].nodePort", node_port, "provided port is not in the valid range. "
                                f"The range of valid ports is {lo}-{hi}"))
    return errs


def validate_service(svc: dict, old: dict | None = None,
                     node_port_range: tuple[int, int] = DEFAULT_NODE_PORT_RANGE) -> list[FieldError]:
    range_errs = node_port_range_errors(svc, old, node_port_range)
    if range_errs:
        return range_errs  # allocation fails before the object is validated
    errs: list[FieldError] = []
    if old is not None:
        errs += validate_object_meta_update(svc.get("metadata") or {}, old.get("metadata") or {})
        errs += _validate_cluster_ip_update(svc, old)
    errs += validate_object_meta(svc.get("metadata") or {}, True, name_is_dns1035_label)
    spec = svc.get("spec") or {}
    svc_type = spec.get("type") or ""
    ports = spec.get("ports") or []
    headless = _is_headless(svc)
    if not ports and not headless and svc_type != "ExternalName":
        errs.append(required("spec.ports"))
    cluster_ips = spec.get("clusterIPs") or []
    if svc_type in ("LoadBalancer", "NodePort") and headless:
        errs.append(invalid("spec.clusterIPs[0]", cluster_ips[0] if cluster_ips else "None",
                            f"may not be set to 'None' for {svc_type} services"))
    elif svc_type == "ExternalName":
        for key in ("clusterIPs", "ipFamilies"):
            if spec.get(key):
                errs.append(forbidden(f"spec.{key}", "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy") is not None:
            errs.append(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
        cname = (spec.get("externalName") or "").removesuffix(".")
        if cname:
            errs += validate_dns1123_subdomain(cname, "spec.externalName")
        else:
            errs.append(required("spec.externalName"))
    names: set[str] = set()
    for i, sp in enumerate(ports):
        errs += _validate_service_port(sp, len(ports) > 1, names, f"spec.ports[{i}]")
    if spec.get("selector") is not None:
        errs += validate_labels(spec["selector"], "spec.selector")
    affinity = spec.get("sessionAffinity") or ""
    if not affinity:
        errs.append(required("spec.sessionAffinity"))
    elif affinity not in ("ClientIP", "None"):
        errs.append(not_supported("spec.sessionAffinity", affinity, ["ClientIP", "None"]))
    if affinity == "None" and spec.get("sessionAffinityConfig") is not None:
        errs.append(forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"))
    if svc_type != "ExternalName":
        errs += _validate_cluster_ip_sync(spec)
    for i, ip in enumerate(cluster_ips):
        if i == 0 and ip == "None":
            if len(cluster_ips) > 1:
                errs.append(invalid("spec.clusterIPs", go_string_slice(cluster_ips),
                                    "'None' must be the first and only value"))
            continue
        errs += is_valid_ip(f"spec.clusterIPs[{i}]", ip)
    for i, ip in enumerate(spec.get("externalIPs") or []):
        errs += is_valid_ip(f"spec.externalIPs[{i}]", ip)
    if not svc_type:
        errs.append(required("spec.type"))
    elif svc_type not in SERVICE_TYPES:
        errs.append(not_supported("spec.type", svc_type, SERVICE_TYPES))
    if svc_type == "ClusterIP":
        for i, sp in enumerate(ports):
            if sp.get("nodePort"):
                errs.append(forbidden(f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'"))
    seen_node_ports: set[tuple] = set()
    for i, sp in enumerate(ports):
        if not sp.get("nodePort"):
            continue
        key = (sp.get("protocol"), sp["nodePort"])
        if key in seen_node_ports:
            errs.append(duplicate(f"spec.ports[{i}].nodePort", sp["nodePort"]))
        seen_node_ports.add(key)
    seen_ports: set[tuple] = set()
    for i, sp in enumerate(ports):
        key = (sp.get("protocol") or "", sp.get("port") or 0)
        if key in seen_ports:
            errs.append(duplicate(f"spec.ports[{i}]", _service_port_literal(*key)))
        seen_ports.add(key)
    if spec.get("loadBalancerSourceRanges") and svc_type != "LoadBalancer":
        errs.append(forbidden("spec.LoadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'"))
    if spec.get("allocateLoadBalancerNodePorts") is not None and svc_type != "LoadBalancer":
        errs.append(forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"))
    if svc_type == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        errs.append(required("allocateLoadBalancerNodePorts"))  # the real path lacks "spec."
    errs += _validate_traffic_policies(spec)
    return errs


def _validate_cluster_ip_sync(spec: dict) -> list[FieldError]:
    """ValidateServiceClusterIPsRelatedFields: spec.clusterIP and spec.clusterIPs[0] always agree."""
    cluster_ip, cluster_ips = spec.get("clusterIP") or "", spec.get("clusterIPs") or []
    if cluster_ip:
        if not cluster_ips:
            return [required("spec.clusterIPs")]
        if cluster_ips[0] != cluster_ip:
            return [invalid("spec.clusterIPs", go_string_slice(cluster_ips), "first value must match `clusterIP`")]
    elif cluster_ips:
        return [invalid("spec.clusterIPs", go_string_slice(cluster_ips),
                        "must be empty when `clusterIP` is not specified")]
    return []


def _validate_traffic_policies(spec: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    etp = spec.get("externalTrafficPolicy") or ""
    if not _externally_accessible(spec):
        if etp:
            errs.append(invalid("spec.externalTrafficPolicy", etp, "may only be set for externally-accessible services"))
    elif not etp:
        errs.append(required("spec.externalTrafficPolicy"))
    elif etp not in ("Cluster", "Local"):
        errs.append(not_supported("spec.externalTrafficPolicy", etp, ["Cluster", "Local"]))
    needs_health_check = spec.get("type") == "LoadBalancer" and etp == "Local"
    hc = spec.get("healthCheckNodePort") or 0
    if not needs_health_check and hc:
        errs.append(invalid("spec.healthCheckNodePort", hc,
                            "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
    itp = spec.get("internalTrafficPolicy")
    if itp is None and spec.get("type") in ("NodePort", "LoadBalancer", "ClusterIP"):
        errs.append(required("spec.internalTrafficPolicy"))
    if itp is not None and itp not in ("Cluster", "Local"):
        errs.append(not_supported("spec.internalTrafficPolicy", itp, ["Cluster", "Local"]))
    return errs


def _validate_cluster_ip_update(svc: dict, old: dict) -> list[FieldError]:
    """validateUpgradeDowngradeClusterIPs: an allocated ClusterIP may not change (except to/from ExternalName)."""
    spec, old_spec = svc.get("spec") or {}, old.get("spec") or {}
    if "ExternalName" in (spec.get("type"), old_spec.get("type")):
        return []
    if _is_headless(svc) and _is_headless(old):
        return []
    new_ips, old_ips = spec.get("clusterIPs") or [], old_spec.get("clusterIPs") or []
    errs: list[FieldError] = []
    if len(new_ips) == len(old_ips):
        for i, ip in enumerate(old_ips):
            if ip != new_ips[i]:
                errs.append(invalid(f"spec.clusterIPs[{i}]", go_string_slice(new_ips), "may not change once set"))
    elif len(old_ips) > len(new_ips):
        if not new_ips:
            errs.append(invalid("spec.clusterIPs[0]", go_string_slice(new_ips), "primary clusterIP can not be unset"))
        elif new_ips[0] != old_ips[0]:
            errs.append(invalid("spec.clusterIPs[0]", go_string_slice(new_ips), "may not change once set"))
    elif old_ips and new_ips[0] != old_ips[0]:
        errs.append(invalid("spec.clusterIPs[0]", go_string_slice(new_ips), "may not change once set"))
    return errs


def validate_endpoints(ep: dict) -> list[FieldError]:
    errs = validate_object_meta(ep.get("metadata") or {}, True, name_is_dns_subdomain)
    for i, subset in enumerate(ep.get("subsets") or []):
        p = f"subsets[{i}]"
        for key in ("addresses", "notReadyAddresses"):
            for j, addr in enumerate(subset.get(key) or []):
                ip_errs = is_valid_ip(f"{p}.{key}[{j}].ip", addr.get("ip") or "")
                errs += ip_errs or validate_endpoint_ip(f"{p}.{key}[{j}].ip", addr["ip"])
        ports = subset.get("ports") or []
        for j, port in enumerate(ports):
            pp = f"{p}.ports[{j}]"
            if len(ports) > 1 and not port.get("name"):
                errs.append(required(f"{pp}.name"))
            elif port.get("name"):
                errs += validate_dns1123_label(port["name"], f"{pp}.name")
            errs += [invalid(f"{pp}.port", port.get("port", 0), m) for m in is_valid_port_num(port.get("port") or 0)]
            errs += validate_protocol(port.get("protocol"), f"{pp}.protocol")
    return errs


ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"]


def validate_endpoint_slice(eps: dict, old: dict | None = None) -> list[FieldError]:
    errs = validate_object_meta(eps.get("metadata") or {}, True, name_is_dns_subdomain)
    address_type = eps.get("addressType") or ""
    if not address_type:
        errs.append(required("addressType"))
    elif address_type not in ADDRESS_TYPES:
        errs.append(not_supported("addressType", address_type, ADDRESS_TYPES))
    for i, endpoint in enumerate(eps.get("endpoints") or []):
        addresses = endpoint.get("addresses") or []
        p = f"endpoints[{i}].addresses"
        if not addresses:
            errs.append(required(p, "must contain at least 1 address"))
        elif len(addresses) > 100:
            errs.append(too_many(p, len(addresses), 100))
        for j, addr in enumerate(addresses):
            errs += _validate_slice_address(address_type, addr, f"{p}[{j}]")
    for i, port in enumerate(eps.get("ports") or []):
        pp = f"ports[{i}]"
        if port.get("port") is not None:
            errs += [invalid(f"{pp}.port", port["port"], m) for m in is_valid_port_num(port["port"])]
        if port.get("protocol") is not None and port["protocol"] not in PORT_PROTOCOLS:
            errs.append(not_supported(f"{pp}.protocol", port["protocol"], PORT_PROTOCOLS))
    if old is not None and old.get("addressType") != address_type:
        errs.append(invalid("addressType", address_type, "field is immutable"))
    return errs


def _validate_slice_address(address_type: str, addr: str, path: str) -> list[FieldError]:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        ip = None
    if address_type == "IPv4" and (ip is None or ip.version != 4):
        return [invalid(path, addr, "must be a valid IPv4 address")]
    if address_type == "IPv6" and (ip is None or ip.version != 6):
        return [invalid(path, addr, "must be a valid IPv6 address")]
    if address_type == "FQDN":
        return validate_dns1123_subdomain(addr, path)
    return validate_endpoint_ip(path, addr) if ip is not None else []


def validate_endpoint_ip(path: str, addr: str) -> list[FieldError]:
    """ValidateEndpointIP upstream, for Endpoints and EndpointSlice addresses: no unspecified, loopback or
    link-local address (a Service must not send Pods' traffic to a node's own localhost or metadata service)."""
    ip = ipaddress.ip_address(addr)
    errs = []
    if ip.is_unspecified:
        errs.append(invalid(path, addr, f"may not be unspecified ({addr})"))
    if ip.is_loopback:
        errs.append(invalid(path, addr, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if ip.is_link_local:
        errs.append(invalid(path, addr, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if ip in ipaddress.ip_network("224.0.0.0/24") or (ip.version == 6 and ip.packed[0] == 0xFF
                                                       and ip.packed[1] & 0x0F == 0x02):  # Go IsLinkLocalMulticast
        errs.append(invalid(path, addr, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
    return errs

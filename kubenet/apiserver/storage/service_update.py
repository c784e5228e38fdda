"""What the Service REST storage does to an updated Service before it is validated.

Three steps of pkg/registry/core/service (storage.go beginUpdate, strategy.go PrepareForUpdate), in their order:
`patch_allocated_values` keeps what the server allocated when the client left it out, `normalize_cluster_ips`
keeps spec.clusterIP and spec.clusterIPs in step when a client changed only one of them, and
`drop_type_dependent_fields` clears what the old type needed and the new one does not (ClusterIPs on a change to
ExternalName, nodePorts on a change to ClusterIP, ...), but only fields the client did not change itself: a changed
one is left for validation to refuse.
"""
from __future__ import annotations


def _needs_cluster_ip(spec: dict) -> bool:
    return spec.get("type", "ClusterIP") != "ExternalName"


def _needs_node_port(spec: dict) -> bool:
    return spec.get("type") in ("NodePort", "LoadBalancer")


def _needs_hc_node_port(spec: dict) -> bool:
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def _node_ports(spec: dict) -> set[int]:
    return {p["nodePort"] for p in spec.get("ports") or [] if p.get("nodePort")}


def prepare_service_update(new: dict, old: dict) -> None:
    """beginUpdate's patchAllocatedValues + normalizeClusterIPs (before defaulting and validation)."""
    spec, old_spec = new.setdefault("spec", {}), old.get("spec") or {}
    patch_allocated_values(spec, old_spec)
    normalize_cluster_ips(spec, old_spec)


def patch_allocated_values(spec: dict, old_spec: dict) -> None:
    """A client that resubmits what it created (without the allocated values) keeps them (patchAllocatedValues)."""
    if _needs_cluster_ip(old_spec) and _needs_cluster_ip(spec):
        if not spec.get("clusterIP") and old_spec.get("clusterIP"):
            spec["clusterIP"] = old_spec["clusterIP"]
        if not spec.get("clusterIPs") and old_spec.get("clusterIPs"):
            spec["clusterIPs"] = list(old_spec["clusterIPs"])
    if _needs_node_port(old_spec) and _needs_node_port(spec):
        # NodePorts by port name; never one that another port of the new spec already holds.
        used = _node_ports(old_spec) & _node_ports(spec)
        by_name = {p.get("name", ""): p.get("nodePort") for p in old_spec.get("ports") or []}
        for port in spec.get("ports") or []:
            if not port.get("nodePort"):
                old_value = by_name.get(port.get("name", ""))
                if old_value and old_value not in used:
                    port["nodePort"] = old_value
    if _needs_hc_node_port(old_spec) and _needs_hc_node_port(spec) and not spec.get("healthCheckNodePort") and \
            old_spec.get("healthCheckNodePort"):
        spec["healthCheckNodePort"] = old_spec["healthCheckNodePort"]


def normalize_cluster_ips(spec: dict, old_spec: dict) -> None:
    """normalizeClusterIPs on update: a client that changed only spec.clusterIP (an old client, or a patch of that
    one field) changes spec.clusterIPs with it, so validation then sees, and refuses, the change of both."""
    old_ip, new_ip = old_spec.get("clusterIP") or "", spec.get("clusterIP") or ""
    old_ips = old_spec.get("clusterIPs") or []
    if old_ips and not spec.get("clusterIPs") and old_ip == new_ip:
        spec["clusterIPs"] = list(old_ips)
    if old_ip == new_ip:
        return
    same_ips = (spec.get("clusterIPs") or []) == old_ips
    if old_ip and not new_ip:
        if same_ips:
            spec.pop("clusterIPs", None)  # a client clearing the singular field clears both
    elif same_ips:
        spec["clusterIPs"] = [new_ip]


def drop_type_dependent_fields(spec: dict, old_spec: dict) -> None:
    """dropTypeDependentFields: a type change clears what only the old type needed, if the client left it as it was."""
    if _needs_cluster_ip(old_spec) and not _needs_cluster_ip(spec):
        if (spec.get("clusterIPs") or []) == (old_spec.get("clusterIPs") or []):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        if (spec.get("ipFamilies") or []) == (old_spec.get("ipFamilies") or []):
            spec.pop("ipFamilies", None)
        if spec.get("ipFamilyPolicy") == old_spec.get("ipFamilyPolicy"):
            spec.pop("ipFamilyPolicy", None)
        # ExternalName Services never show internalTrafficPolicy (defaultOnReadInternalTrafficPolicy).
        spec.pop("internalTrafficPolicy", None)
    if _needs_node_port(old_spec) and not _needs_node_port(spec) and _node_ports(spec) <= _node_ports(old_spec):
        for port in spec.get("ports") or []:
            port.pop("nodePort", None)
    if _needs_hc_node_port(old_spec) and not _needs_hc_node_port(spec) and \
            spec.get("healthCheckNodePort") == old_spec.get("healthCheckNodePort"):
        spec.pop("healthCheckNodePort", None)
    if old_spec.get("type") == "LoadBalancer" and spec.get("type") != "LoadBalancer" and \
            spec.get("allocateLoadBalancerNodePorts") == old_spec.get("allocateLoadBalancerNodePorts"):
        spec.pop("allocateLoadBalancerNodePorts", None)
    still_external = _needs_node_port(spec) or bool(spec.get("externalIPs"))  # externalIPs keep it meaningful
    if _needs_node_port(old_spec) and not still_external and \
            spec.get("externalTrafficPolicy") == old_spec.get("externalTrafficPolicy"):
        spec.pop("externalTrafficPolicy", None)

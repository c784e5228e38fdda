"""What is special about a kind when it is written: the registry strategies of pkg/registry/<group>/<kind>.

A strategy prepares an object for create/update (status reset, generation), and Services allocate their
ClusterIP and NodePorts here. Defaulting and validation live in kubenet.api; this module only does what
the real strategies and REST storage do around them.
"""
from __future__ import annotations

from kubenet.api.validation import FieldError
from kubenet.apiserver.allocators import AllocationError, ClusterIPAllocator, NodePortAllocator

# Kinds whose metadata.generation counts spec changes (the real strategies bump it only for these).
GENERATION_KINDS = {"Deployment", "ReplicaSet", "ReplicationController", "StatefulSet", "DaemonSet", "Job", "CronJob", "Ingress",
                    "NetworkPolicy", "Pod", "Service"}

# Kinds whose REST storage sets ReturnDeletedObject: a DELETE answers the deleted object, not a Status
# (pkg/registry/core/{pod,service,namespace,serviceaccount}/storage; every other served kind's storage does not).
RETURN_DELETED_OBJECT = {"Pod", "Service", "Namespace", "ServiceAccount"}


def _spec_part(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def prepare_create(kind_name: str, obj: dict) -> None:
    meta = obj["metadata"]
    if kind_name in GENERATION_KINDS:
        meta["generation"] = 1
    if kind_name == "Pod":
        status = obj.setdefault("status", {})
        status.setdefault("phase", "Pending")
        status.setdefault("qosClass", _qos_class(obj))
    elif kind_name == "Namespace":
        obj["status"] = {"phase": "Active"}
    elif kind_name in ("Deployment", "ReplicaSet", "ReplicationController", "StatefulSet", "DaemonSet", "Job",
                       "CronJob", "Service", "Ingress", "Node"):
        # Clients cannot set status on create; the controllers own it.
        if kind_name in ("Service", "Ingress"):
            obj["status"] = {"loadBalancer": {}}
        elif kind_name != "Node":
            obj["status"] = {}


def prepare_update(kind_name: str, new: dict, old: dict, has_status: bool) -> None:
    """Main-resource update: keep the stored status; bump generation on spec changes."""
    if has_status and "status" in old:
        new["status"] = old["status"]
    elif has_status:
        new.pop("status", None)
    if kind_name in GENERATION_KINDS:
        gen = old["metadata"].get("generation", 1)
        new["metadata"]["generation"] = gen + 1 if _spec_part(new) != _spec_part(old) else gen


def prepare_status_update(new: dict, old: dict) -> dict:
    """Status update: only status changes (and nothing else) reach the store."""
    merged = dict(old)
    merged["status"] = new.get("status", {})
    meta = dict(old["metadata"])
    meta["resourceVersion"] = new["metadata"].get("resourceVersion", meta.get("resourceVersion"))
    merged["metadata"] = meta
    return merged


def _qos_class(pod: dict) -> str:
    containers = (pod.get("spec") or {}).get("containers") or []
    requests_any = limits_all = False
    guaranteed = bool(containers)
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            requests_any = True
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and req[r] != lim[r]):
                guaranteed = False
        limits_all = limits_all or bool(lim)
    if guaranteed and limits_all:
        return "Guaranteed"
    return "Burstable" if requests_any else "BestEffort"


class ServiceAllocations:
    """ClusterIPs and NodePorts of every Service, rebuilt from the store at start."""

    def __init__(self, service_cidr: str, node_port_range: str, dns_ip: str):
        low, high = (int(x) for x in node_port_range.split("-"))
        self.ips = ClusterIPAllocator(service_cidr, reserved=(dns_ip,))
        self.ports = NodePortAllocator(low, high)

    def load(self, services: list[dict]) -> None:
        for svc in services:
            for ip in svc["spec"].get("clusterIPs") or [svc["spec"].get("clusterIP")]:
                if ip and ip != "None" and self.ips.contains(ip):
                    self.ips.used.add(ip)
            for p in svc["spec"].get("ports") or []:
                if p.get("nodePort"):
                    self.ports.used.add((p["nodePort"], p.get("protocol", "TCP")))

    def allocate(self, svc: dict, old: dict | None, dry_run: bool) -> list[FieldError]:
        """Fill spec.clusterIP(s) and nodePorts; return field errors (nothing is allocated then)."""
        spec = svc["spec"]
        stype = spec.get("type", "ClusterIP")
        errors: list[FieldError] = []
        taken_ips: list[str] = []
        taken_ports: list[tuple[str, int]] = []
        commit = not dry_run
        if stype != "ExternalName" and (old is None or not old["spec"].get("clusterIP")):
            wanted = spec.get("clusterIP") or ((spec.get("clusterIPs") or [None])[0])
            if wanted != "None":
                try:
                    ip = self.ips.allocate(wanted or None, commit)
                    spec["clusterIP"] = ip
                    spec["clusterIPs"] = [ip]
                    taken_ips.append(ip)
                except AllocationError as exc:
                    errors.append(FieldError("FieldValueInvalid", "spec.clusterIPs", [wanted],
                                             f"failed to allocate IP {wanted}: {exc}"))
            else:
                spec["clusterIPs"] = ["None"]
        elif stype == "ExternalName":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        if stype in ("NodePort", "LoadBalancer") and not (stype == "LoadBalancer" and
                                                         spec.get("allocateLoadBalancerNodePorts") is False):
            old_ports = {(p.get("protocol", "TCP"), p.get("nodePort")) for p in
                         ((old or {}).get("spec", {}).get("ports") or []) if p.get("nodePort")}
            for i, port in enumerate(spec.get("ports") or []):
                proto = port.get("protocol", "TCP")
                want = port.get("nodePort")
                if want and (proto, want) in old_ports:
                    continue
                try:
                    port["nodePort"] = self.ports.allocate(proto, want or None, commit)
                    taken_ports.append((proto, port["nodePort"]))
                except AllocationError as exc:
                    errors.append(FieldError("FieldValueInvalid", f"spec.ports[{i}].nodePort", want, str(exc)))
        else:
            for port in spec.get("ports") or []:
                port.pop("nodePort", None)
        if errors and commit:
            for ip in taken_ips:
                self.ips.release(ip)
            for proto, p in taken_ports:
                self.ports.release(proto, p)
        if old is not None and commit and not errors:
            self.release_unused(old, svc)
        if stype == "LoadBalancer" and "healthCheckNodePort" not in spec and \
                spec.get("externalTrafficPolicy") == "Local" and not errors:
            try:
                spec["healthCheckNodePort"] = self.ports.allocate("TCP", None, commit)
            except AllocationError as exc:
                errors.append(FieldError("FieldValueInvalid", "spec.healthCheckNodePort", None, str(exc)))
        return errors

    def release_unused(self, old: dict, new: dict | None) -> None:
        """Release what `old` held and `new` (None on delete) no longer holds."""
        new_spec = (new or {}).get("spec", {})
        new_ips = set(new_spec.get("clusterIPs") or [])
        for ip in old["spec"].get("clusterIPs") or []:
            if ip not in new_ips and ip != "None":
                self.ips.release(ip)
        new_ports = {(p.get("protocol", "TCP"), p.get("nodePort")) for p in new_spec.get("ports") or []}
        if new_spec.get("healthCheckNodePort"):
            new_ports.add(("TCP", new_spec["healthCheckNodePort"]))
        old_ports = [(p.get("protocol", "TCP"), p.get("nodePort")) for p in old["spec"].get("ports") or []]
        if old["spec"].get("healthCheckNodePort"):
            old_ports.append(("TCP", old["spec"]["healthCheckNodePort"]))
        for proto, port in old_ports:
            if port and (proto, port) not in new_ports:
                self.ports.release(proto, port)


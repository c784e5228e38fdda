"""Services (pkg/registry/core/service strategy.go + storage.go): the update preparation of `service_update.py`,
and ClusterIP/NodePort allocation on create and update, released when a Service goes."""
from __future__ import annotations

from kubenet.api import validation
from kubenet.api.kinds import Kind
from kubenet.api.validation import FieldError
from kubenet.apiserver.storage import service_update
from kubenet.apiserver.storage.allocators import AllocationError, ClusterIPAllocator, NodePortAllocator
from kubenet.apiserver.storage.generic import GenericStore
from kubenet.apiserver.storage.strategy import Strategy
from kubenet.store import Store, prefix_key


class ServiceStrategy(Strategy):
    generation = True
    return_deleted_object = True

    def status_on_create(self, obj: dict) -> None:
        obj["status"] = {"loadBalancer": {}}

    def begin_update(self, new: dict, old: dict) -> None:
        service_update.prepare_service_update(new, old)

    def prepare_for_update(self, new: dict, old: dict) -> None:
        super().prepare_for_update(new, old)
        service_update.drop_type_dependent_fields(new["spec"], old.get("spec") or {})


class ServiceStorage(GenericStore):
    """The generic store with the ClusterIP and NodePort allocators (the Service REST's beginCreate/beginUpdate)."""

    def __init__(self, kind: Kind, store: Store, allocations: ServiceAllocations):
        super().__init__(kind, store, ServiceStrategy(kind))
        self.allocations = allocations
        items, _, _ = store.list(prefix_key("", "services"))
        allocations.load(items)

    def allocate(self, new: dict, old: dict | None, dry_run: bool) -> list[FieldError]:
        return self.allocations.allocate(new, old, dry_run)

    def after_delete(self, gone: dict) -> None:
        self.allocations.release_unused(gone, None)

    def field_errors(self, obj: dict, old: dict | None) -> list[FieldError]:
        # nodePorts must fall in the API server's --service-node-port-range, which the allocator holds.
        return validation.validate(self.kind, obj, old, (self.allocations.ports.low, self.allocations.ports.high))


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


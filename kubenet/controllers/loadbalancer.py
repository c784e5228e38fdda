"""LoadBalancer IPs for Services of type LoadBalancer, from a pool on the node network (what MetalLB or
kind's cloud-provider-kind do): status.loadBalancer.ingress gets the IP, `kubectl get svc` shows it."""
from __future__ import annotations

import ipaddress

from kubenet.controllers.base import Controller
from kubenet.controllers.context import ControllerContext


class LoadBalancerController(Controller):
    name = "service-lb"
    workers = 1

    def __init__(self, client, informers, pool_range: str = "172.18.255.200-172.18.255.250"):
        super().__init__(client, informers)
        self.pool_range = pool_range
        self.services = informers.get("services")
        self.services.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), None)

    @classmethod
    def from_context(cls, client, informers, context: ControllerContext) -> LoadBalancerController:
        return cls(client, informers, context.lb_pool)

    def pool(self) -> list[str]:
        first, last = (int(ipaddress.ip_address(x)) for x in self.pool_range.split("-"))
        return [str(ipaddress.ip_address(i)) for i in range(first, last + 1)]

    def _in_use(self) -> set[str]:
        return {ing.get("ip") for svc in self.services.list()
                for ing in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []}

    async def reconcile(self, key: str) -> None:
        svc = self.services.get(key)
        if svc is None:
            return
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        wants_lb = svc["spec"].get("type") == "LoadBalancer"
        if wants_lb == bool(ingress):
            return
        if not wants_lb:
            new_ingress = []
        else:
            requested = svc["spec"].get("loadBalancerIP")
            free = [ip for ip in self.pool() if ip not in self._in_use()]
            ip = requested if requested and requested not in self._in_use() else (free[0] if free else None)
            if ip is None:
                await self.recorder.event(svc, "Warning", "AllocationFailed",
                                          f"Failed to allocate IP for \"{key}\": no available IPs")
                return
            new_ingress = [{"ip": ip, "ipMode": "VIP"}]
        ns, name = key.split("/", 1)
        await self.client.patch("services", name, {"status": {"loadBalancer": {"ingress": new_ingress}}}, ns,
                                "merge", "status")
        if new_ingress:
            await self.recorder.event(svc, "Normal", "IPAllocated", f"Assigned IP [\"{new_ingress[0]['ip']}\"]")


CONTROLLER = LoadBalancerController

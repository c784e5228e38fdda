"""Node IPAM (the range allocator): give every Node a podCIDR, a /24 from the cluster's pod CIDR."""
from __future__ import annotations

import ipaddress

from kubenet.controllers.base import Controller
from kubenet.controllers.context import ControllerContext


class NodeIPAMController(Controller):
    name = "node-ipam"
    workers = 1

    def __init__(self, client, informers, cluster_cidr: str = "10.244.0.0/16", node_mask: int = 24):
        super().__init__(client, informers)
        self.pod_cidr = cluster_cidr
        self.node_mask = node_mask
        self.nodes = informers.get("nodes")
        self.assigned: set[str] = set()
        self.nodes.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), None)

    @classmethod
    def from_context(cls, client, informers, context: ControllerContext) -> NodeIPAMController:
        return cls(client, informers, context.cluster_cidr, context.node_cidr_mask_size)

    def _taken(self) -> set[str]:
        # The cache lags our own writes, so what we assigned is remembered too (the range allocator's bitmap).
        self.assigned |= {n["spec"]["podCIDR"] for n in self.nodes.list() if (n.get("spec") or {}).get("podCIDR")}
        return self.assigned

    async def reconcile(self, key: str) -> None:
        node = self.nodes.get(key)
        if node is None or (node.get("spec") or {}).get("podCIDR"):
            return
        taken = self._taken()
        for subnet in ipaddress.ip_network(self.pod_cidr).subnets(new_prefix=self.node_mask):
            if str(subnet) not in taken:
                cidr = str(subnet)
                break
        else:
            await self.recorder.event(node, "Normal", "CIDRNotAvailable",
                                      f"Node {key} status is now: CIDRNotAvailable")  # the range allocator's
            return
        self.assigned.add(cidr)
        await self.client.patch("nodes", key, {"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}})


CONTROLLER = NodeIPAMController

"""Node IPAM (the range allocator): give every Node a podCIDR, a /24 from the cluster's pod CIDR."""
from __future__ import annotations

import ipaddress

from kubenet.controllers.base import Controller


class NodeIPAMController(Controller):
    name = "node-ipam"
    workers = 1
    pod_cidr = "10.244.0.0/16"
    node_mask = 24

    def __init__(self, client, informers):
        super().__init__(client, informers)
        self.nodes = informers.get("nodes")
        self.assigned: set[str] = set()
        self.nodes.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), None)

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

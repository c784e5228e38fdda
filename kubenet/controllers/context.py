"""What the controller manager is configured with (kube-controller-manager's flags, which reach upstream's
controllers through ControllerContext.ComponentConfig): one object handed to the manager, never class attributes
or module globals, so two control planes in one process (the tests' threads) cannot see each other's."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ControllerContext:
    cluster_cidr: str = "10.244.0.0/16"  # --cluster-cidr: node-ipam cuts the Nodes' podCIDRs from it
    node_cidr_mask_size: int = 24  # --node-cidr-mask-size
    service_cidr: str = "10.96.0.0/12"  # --service-cluster-ip-range
    cluster_domain: str = "cluster.local"
    lb_pool: str = "172.18.255.200-172.18.255.250"  # service-lb's LoadBalancer IP pool (first-last)
    root_ca: str | None = None  # --root-ca-file's PEM: what root-ca-cert-publisher puts in kube-root-ca.crt

"""What a kubelet is told about its node and its cluster (the kubelet's KubeletConfiguration and flags): built by
whoever starts it (kubenet/cluster for the supervisor's kubelets), so the kubelet needs no cluster package."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KubeletConfig:
    node_name: str
    node_ip: str
    node_netns: str | None  # the node's network namespace (None: the current one)
    root_dir: Path  # pods/<uid> (token volumes) and nodes/<node>/cni (IPAM leases, CNI cache) live under it
    pod_netns_prefix: str  # a Pod sandbox's netns is this plus the first 12 hex of its UID
    cluster_dns: str  # clusterDNS: the nameserver written into Pods' resolv.conf
    cluster_domain: str  # clusterDomain
    kubernetes_service_host: str  # KUBERNETES_SERVICE_HOST in every container's environment
    ca_file: Path  # the cluster CA (ca.crt in projected volumes until kube-root-ca.crt exists)
    pod_kubeconfig: Path  # KUBENET_KUBECONFIG: the in-Pod kubectl's kubeconfig
    control_plane: bool = False  # the node labelled node-role.kubernetes.io/control-plane

"""What a cluster is: its name, size, address ranges and where its files live."""
from __future__ import annotations

import hashlib
import ipaddress
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kubenet.kubelet.config import KubeletConfig

DATA_ROOT = Path("/var/lib/kubenet")
# What the CLI and the supervisor run under: every file a cluster writes is root's alone (the store holds Secrets,
# pki/ the CA key, pods/ the ServiceAccount tokens), as kubeadm keeps /etc/kubernetes/pki and etcd's data dir.
PRIVATE_UMASK = 0o077
# Where a cluster made with `up --data-dir DIR` records DIR (one 0600 file per cluster name, removed by `down`), so
# `status`, `down`, `exec` and `kubeconfig` find the cluster by --name alone.
DATA_DIR_POINTERS = DATA_ROOT / ".data-dirs"


def private_dir(path: Path) -> Path:
    """Make a directory only its owner may enter (0700), also one that exists with looser bits from before."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


@dataclass
class ClusterConfig:
    name: str = "kubenet"
    nodes: int = 1
    sandbox: bool = False
    proxy_mode: str = "iptables"
    data_dir: str = ""
    kubeconfig: str = ""  # where `up` merges the context; "" = ~/.kube/config
    node_cidr: str = "172.18.0.0/16"
    pod_cidr: str = "10.244.0.0/16"
    service_cidr: str = "10.96.0.0/12"
    node_port_range: str = "30000-32767"
    lb_range: str = "172.18.255.200-172.18.255.250"
    cluster_domain: str = "cluster.local"
    api_port: int = 6443
    node_names: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.data_dir:
            self.data_dir = str(DATA_ROOT / self.name)
        if not self.node_names:
            self.node_names = node_names(self.name, self.nodes)

    # --- derived names and addresses ----------------------------------------------------------------
    @property
    def data(self) -> Path:
        return Path(self.data_dir)

    @property
    def sandbox_netns(self) -> str | None:
        return f"kubenet-{self.name}" if self.sandbox else None

    @property
    def bridge(self) -> str:
        return "kubenet0" if self.name == "kubenet" or self.sandbox else f"kn-{self.name[:12]}"

    @property
    def host_ip(self) -> str:
        return str(ipaddress.ip_network(self.node_cidr).network_address + 1)

    @property
    def prefix_len(self) -> int:
        return ipaddress.ip_network(self.node_cidr).prefixlen

    def node_ip(self, index: int) -> str:
        return str(ipaddress.ip_network(self.node_cidr).network_address + 2 + index)

    def node_netns(self, node: str) -> str:
        return f"kn-{self.name}-{node.removeprefix(self.name + '-')}"

    def node_uplink(self, node: str) -> str:
        return "knh-" + hashlib.sha1(f"{self.name}/{node}".encode()).hexdigest()[:8]

    def pod_netns_prefix(self) -> str:
        return f"kn-{self.name}-pod-"

    @property
    def dns_ip(self) -> str:
        return str(ipaddress.ip_network(self.service_cidr).network_address + 10)

    @property
    def kubernetes_service_ip(self) -> str:
        return str(ipaddress.ip_network(self.service_cidr).network_address + 1)

    def kubelet_config(self, node: str, node_ip: str, node_netns: str | None, control_plane: bool) -> KubeletConfig:
        """What this cluster tells the kubelet of one of its nodes."""
        return KubeletConfig(node_name=node, node_ip=node_ip, node_netns=node_netns, root_dir=self.data,
                             pod_netns_prefix=self.pod_netns_prefix(), cluster_dns=self.dns_ip,
                             cluster_domain=self.cluster_domain, kubernetes_service_host=self.kubernetes_service_ip,
                             ca_file=self.data / "pki" / "ca.crt", pod_kubeconfig=self.data / "pod-kubeconfig",
                             control_plane=control_plane)

    @property
    def context(self) -> str:
        return f"kubenet-{self.name}"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.data / "kubeconfig"

    def save(self) -> None:
        private_dir(self.data)
        (self.data / "config.json").write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, name: str, data_dir: str = "") -> ClusterConfig:
        path = Path(data_dir or recorded_data_dir(name)) / "config.json"
        return cls(**json.loads(path.read_text()))


def record_data_dir(config: ClusterConfig) -> None:
    """`up`: remember a data dir other than the default one under the cluster's name (0600, root's alone)."""
    if config.data.resolve() == (DATA_ROOT / config.name).resolve():
        return
    private_dir(DATA_DIR_POINTERS)
    fd = os.open(DATA_DIR_POINTERS / config.name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(str(config.data.resolve()))


def recorded_data_dir(name: str) -> Path:
    """The data dir of cluster `name`: the default one, or the --data-dir its `up` recorded."""
    default = DATA_ROOT / name
    if (default / "config.json").exists():
        return default
    try:
        return Path((DATA_DIR_POINTERS / name).read_text().strip() or default)
    except OSError:
        return default


def forget_data_dir(name: str) -> None:
    """`down`: drop the record of a custom data dir (and the records' dir once empty)."""
    try:
        (DATA_DIR_POINTERS / name).unlink()
        DATA_DIR_POINTERS.rmdir()
    except OSError:
        pass


def node_names(cluster: str, count: int) -> list[str]:
    """kind's naming: <cluster>-control-plane, <cluster>-worker, <cluster>-worker2, ..."""
    names = [f"{cluster}-control-plane"] if count > 0 else []
    for i in range(1, count):
        names.append(f"{cluster}-worker" + (str(i) if i > 1 else ""))
    return names

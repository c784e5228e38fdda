"""The control plane's static Pods: what kubeadm writes to /etc/kubernetes/manifests on a kind node, for the
components this supervisor runs (kube-apiserver, kube-controller-manager, kube-scheduler).

There is no etcd Pod: the store is SQLite inside the API server's process, as k3s shows none for its kine/SQLite
store. The manifests carry the labels, priority, tolerations and hostNetwork of kubeadm's, and flags that say how
this cluster's components are really configured; they are not commands anything executes (the components are
coroutines of the supervisor), so they have no probes and no volumes. Each names the Python loggers whose
records are its output (`kubectl logs -n kube-system kube-apiserver-<node>`).
"""
from __future__ import annotations

import re
from pathlib import Path

from kubenet.api.version import GIT_VERSION
from kubenet.cluster.config import ClusterConfig
from kubenet.kubelet.static_pods import LOG_ROOT, NAMESPACE, StaticPod

# component → (loggers, cpu request as kubeadm sets it)
COMPONENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "kube-apiserver": (("kubenet.apiserver", "kubenet.store"), "250m"),
    "kube-controller-manager": (("kubenet.controllers",), "200m"),
    "kube-scheduler": (("kubenet.scheduler",), "100m"),
}


def _flags(component: str, c: ClusterConfig) -> list[str]:
    pki = c.data / "pki"
    if component == "kube-apiserver":
        return [f"--advertise-address={c.host_ip}", "--authorization-mode=RBAC", f"--client-ca-file={pki}/ca.crt",
                f"--secure-port={c.api_port}", f"--service-account-key-file={pki}/sa.key",
                f"--service-cluster-ip-range={c.service_cidr}", f"--service-node-port-range={c.node_port_range}",
                f"--tls-cert-file={pki}/apiserver.crt", f"--tls-private-key-file={pki}/apiserver.key"]
    if component == "kube-controller-manager":
        return ["--allocate-node-cidrs=true", f"--cluster-cidr={c.pod_cidr}", f"--cluster-name={c.name}",
                f"--root-ca-file={pki}/ca.crt", f"--service-cluster-ip-range={c.service_cidr}"]
    return ["--bind-address=127.0.0.1", "--leader-elect=false"]


def manifest(component: str, config: ClusterConfig, node_name: str) -> dict:
    _, cpu = COMPONENTS[component]
    container = {"name": component, "image": f"registry.k8s.io/{component}:{GIT_VERSION}",
                 "imagePullPolicy": "IfNotPresent", "command": [component, *_flags(component, config)],
                 "resources": {"requests": {"cpu": cpu}}, "terminationMessagePath": "/dev/termination-log",
                 "terminationMessagePolicy": "File"}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{component}-{node_name}", "namespace": NAMESPACE,
                         "labels": {"component": component, "tier": "control-plane"}},
            "spec": {"containers": [container], "hostNetwork": True, "priority": 2000001000,
                     "priorityClassName": "system-node-critical", "restartPolicy": "Always",
                     "dnsPolicy": "ClusterFirst", "enableServiceLinks": True,
                     "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                     "terminationGracePeriodSeconds": 30,
                     "tolerations": [{"operator": "Exists", "effect": "NoExecute"}]}}


def static_pods(config: ClusterConfig, node_name: str) -> list[StaticPod]:
    return [StaticPod(manifest(name, config, node_name), loggers) for name, (loggers, _) in COMPONENTS.items()]


def log_dirs(config: ClusterConfig) -> list[Path]:
    """The static Pods' log directories of this cluster's control-plane node (for `kubenet down`)."""
    if not config.node_names:
        return []
    node = re.escape(config.node_names[0])
    pattern = re.compile(rf"{NAMESPACE}_({'|'.join(COMPONENTS)})-{node}_[0-9a-f]{{32}}")
    return [d for d in LOG_ROOT.glob(f"{NAMESPACE}_*") if pattern.fullmatch(d.name)]

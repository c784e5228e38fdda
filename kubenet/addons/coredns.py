"""Cluster DNS as kubeadm installs it: the CoreDNS Deployment and the kube-dns Service in kube-system
(kubeadm's cmd/kubeadm/app/phases/addons/dns manifests), served here by coredns_py.

RBAC: kubeadm also creates the coredns ServiceAccount and the system:coredns ClusterRole and binding. Ours reads
the API with the cluster's Pod kubeconfig (the `/coredns` program below), so those objects would be unused and
a fresh cluster does not have them yet; they belong with CoreDNS reading the API as its own ServiceAccount.
"""
from __future__ import annotations

import socket
import sys

from dnslib import QTYPE, DNSRecord

from kubenet.addons import Addon, AddonImage, ClusterFacts, HealthCheck, Manifest

REPOSITORY = "registry.k8s.io/coredns/coredns"
TAG = "v1.11.3"
IMAGE = f"{REPOSITORY}:{TAG}"
PY = sys.executable


def kube_dns_service(facts: ClusterFacts) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system",
                         "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                    "kubernetes.io/name": "CoreDNS"},
                         "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
            "spec": {"selector": {"k8s-app": "kube-dns"}, "clusterIP": facts.dns_ip,
                     "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                               {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                               {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]}}


def coredns_deployment(replicas: int = 1) -> dict:
    labels = {"k8s-app": "kube-dns"}
    container = {
        "name": "coredns", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
        "args": ["-conf", "/etc/coredns/Corefile"],
        "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                  {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                  {"name": "metrics", "containerPort": 9153, "protocol": "TCP"}],
        "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"}, "periodSeconds": 1,
                           "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "livenessProbe": {"httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
                          "initialDelaySeconds": 60, "timeoutSeconds": 5, "successThreshold": 1,
                          "failureThreshold": 5},
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [container], "dnsPolicy": "Default",
                                           "priorityClassName": "system-cluster-critical",
                                           "tolerations": [
                                               {"key": "CriticalAddonsOnly", "operator": "Exists"},
                                               {"key": "node-role.kubernetes.io/control-plane",
                                                "effect": "NoSchedule"}]}}}}


def manifests(facts: ClusterFacts) -> list[Manifest]:
    return [("services", kube_dns_service(facts)), ("deployments.apps", coredns_deployment())]


def _coredns_program(argv: list[str], tag: str) -> tuple[str, ...]:
    # CoreDNS's -conf Corefile is fixed here: the kubernetes zone, health on 8080, ready on 8181, forward the rest.
    return ("sh", "-c", (f'exec {PY} -m coredns_py --kubeconfig "$KUBENET_KUBECONFIG" '
                         "--listen 0.0.0.0:53 --health-port 8080 --ready-port 8181"))


def dns_query_answers(server: str, name: str, timeout: float = 0.5) -> bool:
    """One UDP query to the cluster DNS Service, through the node's kube-proxy rules like any client."""
    query = DNSRecord.question(name, "A")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(query.pack(), (server, 53))
            reply = DNSRecord.parse(sock.recv(4096))
        except OSError:
            return False
        return reply.header.id == query.header.id and any(r.rtype == QTYPE.A for r in reply.rr)


def cluster_dns_answers(facts: ClusterFacts) -> bool:
    return dns_query_answers(facts.dns_ip, f"kubernetes.default.svc.{facts.cluster_domain}")


ADDON = Addon(
    name="CoreDNS",
    manifests=manifests,
    images=(AddonImage(REPOSITORY, entrypoint=("/coredns",), default_tag=TAG,
                       programs={"/coredns": _coredns_program}),),
    health=HealthCheck("cluster DNS", cluster_dns_answers),
)

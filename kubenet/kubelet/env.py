"""A container's environment: env (value, fieldRef, resourceFieldRef, configMap/secret refs), envFrom, and the
KUBERNETES_SERVICE_* variables every Pod gets (kubelet_pods.go makeEnvironmentVariables)."""
from __future__ import annotations

import base64
import re

from kubenet.api.errors import APIError

_VAR = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def pod_field_value(pod: dict, path: str, pod_ip: str, node_ip: str) -> str:
    """A fieldRef's value (env valueFrom and downwardAPI volume items)."""
    meta, spec = pod["metadata"], pod["spec"]
    simple = {"metadata.name": meta["name"], "metadata.namespace": meta.get("namespace", ""),
              "metadata.uid": meta.get("uid", ""), "spec.nodeName": spec.get("nodeName", ""),
              "spec.serviceAccountName": spec.get("serviceAccountName", ""), "status.podIP": pod_ip,
              "status.podIPs": pod_ip, "status.hostIP": node_ip, "status.hostIPs": node_ip}
    if path in simple:
        return simple[path]
    m = re.match(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if m:
        return (meta.get(m.group(1)) or {}).get(m.group(2), "")
    return ""


async def container_env(kubelet, pod: dict, container: dict, pod_ip: str) -> dict[str, str]:
    env: dict[str, str] = {
        "KUBERNETES_SERVICE_HOST": kubelet.config.kubernetes_service_host, "KUBERNETES_SERVICE_PORT": "443",
        "KUBERNETES_SERVICE_PORT_HTTPS": "443", "KUBERNETES_PORT": f"tcp://{kubelet.config.kubernetes_service_host}:443",
        "KUBERNETES_PORT_443_TCP": f"tcp://{kubelet.config.kubernetes_service_host}:443",
        "KUBERNETES_PORT_443_TCP_PROTO": "tcp", "KUBERNETES_PORT_443_TCP_PORT": "443",
        "KUBERNETES_PORT_443_TCP_ADDR": kubelet.config.kubernetes_service_host,
        "KUBENET_KUBECONFIG": str(kubelet.config.pod_kubeconfig),
    }
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        ref = source.get("configMapRef") or source.get("secretRef")
        kind = "configmaps" if "configMapRef" in source else "secrets"
        data = await _data(kubelet, kind, pod["metadata"].get("namespace"), (ref or {}).get("name"))
        for k, v in data.items():
            env[prefix + k] = v
    for var in container.get("env") or []:
        name = var["name"]
        if "value" in var:
            env[name] = _VAR.sub(lambda m: env.get(m.group(1), m.group(0)), str(var["value"]))
            continue
        src = var.get("valueFrom") or {}
        if "fieldRef" in src:
            env[name] = pod_field_value(pod, src["fieldRef"].get("fieldPath", ""), pod_ip, kubelet.node_ip)
        elif "configMapKeyRef" in src or "secretKeyRef" in src:
            ref = src.get("configMapKeyRef") or src.get("secretKeyRef")
            kind = "configmaps" if "configMapKeyRef" in src else "secrets"
            data = await _data(kubelet, kind, pod["metadata"].get("namespace"), ref.get("name"))
            value = data.get(ref.get("key"))
            if value is not None:
                env[name] = value
        elif "resourceFieldRef" in src:
            res = src["resourceFieldRef"].get("resource", "")
            kind, _, rname = res.partition(".")
            env[name] = str(((container.get("resources") or {}).get(kind) or {}).get(rname, "0"))
    return env


async def _data(kubelet, kind: str, namespace: str | None, name: str | None) -> dict[str, str]:
    try:
        obj = await kubelet.client.get(kind, name, namespace)
    except APIError as exc:
        if exc.code != 404:
            raise
        return {}  # an optional reference to a missing object: the variable is left out
    data = dict(obj.get("data") or {})
    if kind == "secrets":
        data = {k: base64.b64decode(v).decode(errors="replace") for k, v in data.items()}
        data.update(obj.get("stringData") or {})
    return data

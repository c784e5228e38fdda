"""Projected volumes that carry a ServiceAccount token (kube-api-access-*, or one a user wrote): what the Pod spec
says is what the container sees. Each is written under the kubelet's layout,
<data dir>/pods/<uid>/volumes/kubernetes.io~projected/<volume>/, and bind-mounted read-only (projected volumes
always are) at every mountPath a container gives it.

Sources (pkg/volume/projected): serviceAccountToken (a bound token for the Pod, refreshed by tokens.py), configMap
items (kube-root-ca.crt's ca.crt; until that ConfigMap exists the cluster CA it publishes stands in), downwardAPI
items (metadata fields). Secret sources and other volume types are not mounted by this kubelet.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kubenet.kubelet.env import pod_field_value
from kubenet.kubelet.tokens import TOKEN_FILE_MODE

ROOT_CA_CONFIGMAP = "kube-root-ca.crt"


@dataclass
class TokenVolume:
    name: str
    projected: dict
    mount_paths: list[str] = field(default_factory=list)

    @property
    def token_source(self) -> dict:
        return next(s["serviceAccountToken"] for s in self.projected.get("sources") or []
                    if s.get("serviceAccountToken") is not None)


def token_volumes(pod: dict) -> list[TokenVolume]:
    """The Pod's projected volumes with a serviceAccountToken source that some container mounts."""
    spec = pod.get("spec") or {}
    volumes = {v["name"]: TokenVolume(v["name"], v["projected"]) for v in spec.get("volumes") or []
               if v.get("projected") and any(s.get("serviceAccountToken") is not None
                                             for s in v["projected"].get("sources") or [])}
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        for mount in container.get("volumeMounts") or []:
            vol = volumes.get(mount.get("name"))
            if vol is not None and mount.get("mountPath") and mount["mountPath"] not in vol.mount_paths:
                vol.mount_paths.append(mount["mountPath"])
    return [v for v in volumes.values() if v.mount_paths]


def volume_dir(pod_dir: Path, volume: TokenVolume) -> Path:
    return pod_dir / "volumes" / "kubernetes.io~projected" / volume.name


async def projected_files(kubelet, pod: dict, volume: TokenVolume) -> dict[str, bytes]:
    """Every file of the volume but the token: relative path → content."""
    namespace = pod["metadata"].get("namespace", "")
    files: dict[str, bytes] = {}
    for source in volume.projected.get("sources") or []:
        if source.get("configMap") is not None:
            ref = source["configMap"]
            data = await _config_map_data(kubelet, namespace, ref)
            items = ref.get("items") or [{"key": k, "path": k} for k in data]
            for item in items:
                if item.get("key") in data:
                    files[item["path"]] = data[item["key"]].encode()
        for item in (source.get("downwardAPI") or {}).get("items") or []:
            path = (item.get("fieldRef") or {}).get("fieldPath")
            if path:
                value = pod_field_value(pod, path, "", kubelet.node_ip)
                files[item["path"]] = value.encode()
    return files


async def _config_map_data(kubelet, namespace: str, ref: dict) -> dict[str, str]:
    from kubenet.api.errors import APIError
    try:
        return dict((await kubelet.client.get("configmaps", ref.get("name"), namespace)).get("data") or {})
    except APIError as exc:
        if exc.code != 404:
            raise
    if ref.get("name") == ROOT_CA_CONFIGMAP:
        # The root-CA publisher has not reached this namespace yet; it would publish exactly this file.
        return {"ca.crt": kubelet.config.ca_file.read_text()}
    if ref.get("optional"):
        return {}
    raise FileNotFoundError(f'configmap "{ref.get("name")}" not found')


def write_files(directory: Path, files: dict[str, bytes]) -> None:
    """Every file with TOKEN_FILE_MODE, not the volume's (item) modes: a real node keeps the volume in a directory
    only root may enter, so its files' 0644 (defaultMode 420) reveals nothing; here the files themselves must not."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for relative, content in files.items():
        path = directory / relative
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, TOKEN_FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.chmod(path, TOKEN_FILE_MODE)

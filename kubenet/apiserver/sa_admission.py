"""The ServiceAccount admission plugin's mutation of a new Pod (plugin/pkg/admission/serviceaccount/admission.go):
the `kube-api-access-<5 random chars>` projected volume (a bound token, the cluster CA from the kube-root-ca.crt
ConfigMap, the namespace) and its read-only mount at /var/run/secrets/kubernetes.io/serviceaccount in every
container and init container that does not already mount something there."""
from __future__ import annotations

import random

from kubenet.api import errors

VOLUME_PREFIX = "kube-api-access-"
MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"
TOKEN_EXPIRATION_SECONDS = 3607  # serviceaccount.WarnOnlyBoundTokenExpirationSeconds
MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"
# utilrand.String's alphabet (no vowels, no look-alikes), which names.SimpleNameGenerator draws 5 chars from.
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def name_suffix(n: int = 5) -> str:
    """utilrand.String: the suffix of a generated name (no vowels, no look-alikes)."""
    return "".join(random.choices(_NAME_ALPHABET, k=n))


def token_volume(name: str) -> dict:
    """TokenVolumeSource: what `kubectl get pod -o yaml` shows under spec.volumes on every real cluster."""
    return {"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_SECONDS, "path": "token"}},
        {"configMap": {"name": ROOT_CA_CONFIGMAP, "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace",
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}}


def should_automount(pod: dict, service_account: dict | None) -> bool:
    """The Pod's automountServiceAccountToken wins, then the ServiceAccount's; unset on both means mount."""
    pod_choice = (pod.get("spec") or {}).get("automountServiceAccountToken")
    if pod_choice is not None:
        return bool(pod_choice)
    sa_choice = (service_account or {}).get("automountServiceAccountToken")
    return sa_choice is not False


def missing_service_account(pod_name: str, namespace: str, name: str) -> errors.APIError:
    """The plugin refuses a Pod whose ServiceAccount does not exist (admission.NewForbidden; the Pod is named as
    admission sees it, before generateName is filled in). The `default` one is not refused here: the real plugin
    waits ~1 s for the controller to make it, which this synchronous registry cannot, so it goes on without it."""
    return errors.APIError(403, "Forbidden", f'pods "{pod_name}" is forbidden: error looking up service account '
                                             f'{namespace}/{name}: serviceaccount "{name}" not found',
                           {"name": pod_name, "kind": "pods"})


def admit_pod(pod: dict, service_account: dict | None) -> None:
    """Mutate a Pod being created. Mirror Pods are left alone: they may not use ServiceAccounts at all."""
    if MIRROR_POD_ANNOTATION in ((pod.get("metadata") or {}).get("annotations") or {}):
        return
    if should_automount(pod, service_account):
        mount_service_account_token(pod["spec"])


def mount_service_account_token(spec: dict) -> None:
    volumes = spec.get("volumes") or []
    existing = next((v["name"] for v in volumes if str(v.get("name", "")).startswith(VOLUME_PREFIX)), None)
    name = existing or VOLUME_PREFIX + name_suffix()
    needs_volume = False
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        mounts = container.get("volumeMounts") or []
        if any(m.get("mountPath") == MOUNT_PATH for m in mounts):
            continue  # a volume the user mounts there wins
        container["volumeMounts"] = [*mounts, {"name": name, "readOnly": True, "mountPath": MOUNT_PATH}]
        needs_volume = True
    if needs_volume and existing is None:
        spec["volumes"] = [*volumes, token_volume(name)]

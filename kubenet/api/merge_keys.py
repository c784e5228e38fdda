"""How each list and map field of the built-in kinds merges: strategic merge patch and server-side apply.

Two tag families of the Go types (k8s.io/api) decide this, and they do not always agree:
- `patchStrategy` / `patchMergeKey` struct tags drive strategic merge patch (kubectl apply, kubectl patch).
- `+listType` / `+listMapKey` / `+mapType` / `+structType` markers drive server-side apply (structured-merge-diff);
  where a list has no `+listType`, a `patchStrategy:"merge"` list is associative on its merge key, else atomic
  (kube-openapi schemaconv).
E.g. container ports merge on containerPort for kubectl apply, but are keyed by (containerPort, protocol) in
managedFields. Lists not listed here are replaced whole (SMP) and atomic (SSA); maps are merged key by key.

Tables are keyed by (kind, dotted field path); list items add no path segment, so
"spec.template.spec.containers.ports" is the ports of any container of a Deployment's pod template.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from kubenet.api.kinds import KINDS


@dataclass(frozen=True)
class FieldMeta:
    patch_strategy: str = ""  # "merge", "merge,retainKeys", "retainKeys"; "" = replace (lists) / merge (maps)
    patch_merge_key: str = ""  # "" for lists of primitives
    list_type: str = "atomic"  # server-side apply: "atomic" | "set" | "map"
    list_map_keys: tuple[str, ...] = ()
    key_defaults: tuple[tuple[str, object], ...] = ()  # `+default` of a key field, used when an item omits it
    atomic: bool = False  # maps/structs: `+mapType=atomic` / `+structType=atomic` (owned and replaced as a unit)

    @property
    def merges(self) -> bool:
        return "merge" in self.patch_strategy.split(",")


def _by(key: str, *map_keys: str, strategy: str = "merge", defaults: tuple = ()) -> FieldMeta:
    """A list merged on `key` (SMP) and keyed by `map_keys` (SSA; the merge key when none are given)."""
    return FieldMeta(strategy, key, "map", map_keys or (key,), defaults)


_ATOMIC = FieldMeta(atomic=True)
_TCP = (("protocol", "TCP"),)  # ContainerPort.protocol / ServicePort.protocol: +default="TCP"

# metav1.ObjectMeta
OBJECT_META: dict[str, FieldMeta] = {
    "finalizers": FieldMeta("merge", "", "set"),
    "ownerReferences": _by("uid"),
}

# corev1.Container and EphemeralContainerCommon share these.
_CONTAINER: dict[str, FieldMeta] = {
    "ports": _by("containerPort", "containerPort", "protocol", defaults=_TCP),
    "env": _by("name"),
    "env.valueFrom.configMapKeyRef": _ATOMIC,
    "env.valueFrom.secretKeyRef": _ATOMIC,
    "env.valueFrom.fieldRef": _ATOMIC,
    "env.valueFrom.resourceFieldRef": _ATOMIC,
    "volumeMounts": _by("mountPath"),
    "volumeDevices": _by("devicePath"),
}

# corev1.PodSpec
POD_SPEC: dict[str, FieldMeta] = {
    "volumes": _by("name", strategy="merge,retainKeys"),
    "imagePullSecrets": _by("name"),
    "hostAliases": _by("ip"),
    "topologySpreadConstraints": _by("topologyKey", "topologyKey", "whenUnsatisfiable"),
    "topologySpreadConstraints.labelSelector": _ATOMIC,
    "schedulingGates": _by("name"),
    "resourceClaims": _by("name", strategy="merge,retainKeys"),
    "nodeSelector": _ATOMIC,
    "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution": _ATOMIC,
}
for _list in ("containers", "initContainers", "ephemeralContainers"):
    POD_SPEC[_list] = _by("name")
    POD_SPEC.update({f"{_list}.{path}": meta for path, meta in _CONTAINER.items()})

# corev1.PodStatus
POD_STATUS: dict[str, FieldMeta] = {
    "conditions": _by("type"),
    "podIPs": _by("ip"),
    "hostIPs": FieldMeta("merge", "ip", "atomic"),  # SMP merges on ip, but +listType=atomic for SSA
    "resourceClaimStatuses": _by("name", strategy="merge,retainKeys"),
}

_CONDITIONS = {"status.conditions": _by("type")}
_SELECTOR = {"spec.selector": _ATOMIC}  # metav1.LabelSelector is +structType=atomic


def _pod_template(prefix: str) -> dict[str, FieldMeta]:
    table = {f"{prefix}.metadata.{path}": meta for path, meta in OBJECT_META.items()}
    table.update({f"{prefix}.spec.{path}": meta for path, meta in POD_SPEC.items()})
    return table


# Per kind, relative to the object root; ObjectMeta is added to every kind below.
_KIND_FIELDS: dict[str, dict[str, FieldMeta]] = {
    "Pod": {**{f"spec.{p}": m for p, m in POD_SPEC.items()}, **{f"status.{p}": m for p, m in POD_STATUS.items()}},
    "Deployment": {**_pod_template("spec.template"), **_SELECTOR, **_CONDITIONS,
                   "spec.strategy": FieldMeta(patch_strategy="retainKeys")},
    "ReplicaSet": {**_pod_template("spec.template"), **_SELECTOR, **_CONDITIONS},
    # core/v1 ReplicationControllerSpec.Selector is a +mapType=atomic map, not a LabelSelector.
    "ReplicationController": {**_pod_template("spec.template"), "spec.selector": _ATOMIC, **_CONDITIONS},
    "StatefulSet": {**_pod_template("spec.template"), **_SELECTOR, **_CONDITIONS},
    "DaemonSet": {**_pod_template("spec.template"), **_SELECTOR, **_CONDITIONS},
    "Job": {**_pod_template("spec.template"), **_SELECTOR,
            "status.conditions": FieldMeta("merge", "type", "atomic")},  # JobStatus: +listType=atomic
    "CronJob": {**_pod_template("spec.jobTemplate.spec.template"), "spec.jobTemplate.spec.selector": _ATOMIC,
                **{f"spec.jobTemplate.metadata.{p}": m for p, m in OBJECT_META.items()}},
    "Service": {"spec.ports": _by("port", "port", "protocol", defaults=_TCP), "spec.selector": _ATOMIC,
                **_CONDITIONS},
    "ServiceAccount": {"secrets": _by("name")},
    "Node": {"spec.podCIDRs": FieldMeta("merge", "", "set"), "status.conditions": _by("type"),
             "status.addresses": _by("type")},
    "Namespace": dict(_CONDITIONS),
    "Event": {"involvedObject": _ATOMIC, "related": _ATOMIC},
    "NetworkPolicy": {"spec.podSelector": _ATOMIC},
    "Ingress": {"spec.defaultBackend.service.port": _ATOMIC},
    "RoleBinding": {"roleRef": _ATOMIC},
    "ClusterRoleBinding": {"roleRef": _ATOMIC},
}

FIELDS: dict[tuple[str, str], FieldMeta] = {}
for _kind in {k.kind for k in KINDS} | set(_KIND_FIELDS):
    FIELDS.update({(_kind, f"metadata.{p}"): m for p, m in OBJECT_META.items()})
    FIELDS.update({(_kind, p): m for p, m in _KIND_FIELDS.get(_kind, {}).items()})

# Kinds whose status is written only through the status subresource: their main resource ignores status
# (the strategies' ResetFields), so no manager owns status through it.
KINDS_WITH_STATUS: frozenset[str] = frozenset(k.kind for k in KINDS if k.has_status)


def field_meta(kind: str, path: tuple[str, ...] | str) -> FieldMeta | None:
    """The merge behaviour of the field at `path` (field names only, list items skipped), or None if default."""
    key = path if isinstance(path, str) else ".".join(path)
    return FIELDS.get((kind, key))


def _template() -> dict:
    return {"metadata": {}, "spec": {"containers": None}}


# What a freshly constructed Go object of the kind serialises to (non-pointer structs appear as {}, lists
# without omitempty as null). The API server compares a create against this, so only fields that are new
# relative to it are "added" (they get the `.` member in managedFields).
_EMPTY: dict[str, dict] = {
    "Pod": {"spec": {"containers": None}, "status": {}},
    "Deployment": {"spec": {"selector": None, "template": _template(), "strategy": {}}, "status": {}},
    "ReplicaSet": {"spec": {"selector": None, "template": _template()}, "status": {}},
    "ReplicationController": {"spec": {}, "status": {}},  # its template is a pointer, its selector omitempty
    "StatefulSet": {"spec": {"selector": None, "template": _template(), "updateStrategy": {}}, "status": {}},
    "DaemonSet": {"spec": {"selector": None, "template": _template(), "updateStrategy": {}}, "status": {}},
    "Job": {"spec": {"template": _template()}, "status": {}},
    "CronJob": {"spec": {"jobTemplate": {"metadata": {}, "spec": {"template": _template()}}}, "status": {}},
    "Service": {"spec": {}, "status": {"loadBalancer": {}}},
    "Namespace": {"spec": {}, "status": {}},
    "Node": {"spec": {}, "status": {"daemonEndpoints": {"kubeletEndpoint": {}}, "nodeInfo": {}}},
    "Ingress": {"spec": {}, "status": {"loadBalancer": {}}},
    "NetworkPolicy": {"spec": {"podSelector": {}}},
    "Event": {"involvedObject": {}, "source": {}},
    "EndpointSlice": {"endpoints": None},
    "RoleBinding": {"roleRef": {}},
    "ClusterRoleBinding": {"roleRef": {}},
}


def empty_object(kind: str) -> dict:
    """A new, empty object of `kind` as the API server sees it before a create (see _EMPTY)."""
    return {"metadata": {}, **copy.deepcopy(_EMPTY.get(kind, {}))}

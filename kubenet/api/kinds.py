"""The kinds kubenet serves: group, version, resource names, scope, short names and subresources.

Everything that identifies a kind lives here; what is special about its content (defaults, validation,
printer columns, merge keys) lives in the sibling modules, keyed by `Kind.kind`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class Kind:
    group: str  # "" for core
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()  # "status", "scale", "binding", "log", "exec", ...
    verbs: tuple[str, ...] = tuple(ALL_VERBS)
    singular: str = field(default="")

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def singular_name(self) -> str:
        return self.singular or self.kind.lower()

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    def __str__(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _k(group, version, kind, plural, namespaced=True, short=(), cats=(), sub=(), verbs=tuple(ALL_VERBS)):
    return Kind(group, version, kind, plural, namespaced, tuple(short), tuple(cats), tuple(sub), tuple(verbs))


_ALL = ("all",)
KINDS: list[Kind] = [
    _k("", "v1", "Namespace", "namespaces", False, ("ns",), (), ("status", "finalize"),
       ("create", "delete", "get", "list", "patch", "update", "watch")),
    _k("", "v1", "Pod", "pods", True, ("po",), _ALL,
       ("status", "binding", "log", "exec", "attach", "portforward", "proxy", "eviction", "ephemeralcontainers")),
    _k("", "v1", "Service", "services", True, ("svc",), _ALL, ("status", "proxy"),
       ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")),
    _k("", "v1", "Endpoints", "endpoints", True, ("ep",)),
    _k("", "v1", "ConfigMap", "configmaps", True, ("cm",)),
    _k("", "v1", "Secret", "secrets", True),
    _k("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",), (), ("token",)),
    _k("", "v1", "Node", "nodes", False, ("no",), (), ("status", "proxy")),
    _k("", "v1", "ReplicationController", "replicationcontrollers", True, ("rc",), _ALL, ("status", "scale")),
    _k("", "v1", "Event", "events", True, ("ev",)),
    _k("", "v1", "Binding", "bindings", True, (), (), (), ("create",)),
    _k("events.k8s.io", "v1", "Event", "events", True, ("ev",)),
    _k("apps", "v1", "Deployment", "deployments", True, ("deploy",), _ALL, ("status", "scale")),
    _k("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), _ALL, ("status", "scale")),
    _k("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), _ALL, ("status", "scale")),
    _k("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), _ALL, ("status",)),
    _k("apps", "v1", "ControllerRevision", "controllerrevisions", True),
    _k("batch", "v1", "Job", "jobs", True, (), _ALL, ("status",)),
    _k("batch", "v1", "CronJob", "cronjobs", True, ("cj",), _ALL, ("status",)),
    _k("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True),
    _k("networking.k8s.io", "v1", "Ingress", "ingresses", True, ("ing",), (), ("status",)),
    _k("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    _k("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, ("netpol",)),
    _k("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    _k("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    _k("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    _k("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _k("coordination.k8s.io", "v1", "Lease", "leases", True),
    # Reviews are answered, never stored (kubectl auth can-i / auth whoami).
    _k("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", False, verbs=("create",)),
    _k("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", False, verbs=("create",)),
]
REVIEWS = {"SelfSubjectAccessReview", "SelfSubjectReview"}

# Groups in the order discovery lists them (core first, like a real server).
GROUP_ORDER = ["", "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "batch",
               "discovery.k8s.io", "networking.k8s.io",
               "rbac.authorization.k8s.io", "coordination.k8s.io"]

_BY_RESOURCE: dict[tuple[str, str], Kind] = {(k.group, k.plural): k for k in KINDS}
_BY_KIND: dict[tuple[str, str], Kind] = {(k.api_version, k.kind): k for k in KINDS}


def by_resource(group: str, plural: str) -> Kind | None:
    return _BY_RESOURCE.get((group, plural))


def by_kind(api_version: str, kind: str) -> Kind | None:
    return _BY_KIND.get((api_version, kind))


def kinds_in(group_version: str) -> list[Kind]:
    return [k for k in KINDS if k.api_version == group_version]


def group_versions() -> list[str]:
    return [("v1" if g == "" else f"{g}/v1") for g in GROUP_ORDER]


# Kinds the store persists (Binding is a verb on pods, not an object).
STORED = [k for k in KINDS if k.kind != "Binding" and k.kind not in REVIEWS]

"""RBAC authorization (`--authorization-mode=RBAC`): Roles, ClusterRoles and their bindings, read from the registry.

Rule matching follows k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac (rbac.go, RuleAllows): `*` matches any
verb, group, resource or URL; `*/sub` any resource's subresource `sub`; a trailing `*` in a nonResourceURL is a
prefix. ClusterRoleBindings are visited before the RoleBindings of the request's namespace; the first rule that
allows the request names the reason. Members of `system:masters` are always allowed, as by the real apiserver's
privileged-group authorizer (which answers with an empty reason).
"""
from __future__ import annotations

from dataclasses import dataclass

from kubenet.api import kinds
from kubenet.api.errors import APIError
from kubenet.api.selectors import SelectorError, label_selector_from_object, matches

RBAC_GROUP = "rbac.authorization.k8s.io"
PRIVILEGED_GROUP = "system:masters"
_ROLE = kinds.by_resource(RBAC_GROUP, "roles")
_CLUSTER_ROLE = kinds.by_resource(RBAC_GROUP, "clusterroles")
_ROLE_BINDING = kinds.by_resource(RBAC_GROUP, "rolebindings")
_CLUSTER_ROLE_BINDING = kinds.by_resource(RBAC_GROUP, "clusterrolebindings")


@dataclass(frozen=True)
class Attributes:
    """What a request asks to do (apiserver RequestInfo). A non-resource request has `path` and no resource."""
    verb: str
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""

    @property
    def is_resource_request(self) -> bool:
        return not self.path


# --- rule matching (rbac.go RuleAllows and its helpers) ------------------------------------------------------
def _has(values, wanted: str) -> bool:
    return "*" in values or wanted in values


def _resource_matches(rule_resources, resource: str, subresource: str) -> bool:
    combined = f"{resource}/{subresource}" if subresource else resource
    for r in rule_resources:
        if r == "*" or r == combined:
            return True
        if subresource and r == "*/" + subresource:
            return True
    return False


def _url_matches(rule_urls, path: str) -> bool:
    for u in rule_urls:
        if u == "*" or u == path or (u.endswith("*") and path.startswith(u[:-1])):
            return True
    return False


def rule_allows(rule: dict, attrs: Attributes) -> bool:
    if not _has(rule.get("verbs") or (), attrs.verb):
        return False
    if not attrs.is_resource_request:
        return _url_matches(rule.get("nonResourceURLs") or (), attrs.path)
    names = rule.get("resourceNames") or ()
    return (_has(rule.get("apiGroups") or (), attrs.api_group)
            and _resource_matches(rule.get("resources") or (), attrs.resource, attrs.subresource)
            and (not names or attrs.name in names))


# --- the binding index ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Grant:
    order: int  # the real authorizer's visiting order: bindings by name, subjects in order
    source: str  # `ClusterRoleBinding "x" of ClusterRole "y" to User "z"`
    rules: tuple


def _subject_key(subject: dict, binding_namespace: str) -> tuple[str, str] | None:
    kind, name = subject.get("kind"), subject.get("name", "")
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return ("User", f"system:serviceaccount:{namespace}:{name}")
    if kind in ("User", "Group"):
        return (kind, name)
    return None


def _describe_subject(subject: dict, binding_namespace: str) -> str:
    name = subject.get("name", "")
    if subject.get("kind") == "ServiceAccount":
        name = f"{name}/{subject.get('namespace') or binding_namespace}"
    return f'{subject.get("kind")} "{name}"'


class _Index:
    """Who is granted which rules, by subject: cluster-wide, and per namespace."""

    def __init__(self, registry) -> None:
        cluster_roles = {r["metadata"]["name"]: r for r in registry.list(_CLUSTER_ROLE)["items"]}
        roles = {(r["metadata"]["namespace"], r["metadata"]["name"]): tuple(r.get("rules") or ())
                 for r in registry.list(_ROLE)["items"]}
        cluster_rules = {name: _aggregated_rules(name, cluster_roles) for name in cluster_roles}
        self.cluster: dict[tuple[str, str], list[_Grant]] = {}
        self.namespaced: dict[str, dict[tuple[str, str], list[_Grant]]] = {}
        order = 0
        for b in registry.list(_CLUSTER_ROLE_BINDING)["items"]:
            ref = b.get("roleRef") or {}
            rules = cluster_rules.get(ref.get("name"), ()) if ref.get("kind") == "ClusterRole" else ()
            for subject in b.get("subjects") or ():
                order += 1
                key = _subject_key(subject, "")
                if key is None or not rules:
                    continue
                source = (f'ClusterRoleBinding "{b["metadata"]["name"]}" of ClusterRole "{ref.get("name")}" to '
                          f'{_describe_subject(subject, "")}')
                self.cluster.setdefault(key, []).append(_Grant(order, source, rules))
        for b in registry.list(_ROLE_BINDING)["items"]:
            namespace = b["metadata"]["namespace"]
            ref = b.get("roleRef") or {}
            if ref.get("kind") == "ClusterRole":
                rules = cluster_rules.get(ref.get("name"), ())
            else:
                rules = roles.get((namespace, ref.get("name")), ())
            for subject in b.get("subjects") or ():
                order += 1
                key = _subject_key(subject, namespace)
                if key is None or not rules:
                    continue
                source = (f'RoleBinding "{b["metadata"]["name"]}/{namespace}" of {ref.get("kind")} '
                          f'"{ref.get("name")}" to {_describe_subject(subject, namespace)}')
                self.namespaced.setdefault(namespace, {}).setdefault(key, []).append(_Grant(order, source, rules))

    def grants(self, user: dict, namespace: str) -> list[_Grant]:
        keys = [("User", user.get("username", ""))] + [("Group", g) for g in user.get("groups") or ()]
        found = [g for k in keys for g in self.cluster.get(k, ())]
        by_subject = self.namespaced.get(namespace) if namespace else None
        if by_subject:
            found += [g for k in keys for g in by_subject.get(k, ())]
        found.sort(key=lambda g: g.order)  # ClusterRoleBindings first: their order numbers are the lowest
        return found


def _aggregated_rules(name: str, cluster_roles: dict, seen: frozenset = frozenset()) -> tuple:
    """A ClusterRole's rules, plus (with an aggregationRule) those of the ClusterRoles its selectors pick, as
    the clusterrole-aggregation controller would write them."""
    role = cluster_roles[name]
    rules = list(role.get("rules") or ())
    selectors = (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or ()
    for selector in selectors:
        try:
            requirements = label_selector_from_object(selector)
        except SelectorError:
            continue  # validation should have refused it; such a selector picks nothing
        for other, other_role in cluster_roles.items():
            if other == name or other in seen:
                continue
            if matches(requirements, other_role.get("metadata", {}).get("labels")):
                for rule in _aggregated_rules(other, cluster_roles, seen | {name}):
                    if rule not in rules:
                        rules.append(rule)
    return tuple(rules)


class RBACAuthorizer:
    """Decides requests from the RBAC objects in the registry. The index is rebuilt only after an RBAC object
    changed (a store watch on the rbac.authorization.k8s.io prefix tells us), so a decision costs a few dict
    lookups."""

    def __init__(self, registry) -> None:
        self.registry = registry
        self._watch = None
        self._index: _Index | None = None

    def _current_index(self) -> _Index:
        w = self._watch
        stale = self._index is None or w is None or w.closed
        if w is not None and not w.closed:
            while w.get_nowait() is not None:
                stale = True
        if stale:
            if w is None or w.closed:
                self._watch = self.registry.store.watch(f"/{RBAC_GROUP}/")
            self._index = _Index(self.registry)
        return self._index

    def authorize(self, user: dict, attrs: Attributes) -> tuple[bool, str]:
        """(allowed, reason): the reason names the binding that allowed it; empty when denied."""
        if PRIVILEGED_GROUP in (user.get("groups") or ()):
            return True, ""
        for grant in self._current_index().grants(user, attrs.namespace if attrs.is_resource_request else ""):
            for rule in grant.rules:
                if rule_allows(rule, attrs):
                    return True, f"RBAC: allowed by {grant.source}"
        return False, ""


def forbidden(user: dict, attrs: Attributes) -> APIError:
    """The 403 Status (apiserver endpoints/handlers/responsewriters Forbidden and forbiddenMessage)."""
    username = user.get("username", "")
    if not attrs.is_resource_request:
        return APIError(403, "Forbidden", f'forbidden: User "{username}" cannot {attrs.verb} path "{attrs.path}"',
                        {})
    resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    what = f'User "{username}" cannot {attrs.verb} resource "{resource}" in API group "{attrs.api_group}"'
    where = f' in the namespace "{attrs.namespace}"' if attrs.namespace else " at the cluster scope"
    qualified = f"{attrs.resource}.{attrs.api_group}" if attrs.api_group else attrs.resource
    subject = f'{qualified} "{attrs.name}"' if attrs.name else qualified
    details = {"name": attrs.name, "group": attrs.api_group, "kind": attrs.resource}
    return APIError(403, "Forbidden", f"{subject} is forbidden: {what}{where}",
                    {k: v for k, v in details.items() if v})

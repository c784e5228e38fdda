"""The RBAC authorizer decides as the real one: rules, bindings, subjects, scopes, names and subresources."""
from __future__ import annotations

import pytest

from kubenet.api.kinds import by_resource
from kubenet.apiserver.rbac import Attributes, RBACAuthorizer, forbidden, rule_allows
from kubenet.apiserver.registry import Registry
from kubenet.cluster import bootstrap_policy
from kubenet.store import MemoryStore

RBAC = "rbac.authorization.k8s.io"
SA = {"username": "system:serviceaccount:default:robot",
      "groups": ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"]}
ALICE = {"username": "alice", "groups": ["devs", "system:authenticated"]}


@pytest.fixture
def registry():
    registry = Registry(MemoryStore())
    for ns in ("default", "other"):
        registry.create(by_resource("", "namespaces"), None, {"metadata": {"name": ns}})
    for role in bootstrap_policy.cluster_roles():
        registry.create(by_resource(RBAC, "clusterroles"), None, role)
    for binding in bootstrap_policy.cluster_role_bindings():
        registry.create(by_resource(RBAC, "clusterrolebindings"), None, binding)
    return registry


def bind(registry, name, role_kind, role, subjects, namespace=None):
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    registry.create(by_resource(RBAC, kind.lower() + "s"), namespace, {
        "metadata": {"name": name}, "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": role},
        "subjects": subjects})


def role(registry, name, rules, namespace=None):
    kind = "roles" if namespace else "clusterroles"
    registry.create(by_resource(RBAC, kind), namespace, {"metadata": {"name": name}, "rules": rules})


def pods(verb, namespace="default", name="", subresource="", group="", resource="pods"):
    return Attributes(verb=verb, api_group=group, resource=resource, subresource=subresource, namespace=namespace,
                      name=name)


def test_rule_matching_wildcards_subresources_names_and_urls():
    rule = {"verbs": ["get"], "apiGroups": [""], "resources": ["pods", "pods/log"]}
    assert rule_allows(rule, pods("get"))
    assert rule_allows(rule, pods("get", subresource="log"))
    assert not rule_allows(rule, pods("get", subresource="exec"))
    assert not rule_allows(rule, pods("list"))
    assert not rule_allows(rule, pods("get", group="apps"))
    star = {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}
    assert rule_allows(star, pods("delete", subresource="status", group="apps", resource="deployments"))
    any_status = {"verbs": ["update"], "apiGroups": [""], "resources": ["*/status"]}
    assert rule_allows(any_status, pods("update", subresource="status"))
    assert not rule_allows(any_status, pods("update"))
    named = {"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"]}
    assert rule_allows(named, pods("get", name="a", resource="configmaps"))
    assert not rule_allows(named, pods("get", name="b", resource="configmaps"))
    assert not rule_allows(named, pods("list", resource="configmaps"))
    urls = {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/apis/*"]}
    assert rule_allows(urls, Attributes(verb="get", path="/healthz"))
    assert rule_allows(urls, Attributes(verb="get", path="/apis/apps/v1"))
    assert not rule_allows(urls, Attributes(verb="get", path="/metrics"))
    assert not rule_allows(urls, Attributes(verb="post", path="/healthz"))
    assert not rule_allows(urls, pods("get"))  # a URL rule grants no resource
    assert not rule_allows(rule, Attributes(verb="get", path="/api"))  # and a resource rule no URL


def test_masters_may_do_anything_and_strangers_nothing(registry):
    authz = RBACAuthorizer(registry)
    admin = {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]}
    assert authz.authorize(admin, pods("delete", name="x")) == (True, "")
    assert authz.authorize(SA, pods("list")) == (False, "")
    # Every authenticated user may discover the API and review its own access.
    assert authz.authorize(SA, Attributes(verb="get", path="/apis"))[0]
    allowed, reason = authz.authorize(SA, Attributes(verb="create", api_group="authorization.k8s.io",
                                                     resource="selfsubjectaccessreviews"))
    assert allowed
    assert reason == ('RBAC: allowed by ClusterRoleBinding "system:basic-user" of ClusterRole "system:basic-user" '
                      'to Group "system:authenticated"')


def test_a_role_binding_to_a_cluster_role_grants_it_in_its_namespace_only(registry):
    authz = RBACAuthorizer(registry)
    bind(registry, "robot-view", "ClusterRole", "view",
         [{"kind": "ServiceAccount", "name": "robot", "namespace": "default"}], namespace="default")
    allowed, reason = authz.authorize(SA, pods("list"))
    assert allowed
    assert reason == ('RBAC: allowed by RoleBinding "robot-view/default" of ClusterRole "view" to ServiceAccount '
                      '"robot/default"')
    assert authz.authorize(SA, pods("get", name="x", subresource="log"))[0]
    assert not authz.authorize(SA, pods("list", namespace="other"))[0]
    assert not authz.authorize(SA, pods("list", namespace=""))[0]  # all namespaces: cluster scope
    assert not authz.authorize(SA, pods("create"))[0]  # view does not write
    assert not authz.authorize(SA, pods("get", name="x", subresource="exec"))[0]
    assert not authz.authorize(SA, pods("get", resource="secrets"))[0]


def test_service_account_subjects_default_to_the_binding_namespace_and_match_by_user(registry):
    authz = RBACAuthorizer(registry)
    role(registry, "cm-reader", [{"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"]}], "other")
    bind(registry, "robot", "Role", "cm-reader", [{"kind": "ServiceAccount", "name": "robot"}], namespace="other")
    assert not authz.authorize(SA, pods("get", namespace="other", resource="configmaps"))[0]  # robot in "other"
    bind(registry, "robot-user", "Role", "cm-reader",
         [{"kind": "User", "apiGroup": RBAC, "name": "system:serviceaccount:default:robot"}], namespace="other")
    assert authz.authorize(SA, pods("get", namespace="other", resource="configmaps"))[0]


def test_cluster_role_bindings_grant_everywhere_and_groups_count(registry):
    authz = RBACAuthorizer(registry)
    role(registry, "node-reader", [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["nodes"]}])
    bind(registry, "devs-read-nodes", "ClusterRole", "node-reader", [{"kind": "Group", "name": "devs"}])
    assert authz.authorize(ALICE, pods("list", namespace="", resource="nodes"))[0]
    assert not authz.authorize(SA, pods("list", namespace="", resource="nodes"))[0]
    bind(registry, "alice-edit", "ClusterRole", "edit", [{"kind": "User", "name": "alice"}])
    assert authz.authorize(ALICE, pods("create", namespace="other"))[0]
    assert authz.authorize(ALICE, pods("patch", name="d", group="apps", resource="deployments", subresource="scale"))[0]
    assert not authz.authorize(ALICE, pods("create", group=RBAC, resource="rolebindings"))[0]  # admin only
    # A binding to a role that does not exist grants nothing; deleting a binding takes the grant away.
    bind(registry, "ghost", "ClusterRole", "no-such-role", [{"kind": "User", "name": "bob"}])
    assert not authz.authorize({"username": "bob", "groups": []}, pods("get", name="x"))[0]
    registry.delete(by_resource(RBAC, "clusterrolebindings"), None, "alice-edit")
    assert not authz.authorize(ALICE, pods("create", namespace="other"))[0]


def test_aggregated_cluster_roles_pick_up_labelled_roles(registry):
    authz = RBACAuthorizer(registry)
    bind(registry, "alice-view", "ClusterRole", "view", [{"kind": "User", "name": "alice"}])
    widgets = pods("list", group="example.com", resource="widgets")
    assert not authz.authorize(ALICE, widgets)[0]
    registry.create(by_resource(RBAC, "clusterroles"), None, {
        "metadata": {"name": "widget-viewer", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
        "rules": [{"verbs": ["list"], "apiGroups": ["example.com"], "resources": ["widgets"]}]})
    assert authz.authorize(ALICE, widgets)[0]


def test_forbidden_messages_are_the_real_ones():
    user = {"username": "system:serviceaccount:default:default"}
    err = forbidden(user, pods("list"))
    assert err.code == 403 and err.reason == "Forbidden"
    assert err.message == ('pods is forbidden: User "system:serviceaccount:default:default" cannot list resource '
                           '"pods" in API group "" in the namespace "default"')
    assert err.details == {"kind": "pods"}
    err = forbidden(user, pods("get", name="web", group="apps", resource="deployments"))
    assert err.message.startswith('deployments.apps "web" is forbidden: User')
    assert err.details == {"name": "web", "group": "apps", "kind": "deployments"}
    err = forbidden(user, pods("create", name="p", subresource="exec"))
    assert 'cannot create resource "pods/exec" in API group ""' in err.message
    assert forbidden(user, pods("list", namespace="", resource="nodes")).message.endswith(
        'cannot list resource "nodes" in API group "" at the cluster scope')
    assert forbidden(user, Attributes(verb="get", path="/metrics")).message == (
        'forbidden: User "system:serviceaccount:default:default" cannot get path "/metrics"')

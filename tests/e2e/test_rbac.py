"""RBAC as a learner meets it: a ServiceAccount may do nothing until a RoleBinding grants it a role."""
from __future__ import annotations

import uuid

import pytest
import yaml

from kubenet.apiserver import sa_tokens
from tests.e2e.conftest import Kubectl

SA_USER = "system:serviceaccount:default:default"


@pytest.fixture(scope="module")
def sa_kubectl(control_plane, tmp_path_factory):
    """kubectl with the default ServiceAccount's token instead of the admin certificate."""
    config = yaml.safe_load(control_plane.kubeconfig.read_text())
    token = sa_tokens.issue(control_plane.plane.sa_key, "default", "default")
    config["users"] = [{"name": "default-sa", "user": {"token": token}}]
    for context in config["contexts"]:
        context["context"]["user"] = "default-sa"
    tmp = tmp_path_factory.mktemp("sa")
    path = tmp / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return Kubectl(path, tmp / "kubectl-cache")


def test_a_service_account_is_forbidden_until_a_role_binding_grants_it_view(control_plane, sa_kubectl):
    admin = control_plane.kubectl
    out = sa_kubectl("get", "pods", check=False)
    assert (f'Error from server (Forbidden): pods is forbidden: User "{SA_USER}" cannot list resource "pods" in '
            'API group "" in the namespace "default"') in out
    out = sa_kubectl("get", "pod", "nosuch", check=False)
    assert (f'pods "nosuch" is forbidden: User "{SA_USER}" cannot get resource "pods" in API group "" in the '
            'namespace "default"') in out
    out = sa_kubectl("get", "nodes", check=False)
    assert f'nodes is forbidden: User "{SA_USER}" cannot list resource "nodes" in API group "" at the cluster ' \
           'scope' in out
    assert sa_kubectl("auth", "can-i", "list", "pods", check=False).strip() == "no"

    admin("create", "rolebinding", "sa-view", "--clusterrole=view", "--serviceaccount=default:default")
    assert "No resources found in default namespace." in sa_kubectl("get", "pods", check=False)
    assert sa_kubectl("auth", "can-i", "list", "pods").strip() == "yes"
    # view reads, it does not write; and it is only for the namespace of the binding.
    out = sa_kubectl("create", "configmap", "c1", "--from-literal=a=b", check=False)
    assert (f'configmaps is forbidden: User "{SA_USER}" cannot create resource "configmaps" in API group "" in '
            'the namespace "default"') in out
    out = sa_kubectl("get", "deployments", "-n", "kube-system", check=False)
    assert (f'deployments.apps is forbidden: User "{SA_USER}" cannot list resource "deployments" in API group '
            '"apps" in the namespace "kube-system"') in out
    admin("delete", "rolebinding", "sa-view")
    assert "Forbidden" in sa_kubectl("get", "pods", check=False)


def test_a_role_with_resource_names_and_subresources(control_plane, sa_kubectl):
    admin = control_plane.kubectl
    ns = f"r{uuid.uuid4().hex[:6]}"
    admin("create", "namespace", ns)
    admin("create", "configmap", "allowed", "--from-literal=a=1", "-n", ns)
    admin("create", "configmap", "other", "--from-literal=a=2", "-n", ns)
    admin("create", "role", "one-cm", "--verb=get", "--resource=configmaps", "--resource-name=allowed", "-n", ns)
    admin("create", "rolebinding", "one-cm", "--role=one-cm", "--serviceaccount=default:default", "-n", ns)
    assert "allowed" in sa_kubectl("get", "configmap", "allowed", "-n", ns)
    out = sa_kubectl("get", "configmap", "other", "-n", ns, check=False)
    assert f'configmaps "other" is forbidden: User "{SA_USER}" cannot get resource "configmaps"' in out
    # Reading a Pod does not mean reading its log: pods/log is a resource of its own.
    admin("run", "web", "--image=nginx", "-n", ns)
    admin("create", "role", "pod-reader", "--verb=get", "--resource=pods", "-n", ns)
    admin("create", "rolebinding", "pod-reader", "--role=pod-reader", "--serviceaccount=default:default", "-n", ns)
    assert "web" in sa_kubectl("get", "pod", "web", "-n", ns)
    out = sa_kubectl("logs", "web", "-n", ns, check=False)
    assert f'cannot get resource "pods/log" in API group "" in the namespace "{ns}"' in out


def test_can_i_as_another_user_needs_impersonation(control_plane, sa_kubectl):
    admin = control_plane.kubectl
    assert admin("auth", "can-i", "list", "pods", f"--as={SA_USER}", check=False).strip() == "no"
    admin("create", "rolebinding", "sa-view2", "--clusterrole=view", "--serviceaccount=default:default")
    assert admin("auth", "can-i", "list", "pods", f"--as={SA_USER}").strip() == "yes"
    assert admin("auth", "can-i", "delete", "pods", f"--as={SA_USER}", check=False).strip() == "no"
    whoami = admin("auth", "whoami", f"--as={SA_USER}")
    assert SA_USER in whoami and "system:serviceaccounts:default" in whoami
    # The ServiceAccount itself may not impersonate anyone.
    out = sa_kubectl("get", "pods", "--as=kubernetes-admin", check=False)
    assert (f'users "kubernetes-admin" is forbidden: User "{SA_USER}" cannot impersonate resource "users" in API '
            'group "" at the cluster scope') in out
    admin("delete", "rolebinding", "sa-view2")


def test_the_default_roles_are_there_as_on_a_real_cluster(control_plane, sa_kubectl):
    admin = control_plane.kubectl
    roles = admin("get", "clusterroles", "-l", "kubernetes.io/bootstrapping=rbac-defaults", "-o", "name").split()
    for name in ("cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user",
                 "system:public-info-viewer"):
        assert f"clusterrole.rbac.authorization.k8s.io/{name}" in roles
    assert "ClusterRole/cluster-admin" in admin("get", "clusterrolebinding", "cluster-admin", "-o", "wide")
    # Discovery and whoami work for any authenticated user through system:discovery and system:basic-user.
    assert SA_USER in sa_kubectl("auth", "whoami")
    assert "v1" in sa_kubectl("api-versions")

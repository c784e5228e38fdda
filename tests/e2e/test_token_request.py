"""serviceaccounts/<name>/token (TokenRequest), the API kubelets fetch Pods' tokens from: as `kubectl create token`
meets it, authorized by RBAC, its answer shaped as the real one and the token accepted by the API server."""
from __future__ import annotations

import base64
import json
import uuid

from tests.e2e.conftest import Kubectl


def _claims(token: str) -> dict:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _pod(name: str, service_account: str = "default") -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                       "spec": {"serviceAccountName": service_account,
                                "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}})


def test_kubectl_create_token_bound_to_a_pod(control_plane):
    k = control_plane.kubectl
    name = f"tr-{uuid.uuid4().hex[:6]}"
    k("create", "serviceaccount", name)
    k("create", "-f", "-", input=_pod(name, name))
    pod_uid = k("get", "pod", name, "-o", "jsonpath={.metadata.uid}")
    answer = json.loads(k("create", "token", name, "--bound-object-kind", "Pod", "--bound-object-name", name,
                          "--duration", "20m", "--audience", "https://example.test", "-o", "json"))
    assert answer["kind"] == "TokenRequest" and answer["apiVersion"] == "authentication.k8s.io/v1"
    assert answer["metadata"]["name"] == name and answer["metadata"]["namespace"] == "default"
    assert answer["spec"]["expirationSeconds"] == 1200 and answer["spec"]["audiences"] == ["https://example.test"]
    assert answer["spec"]["boundObjectRef"]["name"] == name
    claims = _claims(answer["status"]["token"])
    assert claims["sub"] == f"system:serviceaccount:default:{name}" and claims["aud"] == ["https://example.test"]
    assert claims["kubernetes.io"]["pod"] == {"name": name, "uid": pod_uid}
    assert claims["exp"] - claims["iat"] == 1200
    assert answer["status"]["expirationTimestamp"].endswith("Z")

    out = k("create", "token", name, "--bound-object-kind", "Pod", "--bound-object-name", name,
            "--bound-object-uid", "00000000-0000-0000-0000-000000000000", check=False)
    assert ("the UID in the bound object reference (00000000-0000-0000-0000-000000000000) does not match the UID "
            "in record") in out
    out = k("create", "token", "default", "--bound-object-kind", "Pod", "--bound-object-name", name, check=False)
    assert 'cannot bind token for serviceaccount "default" to pod running with different serviceaccount name.' in out
    k("delete", "pod", name, "--grace-period=0", "--force", check=False)
    k("delete", "serviceaccount", name)


def test_a_created_token_authenticates_and_is_refused_without_rbac(control_plane, tmp_path):
    k = control_plane.kubectl
    token = k("create", "token", "default").strip()
    user = Kubectl(control_plane.kubeconfig, tmp_path / "cache")
    whoami = user("auth", "whoami", "--token", token, "-o", "jsonpath={.status.userInfo.username}")
    assert whoami == "system:serviceaccount:default:default"
    out = user("create", "token", "default", "--token", token, check=False)
    assert ('serviceaccounts "default" is forbidden: User "system:serviceaccount:default:default" cannot create '
            'resource "serviceaccounts/token" in API group "" in the namespace "default"') in out


def test_token_request_errors_are_the_real_ones(control_plane):
    k = control_plane.kubectl
    out = k("create", "token", "nosuch", check=False)
    assert 'serviceaccounts "nosuch" not found' in out
    out = k("create", "token", "default", "--duration", "5m", check=False)
    assert 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not ' \
           'specify a duration less than 10 minutes' in out
    out = k("create", "--raw", "/api/v1/namespaces/default/serviceaccounts/default/token", "-f", "-",
            input=json.dumps({"spec": {"expirationSeconds": "an hour"}}), check=False)
    assert ('TokenRequest in version "v1" cannot be handled as a TokenRequest: json: cannot unmarshal string into Go '
            "struct field TokenRequestSpec.spec.expirationSeconds of type int64") in out
    out = k("create", "--raw", "/api/v1/namespaces/default/serviceaccounts/default/token", "-f", "-",
            input=json.dumps({"metadata": {"name": "other"}}), check=False)
    assert 'metadata.name: Invalid value: "other": must match the service account name if specified' in out

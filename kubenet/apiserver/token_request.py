"""serviceaccounts/<name>/token: the TokenRequest API (authentication.k8s.io/v1), which kubelets call for the bound
tokens they project into Pods, so no component but the API server holds the service-account signing key.

Follows pkg/registry/core/serviceaccount/storage/token.go (TokenREST.Create): the name and namespace in the body
must match the URL, the ServiceAccount must exist, empty audiences default to the API server's, expirationSeconds
(default 3600) is validated (ValidateTokenRequest: at least 10 minutes, at most 2^32 s), a Pod boundObjectRef must
name an existing Pod running as that ServiceAccount (and its UID, when given); the answer is the request with
status.token and status.expirationTimestamp."""
from __future__ import annotations

import time
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ec

from kubenet.api import errors, validation
from kubenet.api.kinds import Kind, by_resource
from kubenet.api.patch_errors import json_type
from kubenet.api.validation_field import FieldError, invalid
from kubenet.apiserver import sa_tokens
from kubenet.apiserver.registry import Registry

TOKEN_REQUEST = Kind("authentication.k8s.io", "v1", "TokenRequest", "token")  # the body of serviceaccounts/*/token
DEFAULT_EXPIRATION_SECONDS = 3600
MIN_EXPIRATION_SECONDS = 600
MAX_EXPIRATION_SECONDS = 1 << 32


class TokenIssuer:
    """The API server's side of TokenRequest: holds the signing key (pki/sa.key) and the default audiences."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, audiences: list[str] | None = None):
        self.key = key
        self.audiences = audiences or [sa_tokens.AUDIENCE]

    def create(self, registry: Registry, namespace: str, name: str, request: dict) -> dict:
        _check_types(request)
        meta = request.get("metadata") or {}
        if meta.get("name") and meta["name"] != name:
            raise _invalid(name, invalid("metadata.name", meta["name"],
                                         "must match the service account name if specified"))
        if meta.get("namespace") and meta["namespace"] != namespace:
            raise _invalid(name, invalid("metadata.namespace", meta["namespace"],
                                         "must match the service account namespace if specified"))
        account = registry.get(by_resource("", "serviceaccounts"), namespace, name)
        spec = dict(request.get("spec") or {})
        spec["audiences"] = list(spec.get("audiences") or self.audiences)
        seconds = spec.get("expirationSeconds")
        spec["expirationSeconds"] = DEFAULT_EXPIRATION_SECONDS if seconds is None else seconds
        now = int(time.time())
        if spec["expirationSeconds"] < MIN_EXPIRATION_SECONDS:
            raise _invalid("", invalid("spec.expirationSeconds", spec["expirationSeconds"],
                                       "may not specify a duration less than 10 minutes"))
        if spec["expirationSeconds"] > MAX_EXPIRATION_SECONDS:
            raise _invalid("", invalid("spec.expirationSeconds", spec["expirationSeconds"],
                                       "may not specify a duration larger than 2^32 seconds"))
        pod = self._bound_pod(registry, namespace, name, spec.get("boundObjectRef"))
        token = sa_tokens.issue(self.key, namespace, name, pod, ttl=spec["expirationSeconds"],
                                sa_uid=account["metadata"].get("uid", ""), audiences=spec["audiences"])
        expires = datetime.fromtimestamp(now + spec["expirationSeconds"], UTC)
        return {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"name": name, "namespace": namespace,
                             "creationTimestamp": _rfc3339(datetime.fromtimestamp(now, UTC))},
                "spec": spec, "status": {"token": token, "expirationTimestamp": _rfc3339(expires)}}

    @staticmethod
    def _bound_pod(registry: Registry, namespace: str, name: str, ref: dict | None) -> dict | None:
        if not ref:
            return None
        kind, api_version = ref.get("kind", ""), ref.get("apiVersion", "")
        if kind != "Pod" or api_version not in ("v1", ""):
            # Node and Secret bindings are not served here; upstream refuses every other kind with these words.
            group, _, version = api_version.rpartition("/")
            raise errors.bad_request(f"cannot bind token to object of type {group}/{version}, Kind={kind}")
        pod = registry.get(by_resource("", "pods"), namespace, ref.get("name", ""))
        if name != (pod["spec"].get("serviceAccountName") or "default"):
            raise errors.bad_request(f'cannot bind token for serviceaccount "{name}" to pod running with '
                                     "different serviceaccount name.")
        if ref.get("uid") and ref["uid"] != pod["metadata"]["uid"]:
            raise errors.APIError(409, "Conflict", f'Operation cannot be fulfilled on Pod "{ref.get("name")}": the '
                                  f"UID in the bound object reference ({ref['uid']}) does not match the UID in "
                                  "record. The object might have been deleted and then recreated",
                                  {"name": ref.get("name"), "kind": "Pod"})
        return pod


# TokenRequestSpec's fields and their Go types: the typed decoding of a body (apiserver/typed.py) has no
# TokenRequest, so its spec is checked here, worded as encoding/json words a type mismatch.
_SPEC_FIELDS = {"audiences": (list, "[]string"), "expirationSeconds": (int, "int64"),
                "boundObjectRef": (dict, "v1.BoundObjectReference")}


def _check_types(request: dict) -> None:
    spec = request.get("spec")
    if spec is None:
        return
    if not isinstance(spec, dict):
        raise _type_error(spec, "TokenRequest.spec", "v1.TokenRequestSpec")
    for field, (python_type, go_type) in _SPEC_FIELDS.items():
        value = spec.get(field)
        if value is not None and (not isinstance(value, python_type) or isinstance(value, bool)):
            raise _type_error(value, f"TokenRequestSpec.spec.{field}", go_type)
    for audience in spec.get("audiences") or []:
        if not isinstance(audience, str):
            raise _type_error(audience, "TokenRequestSpec.spec.audiences", "string")


def _type_error(value: object, field: str, go_type: str) -> errors.APIError:
    return errors.bad_request('TokenRequest in version "v1" cannot be handled as a TokenRequest: json: cannot '
                              f"unmarshal {json_type(value)} into Go struct field {field} of type {go_type}")


def _invalid(name: str, error: FieldError) -> errors.APIError:
    return errors.APIError.from_status(validation.invalid_status(TOKEN_REQUEST, name, [error]))


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

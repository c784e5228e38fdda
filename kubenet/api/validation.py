"""Validation of objects as the API server does it, and the 422 Status it answers with.

`validate(kind, obj, old)` expects a defaulted object (the API server defaults on decode, before
validation). Rules for each kind live in the validation_* modules; this module routes to them and
turns the errors into the `Invalid` Status (apimachinery pkg/api/errors NewInvalid).
"""
from __future__ import annotations

from collections.abc import Callable

from kubenet.api.kinds import Kind
from kubenet.api.validation_apps import (
    validate_daemon_set,
    validate_deployment,
    validate_replica_set,
    validate_replication_controller,
    validate_stateful_set,
)
from kubenet.api.validation_batch import validate_cron_job, validate_job
from kubenet.api.validation_events import validate_events_v1
from kubenet.api.validation_field import FieldError, GoLiteral
from kubenet.api.validation_meta import (
    name_is_dns_subdomain,
    validate_meta,
    validate_object_meta_update,
)
from kubenet.api.validation_misc import (
    validate_config_map,
    validate_ingress,
    validate_namespace,
    validate_network_policy,
    validate_node,
    validate_secret,
)
from kubenet.api.validation_pod import validate_pod
from kubenet.api.validation_pod_update import validate_pod_update
from kubenet.api.validation_service import (
    DEFAULT_NODE_PORT_RANGE,
    validate_endpoint_slice,
    validate_endpoints,
    validate_service,
)

__all__ = ["FieldError", "GoLiteral", "invalid_status", "validate"]


def _pod(obj: dict, old: dict | None) -> list[FieldError]:
    return validate_pod(obj) if old is None else validate_pod_update(obj, old)


def _endpoints(obj: dict, old: dict | None) -> list[FieldError]:
    errs = validate_endpoints(obj)
    if old is not None:
        errs = validate_object_meta_update(obj.get("metadata") or {}, old.get("metadata") or {}) + errs
    return errs


_VALIDATORS: dict[tuple[str, str], Callable[[dict, dict | None], list[FieldError]]] = {
    ("", "Pod"): _pod,
    ("", "Endpoints"): _endpoints,
    ("", "ConfigMap"): validate_config_map,
    ("", "Secret"): validate_secret,
    ("", "Namespace"): validate_namespace,
    ("", "Node"): validate_node,
    ("", "ReplicationController"): validate_replication_controller,
    # A write through events.k8s.io/v1, checked in the core shape it is stored in (the view's storage converts).
    ("events.k8s.io", "Event"): validate_events_v1,
    ("apps", "Deployment"): validate_deployment,
    ("apps", "ReplicaSet"): validate_replica_set,
    ("apps", "StatefulSet"): validate_stateful_set,
    ("apps", "DaemonSet"): validate_daemon_set,
    ("batch", "Job"): validate_job,
    ("batch", "CronJob"): validate_cron_job,
    ("discovery.k8s.io", "EndpointSlice"): validate_endpoint_slice,
    ("networking.k8s.io", "Ingress"): validate_ingress,
    ("networking.k8s.io", "NetworkPolicy"): validate_network_policy,
}


def _rbac_name(name: str, prefix: bool) -> list[str]:
    """RBAC objects are named by path segments (ValidateRBACName = path.IsValidPathSegmentName), so the
    default roles' `system:discovery` is a valid name."""
    if not prefix and name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in "/%" if c in name]


def validate(kind: Kind, obj: dict, old: dict | None = None,
             node_port_range: tuple[int, int] = DEFAULT_NODE_PORT_RANGE) -> list[FieldError]:
    """All field errors for a create (old is None) or an update (old is the stored object). node_port_range:
    the API server's --service-node-port-range, which a Service's nodePorts must fall in."""
    if (kind.group, kind.kind) == ("", "Service"):
        return validate_service(obj, old, node_port_range)
    rule = _VALIDATORS.get((kind.group, kind.kind))
    if rule is not None:
        return rule(obj, old)
    # Kinds without their own rules still get the ObjectMeta checks every kind has.
    name_fn = _rbac_name if kind.group == "rbac.authorization.k8s.io" else name_is_dns_subdomain
    return validate_meta(obj, old, kind.namespaced, name_fn)


def _aggregate(errors: list[FieldError]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message alone, several as "[a, b]", duplicates dropped."""
    seen: list[str] = []
    for err in errors:
        text = str(err)
        if text not in seen:
            seen.append(text)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"


def invalid_status(kind: Kind, name: str, errors: list[FieldError]) -> dict:
    """The 422 body: message '<Kind>[.<group>] "<name>" is invalid: <errors>' and one cause per error."""
    qualified = f"{kind.kind}.{kind.group}" if kind.group else kind.kind
    message = f'{qualified} "{name}" is invalid'
    if errors:
        message += ": " + _aggregate(errors)
    details: dict = {"name": name}
    if kind.group:
        details["group"] = kind.group
    details["kind"] = kind.kind
    details["causes"] = [{"reason": e.type, "message": e.message(), "field": e.field} for e in errors]
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Invalid",
        "details": details,
        "code": 422,
    }

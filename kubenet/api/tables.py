"""Server-side printing: list results as meta.k8s.io/v1 Tables, the way a real API server answers
`Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (what `kubectl get` asks for).

The columns per kind and how each cell is computed follow Kubernetes 1.32's printers; the per-kind
printers live in tables_workloads.py and tables_cluster.py, shared formatting in tables_format.py.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime

from kubenet.api import tables_cluster as cluster
from kubenet.api import tables_workloads as workloads
from kubenet.api.kinds import Kind
from kubenet.api.tables_format import human_duration

__all__ = ["INCLUDE_OBJECT_VALUES", "columns_for", "human_duration", "row_cells", "table"]

RowFunc = Callable[[dict, datetime], list]

# (group, kind) → (column definitions, row printer). Both Event kinds share the core printer, as on
# a real server where events.k8s.io/v1 converts to the same internal type.
_PRINTERS: dict[tuple[str, str], tuple[list[dict], RowFunc]] = {
    ("", "Pod"): (workloads.POD_COLUMNS, workloads.pod_row),
    ("apps", "Deployment"): (workloads.DEPLOYMENT_COLUMNS, workloads.deployment_row),
    ("apps", "ReplicaSet"): (workloads.REPLICASET_COLUMNS, workloads.replicaset_row),
    ("", "ReplicationController"): (workloads.REPLICATIONCONTROLLER_COLUMNS, workloads.replicationcontroller_row),
    ("apps", "StatefulSet"): (workloads.STATEFULSET_COLUMNS, workloads.statefulset_row),
    ("apps", "DaemonSet"): (workloads.DAEMONSET_COLUMNS, workloads.daemonset_row),
    ("apps", "ControllerRevision"): (workloads.CONTROLLERREVISION_COLUMNS, workloads.controllerrevision_row),
    ("batch", "Job"): (workloads.JOB_COLUMNS, workloads.job_row),
    ("batch", "CronJob"): (workloads.CRONJOB_COLUMNS, workloads.cronjob_row),
    ("", "Service"): (cluster.SERVICE_COLUMNS, cluster.service_row),
    ("", "Endpoints"): (cluster.ENDPOINTS_COLUMNS, cluster.endpoints_row),
    ("discovery.k8s.io", "EndpointSlice"): (cluster.ENDPOINTSLICE_COLUMNS, cluster.endpointslice_row),
    ("networking.k8s.io", "Ingress"): (cluster.INGRESS_COLUMNS, cluster.ingress_row),
    ("networking.k8s.io", "IngressClass"): (cluster.INGRESSCLASS_COLUMNS, cluster.ingressclass_row),
    ("networking.k8s.io", "NetworkPolicy"): (cluster.NETWORKPOLICY_COLUMNS, cluster.networkpolicy_row),
    ("", "Node"): (cluster.NODE_COLUMNS, cluster.node_row),
    ("", "Namespace"): (cluster.NAMESPACE_COLUMNS, cluster.namespace_row),
    ("", "Event"): (cluster.EVENT_COLUMNS, cluster.event_row),
    ("events.k8s.io", "Event"): (cluster.EVENT_COLUMNS, cluster.event_row),
    ("", "ConfigMap"): (cluster.CONFIGMAP_COLUMNS, cluster.configmap_row),
    ("", "Secret"): (cluster.SECRET_COLUMNS, cluster.secret_row),
    ("", "ServiceAccount"): (cluster.SERVICEACCOUNT_COLUMNS, cluster.serviceaccount_row),
    ("coordination.k8s.io", "Lease"): (cluster.LEASE_COLUMNS, cluster.lease_row),
    ("rbac.authorization.k8s.io", "Role"): (cluster.CREATED_AT_COLUMNS, cluster.created_at_row),
    ("rbac.authorization.k8s.io", "ClusterRole"): (cluster.CREATED_AT_COLUMNS, cluster.created_at_row),
    ("rbac.authorization.k8s.io", "RoleBinding"): (cluster.ROLEBINDING_COLUMNS, cluster.binding_row),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): (cluster.CLUSTERROLEBINDING_COLUMNS, cluster.binding_row),
}

# Values of the `includeObject` query parameter (meta.k8s.io/v1 TableOptions).
INCLUDE_OBJECT_VALUES = ("None", "Metadata", "Object")


def _printer(kind: Kind) -> tuple[list[dict], RowFunc]:
    # Kinds without a printer get the apiserver's default table convertor: NAME and CREATED AT.
    return _PRINTERS.get((kind.group, kind.kind), (cluster.CREATED_AT_COLUMNS, cluster.created_at_row))


def columns_for(kind: Kind) -> list[dict]:
    """The column definitions a real 1.32 server sends for this kind (priority 1 = only with -o wide)."""
    return copy.deepcopy(_printer(kind)[0])


def row_cells(kind: Kind, obj: dict, now: datetime | None = None) -> list:
    """The cells of one object's row, in column order."""
    return _printer(kind)[1](obj, now or datetime.now(UTC))


def _row_object(kind: Kind, obj: dict, include_object: str) -> dict | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": copy.deepcopy(obj.get("metadata") or {})}


def table(kind: Kind, objects: list[dict], now: datetime | None = None, include_object: str = "Metadata",
          resource_version: str | None = None) -> dict:
    """A meta.k8s.io/v1 Table of `objects` (all of `kind`); include_object is None|Metadata|Object."""
    if include_object not in INCLUDE_OBJECT_VALUES:
        raise ValueError(f"includeObject must be one of {', '.join(INCLUDE_OBJECT_VALUES)}: {include_object!r}")
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    columns, printer = _printer(kind)
    rows = []
    for obj in objects:
        row: dict = {"cells": printer(obj, moment)}
        phase = ((obj.get("status") or {}).get("phase") if kind.kind == "Pod" and not kind.group else None)
        if phase in ("Succeeded", "Failed"):
            # printPod marks finished Pods with a Completed row condition, as the real printer does
            row["conditions"] = [{
                "type": "Completed", "status": "True", "reason": phase,
                "message": "The pod has completed successfully." if phase == "Succeeded" else "The pod failed.",
            }]
        row_object = _row_object(kind, obj, include_object)
        if row_object is not None:
            row["object"] = row_object
        rows.append(row)
    metadata: dict = {}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata,
            "columnDefinitions": copy.deepcopy(columns), "rows": rows}

"""Pods (pkg/registry/core/pod strategy.go + storage): status on create, graceful deletion, pods/binding, and the
admission plugins that mutate a new Pod before it is stored (DefaultTolerationSeconds, ServiceAccount)."""
from __future__ import annotations

from kubenet.api import defaults, errors
from kubenet.api.kinds import Kind
from kubenet.api.meta import now_rfc3339
from kubenet.apiserver import sa_admission
from kubenet.apiserver.storage.generic import GenericStore
from kubenet.apiserver.storage.strategy import Strategy
from kubenet.store import Store, object_key


class PodStrategy(Strategy):
    generation = True
    return_deleted_object = True

    def status_on_create(self, obj: dict) -> None:
        status = obj.setdefault("status", {})
        status.setdefault("phase", "Pending")
        status.setdefault("qosClass", qos_class(obj))

    def grace_period(self, obj: dict, requested: int | None) -> int:
        if not obj["spec"].get("nodeName") or obj.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            return 0  # unscheduled or terminal Pods go at once (pod strategy CheckGracefulDelete)
        if requested is not None:
            return max(0, int(requested))
        return int(obj["spec"].get("terminationGracePeriodSeconds", 30))

    def mark_deleted_now(self, meta: dict) -> None:
        # The pod strategy always deletes gracefully, with a period of 0 here: the object is marked
        # (deletionTimestamp now, grace 0) and then removed, so that is the object answered.
        if meta.get("deletionGracePeriodSeconds") != 0:
            meta["deletionTimestamp"] = now_rfc3339()
        meta["deletionGracePeriodSeconds"] = 0

    def ready_to_delete(self, obj: dict) -> bool:
        """A Pod goes once its finalizers are gone and its grace is over (the kubelet deletes it with grace 0)."""
        return super().ready_to_delete(obj) and obj["metadata"].get("deletionGracePeriodSeconds", 0) == 0


def qos_class(pod: dict) -> str:
    """The Pod's QoS class (pkg/apis/core/helper/qos GetPodQOS, on requests and limits of cpu and memory)."""
    containers = (pod.get("spec") or {}).get("containers") or []
    requests_any = limits_all = False
    guaranteed = bool(containers)
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            requests_any = True
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and req[r] != lim[r]):
                guaranteed = False
        limits_all = limits_all or bool(lim)
    if guaranteed and limits_all:
        return "Guaranteed"
    return "Burstable" if requests_any else "BestEffort"


class PodStorage(GenericStore):
    """The generic store with the Pod admission plugins in front of the strategy."""

    def __init__(self, kind: Kind, store: Store):
        super().__init__(kind, store, PodStrategy(kind))

    def admit(self, obj: dict, admitted_as: str) -> None:
        defaults.default_tolerations(obj)  # the DefaultTolerationSeconds admission plugin
        namespace = obj["metadata"].get("namespace")
        account = self._service_account(namespace, obj["spec"])
        if account is None and obj["spec"].get("serviceAccountName", "default") != "default":
            self.check_namespace(namespace, admitted_as)  # NamespaceLifecycle comes first
            raise sa_admission.missing_service_account(admitted_as, namespace, obj["spec"]["serviceAccountName"])
        sa_admission.admit_pod(obj, account)

    def bind(self, namespace: str, name: str, binding: dict) -> dict:
        """pods/binding (BindingREST): the scheduler's assignment, refused for a Pod being deleted or already bound."""
        target = (binding.get("target") or {})
        node = target.get("name")
        if not node:
            raise errors.APIError(422, "Invalid", f'Binding "{name}" is invalid: target.name: Required value')
        pod = self.get(namespace, name)
        if pod["metadata"].get("deletionTimestamp"):
            raise errors.conflict(self.kind, name, "pod is being deleted, cannot be assigned to a host")
        current = pod["spec"].get("nodeName")
        if current:
            raise errors.conflict(self.kind, name, f"pod {name} is already assigned to node \"{current}\"")
        pod["spec"]["nodeName"] = node
        conditions = [c for c in pod.setdefault("status", {}).get("conditions", []) if c.get("type") != "PodScheduled"]
        conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                           "lastTransitionTime": now_rfc3339()})
        pod["status"]["conditions"] = conditions
        # Binding writes spec.nodeName and the status condition in one step; bypass the status reset.
        self.store.update(self.key(namespace, name), pod, pod["metadata"]["resourceVersion"])
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    def _service_account(self, namespace: str | None, pod_spec: dict) -> dict | None:
        """The Pod's ServiceAccount, if it exists yet (the admission plugin reads it for automount)."""
        name = pod_spec.get("serviceAccountName") or "default"
        return self.store._read(object_key("", "serviceaccounts", namespace or "", name))

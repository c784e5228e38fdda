"""The workloads of apps/v1, batch/v1 and core ReplicationControllers (pkg/registry/{apps,batch}/<kind>,
core/replicationcontroller): generation counts spec changes; status, reset on create, is the controllers'."""
from __future__ import annotations

from kubenet.apiserver.storage.strategy import Strategy


class WorkloadStrategy(Strategy):
    generation = True


class ReplicationControllerStrategy(WorkloadStrategy):
    def scale_selector(self, obj: dict) -> dict | None:
        # A map of labels, not a LabelSelector (the RC ScaleREST: labels.SelectorFromSet(rc.Spec.Selector)).
        return {"matchLabels": obj["spec"].get("selector") or {}}

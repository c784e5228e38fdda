"""ReplicationController manager (pkg/controller/replication): the ReplicaSet controller over core/v1
ReplicationControllers.

Upstream runs the very same ReplicaSet code through a conversion adapter; here the subclass only names the
resource and kind, and reads the selector as the map of labels an RC has (`spec.selector: {app: web}`), which
selects a Pod carrying every one of those labels.
"""
from __future__ import annotations

from kubenet.controllers.controller_ref import map_selector_matches
from kubenet.controllers.replicaset import ReplicaSetController


class ReplicationManager(ReplicaSetController):
    name = "replicationcontroller"
    owner_kind = "ReplicationController"
    resource = "replicationcontrollers"

    @property
    def component(self) -> str:
        return "replication-controller"  # the event source upstream's ReplicationManager records as

    def selects(self, owner: dict, labels: dict | None) -> bool:
        return map_selector_matches(owner["spec"].get("selector"), labels)


CONTROLLER = ReplicationManager

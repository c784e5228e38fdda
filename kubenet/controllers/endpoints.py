"""Endpoints controller (core/v1 Endpoints, named like the Service): the legacy view of a Service's Pods.

Follows pkg/controller/endpoint: ready Pods go to `addresses`, others to `notReadyAddresses` (all to
`addresses` with publishNotReadyAddresses); terminating Pods are left out unless the Service publishes
not-ready addresses; subsets are packed by port set; an Endpoints with no subsets is written when nothing
matches. The Endpoints carries `endpointslice.kubernetes.io/skip-mirror: "true"` so the mirroring
controller never turns it back into slices. Services without a selector are the user's.
"""
from __future__ import annotations

import copy
import json

from kubenet.api import podutil
from kubenet.api.errors import APIError
from kubenet.api.meta import now_rfc3339
from kubenet.client.base import Client, split_key
from kubenet.controllers.base import Controller, Informers
from kubenet.controllers.endpointslice import (
    HEADLESS_LABEL,
    TRIGGER_TIME,
    endpoint_pods,
    service_selector,
    watch_pods_for_services,
)

SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
MAX_ENDPOINTS = 1000  # beyond this the Endpoints is truncated and annotated (KEP-3174)


class EndpointsController(Controller):
    name = "endpoint"
    workers = 4

    def __init__(self, client: Client, informers: Informers):
        super().__init__(client, informers)
        self.services = informers.get("services")
        self.pods = informers.get("pods")
        self.endpoints = informers.get("endpoints")
        self.services.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), self.enqueue)
        watch_pods_for_services(self, self.pods, self.services)
        # A user (or anyone) editing or deleting our Endpoints gets it put back.
        self.endpoints.add_handlers(None, lambda old, new: self.enqueue(new), self.enqueue)

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        svc = self.services.get(key)
        if svc is None:
            # The real controller deletes the Endpoints with its Service (it has no ownerReference).
            current = self.endpoints.get(key)
            if current is not None and (current["metadata"].get("labels") or {}).get(SKIP_MIRROR_LABEL) == "true":
                try:
                    await self.client.delete("endpoints", name, namespace)
                except APIError as exc:
                    if exc.code != 404:
                        raise
            return
        selector = service_selector(svc)
        if selector is None:
            return
        subsets, total = self._subsets(svc, selector, namespace or "")
        labels = {k: v for k, v in (svc["metadata"].get("labels") or {}).items() if k != HEADLESS_LABEL}
        labels[SKIP_MIRROR_LABEL] = "true"
        if svc["spec"].get("clusterIP") == "None":
            labels[HEADLESS_LABEL] = ""
        current = self.endpoints.get(key)
        over = total > MAX_ENDPOINTS
        if current is not None:
            cur_ann = current["metadata"].get("annotations") or {}
            if (current.get("subsets") or []) == subsets and (current["metadata"].get("labels") or {}) == labels \
                    and (OVER_CAPACITY in cur_ann) == over:
                return
            endpoints = copy.deepcopy(current)
        else:
            endpoints = {"apiVersion": "v1", "kind": "Endpoints",
                         "metadata": {"name": name, "namespace": namespace}}
        meta = endpoints["metadata"]
        meta["labels"] = labels
        annotations = meta.setdefault("annotations", {})
        annotations[TRIGGER_TIME] = now_rfc3339()
        if over:
            annotations[OVER_CAPACITY] = "truncated"
        else:
            annotations.pop(OVER_CAPACITY, None)
        if subsets:
            endpoints["subsets"] = subsets
        else:
            endpoints.pop("subsets", None)
        if current is None:
            await self.client.create("endpoints", endpoints, namespace)
        else:
            await self.client.update("endpoints", endpoints, namespace)

    def _subsets(self, svc: dict, selector, namespace: str) -> tuple[list[dict], int]:
        publish_not_ready = bool(svc["spec"].get("publishNotReadyAddresses"))
        service_ports = svc["spec"].get("ports") or []
        headless = svc["spec"].get("clusterIP") == "None"
        # port-set key → (ports, ready addresses, not-ready addresses)
        packed: dict[str, tuple[list, list, list]] = {}
        total = 0
        for pod, ip in endpoint_pods(self.pods, selector, namespace, include_terminating=publish_not_ready):
            address = self._address(svc, pod, ip)
            ready = publish_not_ready or podutil.is_pod_ready(pod)
            if not service_ports:
                if not headless:
                    continue  # a ClusterIP Service without ports has nothing to forward to
                port_sets = [[]]
            else:
                # Each Service port resolves on its own; a Pod lacking a named port is left out of it.
                port_sets = []
                for sp in service_ports:
                    number = podutil.find_port(pod, sp)
                    if number is None:
                        continue
                    port = {"name": sp["name"]} if sp.get("name") else {}
                    port.update({"port": number, "protocol": sp.get("protocol", "TCP")})
                    if sp.get("appProtocol"):
                        port["appProtocol"] = sp["appProtocol"]
                    port_sets.append([port])
            if not port_sets:
                continue
            total += 1
            for ports in port_sets:
                group = packed.setdefault(json.dumps(ports, sort_keys=True), (ports, [], []))
                (group[1] if ready else group[2]).append(address)
        return self._repack(packed), total

    @staticmethod
    def _repack(packed: dict[str, tuple[list, list, list]]) -> list[dict]:
        """RepackSubsets: merge port groups that hold exactly the same addresses; sort for a stable result."""
        merged: dict[str, tuple[list, list, list]] = {}
        for ports, ready, not_ready in packed.values():
            ready = sorted(ready, key=lambda a: a["ip"])[:MAX_ENDPOINTS]
            not_ready = sorted(not_ready, key=lambda a: a["ip"])[:MAX_ENDPOINTS]
            addr_key = json.dumps([ready, not_ready], sort_keys=True)
            group = merged.setdefault(addr_key, ([], ready, not_ready))
            group[0].extend(ports)
        subsets = []
        for ports, ready, not_ready in merged.values():
            subset: dict = {}
            if ready:
                subset["addresses"] = ready
            if not_ready:
                subset["notReadyAddresses"] = not_ready
            if ports:
                subset["ports"] = sorted(ports, key=lambda p: (p.get("name", ""), p["port"], p["protocol"]))
            subsets.append(subset)
        subsets.sort(key=lambda s: json.dumps(s, sort_keys=True))
        return subsets

    @staticmethod
    def _address(svc: dict, pod: dict, ip: str) -> dict:
        spec, meta = pod.get("spec") or {}, pod["metadata"]
        address: dict = {"ip": ip}
        if spec.get("hostname") and spec.get("subdomain") == svc["metadata"]["name"]:
            address["hostname"] = spec["hostname"]
        if spec.get("nodeName"):
            address["nodeName"] = spec["nodeName"]
        address["targetRef"] = {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"],
                                "uid": meta.get("uid")}
        return address


CONTROLLER = EndpointsController

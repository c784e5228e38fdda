"""EndpointSlice controller (discovery.k8s.io/v1): the Pods behind each Service with a selector.

Follows pkg/controller/endpointslice and the staging endpointslice reconciler: one group of slices per
distinct port set (named targetPorts resolve per Pod, so Pods can differ), at most 100 endpoints a slice,
existing slices are updated in place before new ones are made (minimal churn), and a Service that selects
nothing keeps one empty placeholder slice. Services without a selector are the user's to manage.
"""
from __future__ import annotations

import copy
import ipaddress
import json
from collections.abc import Iterator

from kubenet.api import podutil
from kubenet.api.errors import APIError
from kubenet.api.meta import controller_ref, now_rfc3339
from kubenet.api.selectors import label_selector_from_object, matches
from kubenet.client.base import Client, object_key, split_key
from kubenet.client.informer import NAMESPACE, Informer
from kubenet.controllers.base import Controller, Informers

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
HEADLESS_LABEL = "service.kubernetes.io/headless"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
ZONE_LABEL = "topology.kubernetes.io/zone"
MAX_ENDPOINTS_PER_SLICE = 100  # --max-endpoints-per-slice default


def service_selector(svc: dict):
    """A Service selector is a plain label map; nil or empty means "not managed by the controller"."""
    selector = (svc.get("spec") or {}).get("selector")
    if not selector:
        return None
    return label_selector_from_object({"matchLabels": selector})


def pod_ipv4(pod: dict) -> str | None:
    status = pod.get("status") or {}
    candidates = [status.get("podIP")] + [p.get("ip") for p in status.get("podIPs") or []]
    for ip in candidates:
        if ip:
            try:
                if ipaddress.ip_address(ip).version == 4:
                    return ip
            except ValueError:
                continue
    return None


def endpoint_pods(pods: Informer, selector, namespace: str, include_terminating: bool) -> Iterator[tuple[dict, str]]:
    """The Pods of the namespace a Service's selector selects that belong in its endpoints (endpointutil
    ShouldPodBeInEndpoints), each with its IPv4 address; the Endpoints and EndpointSlice controllers read the
    same set, the first leaving terminating Pods out unless the Service publishes not-ready addresses."""
    for pod in pods.by_index(NAMESPACE, namespace):
        if not matches(selector, pod["metadata"].get("labels") or {}):
            continue
        if not podutil.should_be_in_endpoints(pod, include_terminating=include_terminating):
            continue
        ip = pod_ipv4(pod)
        if ip is not None:
            yield pod, ip


def watch_pods_for_services(controller: Controller, pods: Informer, services: Informer) -> None:
    """The Pod handlers of the Endpoints and EndpointSlice controllers (addPod / updatePod / deletePod with
    endpointsutil.GetServicesToUpdateOnPodChange): a Pod event goes to the Services of its namespace that select
    it, an update also to those that selected it before its labels changed; a resync (same resourceVersion)
    goes nowhere."""
    def selecting(pod: dict) -> set[str]:
        labels = pod["metadata"].get("labels") or {}
        return {object_key(svc) for svc in services.by_index(NAMESPACE, pod["metadata"].get("namespace") or "")
                if matches(service_selector(svc), labels)}

    def changed(pod: dict) -> None:
        for key in selecting(pod):
            controller.queue.add(key)

    def updated(old: dict, new: dict) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        keys = selecting(new)
        if (old["metadata"].get("labels") or {}) != (new["metadata"].get("labels") or {}):
            keys |= selecting(old)  # a Pod that left a Service must leave its endpoints
        for key in keys:
            controller.queue.add(key)

    pods.add_handlers(changed, updated, changed)


SERVICE_INDEX = "service"


def slice_service_index(eps: dict) -> list[str]:
    """A slice this controller manages, under its Service's key (from the kubernetes.io/service-name label)."""
    labels = eps["metadata"].get("labels") or {}
    if labels.get(MANAGED_BY_LABEL) != MANAGED_BY or not labels.get(SERVICE_NAME_LABEL):
        return []
    return [f"{eps['metadata']['namespace']}/{labels[SERVICE_NAME_LABEL]}"]


class EndpointSliceController(Controller):
    name = "endpointslice"
    workers = 4

    def __init__(self, client: Client, informers: Informers, max_endpoints_per_slice: int = MAX_ENDPOINTS_PER_SLICE):
        super().__init__(client, informers)
        self.max_endpoints = max_endpoints_per_slice
        self.services = informers.get("services")
        self.pods = informers.get("pods")
        self.slices = informers.get("endpointslices.discovery.k8s.io")
        self.nodes = informers.get("nodes")
        self.slices.add_indexers({SERVICE_INDEX: slice_service_index})
        # Writes the informer has not shown us yet (service key → {slice key: resourceVersion or None if
        # deleted}); reconciling before they arrive would create duplicate slices (endpointSliceTracker).
        self.expected: dict[str, dict[str, int | None]] = {}
        self.services.add_handlers(self._service_added, lambda old, new: self._service_added(new),
                                   self._service_deleted)
        watch_pods_for_services(self, self.pods, self.services)
        self.slices.add_handlers(self._slice_changed, lambda old, new: self._slice_changed(new), self._slice_changed)
        self.nodes.add_handlers(None, self._node_updated, None)

    @property
    def component(self) -> str:
        return "endpoint-slice-controller"  # the event source the real controller uses

    # --- handlers: only turn objects into Service keys ------------------------------------------------------
    def _service_added(self, svc: dict) -> None:
        self.enqueue(svc)

    def _service_deleted(self, svc: dict) -> None:
        self.expected.pop(object_key(svc), None)
        self.enqueue(svc)

    def _slice_changed(self, eps: dict) -> None:
        """A slice of ours changed or went (someone deleted it: put it back): its Service resyncs."""
        for key in slice_service_index(eps):
            self.queue.add(key)

    def _node_updated(self, old: dict, new: dict) -> None:
        old_zone = (old["metadata"].get("labels") or {}).get(ZONE_LABEL)
        if old_zone != (new["metadata"].get("labels") or {}).get(ZONE_LABEL):
            for svc in self.services.list():
                self.enqueue(svc)

    # --- reconcile -----------------------------------------------------------------------------------------
    def _cache_is_stale(self, key: str) -> bool:
        expected = self.expected.get(key)
        if not expected:
            return False
        for slice_key, rv in list(expected.items()):
            cached = self.slices.get(slice_key)
            seen = cached is None if rv is None else (
                cached is not None and int(cached["metadata"]["resourceVersion"]) >= rv)
            if seen:
                del expected[slice_key]
        if not expected:
            self.expected.pop(key, None)
            return False
        return True

    def _expect(self, key: str, eps: dict, deleted: bool = False) -> None:
        rv = None if deleted else int(eps["metadata"]["resourceVersion"])
        self.expected.setdefault(key, {})[object_key(eps)] = rv

    async def reconcile(self, key: str) -> None:
        svc = self.services.get(key)
        if svc is None:
            return  # the garbage collector removes slices owned by a deleted Service
        selector = service_selector(svc)
        if selector is None or svc["spec"].get("type") == "ExternalName":
            return
        if self._cache_is_stale(key):
            self.queue.add_after(key, 0.05)
            return
        namespace, _ = split_key(key)
        desired = self._desired_endpoints(svc, selector, namespace or "")
        existing = [s for s in self.slices.by_index(SERVICE_INDEX, key) if s.get("addressType") == "IPv4"
                    and not podutil.is_terminating(s)]
        await self._reconcile_slices(key, svc, desired, existing)

    def _desired_endpoints(self, svc: dict, selector, namespace: str) -> dict[str, tuple[list, dict]]:
        """port-set key → (ports, {address: endpoint}) for every Pod the Service selects."""
        publish_not_ready = bool(svc["spec"].get("publishNotReadyAddresses"))
        groups: dict[str, tuple[list, dict]] = {}
        for pod, ip in endpoint_pods(self.pods, selector, namespace, include_terminating=True):
            ports = []
            for sp in svc["spec"].get("ports") or []:
                number = podutil.find_port(pod, sp)
                if number is None:
                    continue  # a named targetPort this Pod does not have: not in this port group
                port = {"name": sp.get("name", ""), "port": number, "protocol": sp.get("protocol", "TCP")}
                if sp.get("appProtocol"):
                    port["appProtocol"] = sp["appProtocol"]
                ports.append(port)
            group_key = json.dumps(sorted(ports, key=lambda p: (p["name"], p["protocol"], p["port"])))
            groups.setdefault(group_key, (ports, {}))[1][ip] = self._endpoint(svc, pod, ip, publish_not_ready)
        return groups

    def _endpoint(self, svc: dict, pod: dict, ip: str, publish_not_ready: bool) -> dict:
        serving = podutil.is_pod_ready(pod)
        terminating = podutil.is_terminating(pod)
        # "ready" is never true for a terminating Pod unless the Service publishes not-ready addresses.
        endpoint: dict = {"addresses": [ip], "conditions": {
            "ready": publish_not_ready or (serving and not terminating), "serving": serving,
            "terminating": terminating}}
        spec, meta = pod.get("spec") or {}, pod["metadata"]
        if spec.get("hostname") and spec.get("subdomain") == svc["metadata"]["name"]:
            endpoint["hostname"] = spec["hostname"]
        endpoint["targetRef"] = {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"],
                                 "uid": meta.get("uid")}
        if spec.get("nodeName"):
            endpoint["nodeName"] = spec["nodeName"]
            node = self.nodes.get(spec["nodeName"])
            zone = ((node or {}).get("metadata", {}).get("labels") or {}).get(ZONE_LABEL)
            if zone:
                endpoint["zone"] = zone
        return endpoint

    def _slice_labels(self, svc: dict) -> dict:
        labels = {k: v for k, v in (svc["metadata"].get("labels") or {}).items()
                  if k not in (SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL)}
        labels[SERVICE_NAME_LABEL] = svc["metadata"]["name"]
        labels[MANAGED_BY_LABEL] = MANAGED_BY
        if svc["spec"].get("clusterIP") == "None":
            labels[HEADLESS_LABEL] = ""
        return labels

    async def _reconcile_slices(self, key: str, svc: dict, desired: dict, existing: list[dict]) -> None:
        labels = self._slice_labels(svc)
        owner = controller_ref(svc)
        by_group: dict[str, list[dict]] = {}
        for eps in existing:
            group_key = json.dumps(sorted(eps.get("ports") or [], key=lambda p: (p.get("name", ""),
                                                                                  p.get("protocol", "TCP"),
                                                                                  p.get("port"))))
            by_group.setdefault(group_key, []).append(eps)
        to_update: list[dict] = []
        to_create: list[dict] = []
        to_delete: list[dict] = []
        if not desired:
            # No endpoints at all: keep a single placeholder slice so consumers see the Service is handled.
            desired = {"[]": ([], {})}
        for group_key, (ports, wanted) in desired.items():
            slices = [copy.deepcopy(s) for s in by_group.pop(group_key, [])]
            placed: set[str] = set()
            changed: list[dict] = []
            for eps in slices:
                kept = []
                for ep in eps.get("endpoints") or []:
                    addr = (ep.get("addresses") or [None])[0]
                    if addr in wanted and addr not in placed:
                        kept.append(wanted[addr])
                        placed.add(addr)
                if kept != (eps.get("endpoints") or []):
                    eps["endpoints"] = kept
                    changed.append(eps)
            leftover = [ep for addr, ep in wanted.items() if addr not in placed]
            # Fill slices we are writing anyway first, then any other slice with room, then new slices.
            for eps in changed + [s for s in slices if s not in changed]:
                room = self.max_endpoints - len(eps.get("endpoints") or [])
                if room > 0 and leftover:
                    eps["endpoints"] = (eps.get("endpoints") or []) + leftover[:room]
                    leftover = leftover[room:]
                    if eps not in changed:
                        changed.append(eps)
            for eps in slices:
                if not eps.get("endpoints") and (wanted or eps is not slices[0]):
                    to_delete.append(eps)
                elif eps in changed or (eps["metadata"].get("labels") or {}) != labels or \
                        eps["metadata"].get("ownerReferences") != [owner]:
                    to_update.append(eps)
            while leftover or (not wanted and not slices):
                chunk, leftover = leftover[:self.max_endpoints], leftover[self.max_endpoints:]
                to_create.append({
                    "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": {"generateName": f"{svc['metadata']['name']}-", "namespace": svc["metadata"]["namespace"],
                                 "labels": dict(labels), "ownerReferences": [owner]},
                    "addressType": "IPv4", "endpoints": chunk, "ports": copy.deepcopy(ports)})
                if not wanted:
                    break
        for slices in by_group.values():  # port sets no Pod has any more
            to_delete.extend(slices)
        now = now_rfc3339()
        for eps in to_create:
            eps["metadata"]["annotations"] = {TRIGGER_TIME: now}
            self._expect(key, await self.client.create("endpointslices.discovery.k8s.io", eps))
        for eps in to_update:
            eps["metadata"]["labels"] = dict(labels)
            eps["metadata"]["ownerReferences"] = [owner]
            eps["metadata"].setdefault("annotations", {})[TRIGGER_TIME] = now
            self._expect(key, await self.client.update("endpointslices.discovery.k8s.io", eps))
        for eps in to_delete:
            try:
                await self.client.delete("endpointslices.discovery.k8s.io", eps["metadata"]["name"],
                                         eps["metadata"]["namespace"])
            except APIError as exc:
                if exc.code != 404:
                    raise
            self._expect(key, eps, deleted=True)


CONTROLLER = EndpointSliceController

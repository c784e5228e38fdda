"""Defaulting as the API server applies it on decode (pkg/apis/*/v1/defaults.go SetDefaults_*), plus the
few values the create path adds that a learner sees in `kubectl get -o yaml`: the Job's generated
selector and labels, a Namespace's finalizer, a Pod's priority and service account (admission), a
Service's IP family fields (the Service REST storage), and canonical quantities (the JSON round trip).

`default_tolerations(pod)` is the DefaultTolerationSeconds admission plugin, kept apart because it
applies to Pods only on create.
"""
from __future__ import annotations

import base64

from kubenet.api.kinds import Kind
from kubenet.api.quantity import QuantityError, canonicalize

DEFAULT_TOLERATION_SECONDS = 300


def _set(obj: dict, key: str, value: object) -> None:
    if obj.get(key) in (None, ""):
        obj[key] = value


# --- pods and pod templates ---------------------------------------------------------------------

def _image_pull_policy(image: str) -> str:
    # parsers.ParseImageName: no tag and no digest means ":latest".
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        tag = name.split("@", 1)[0].partition(":")[2]
        return "Always" if tag == "latest" else "IfNotPresent"
    tag = name.partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _default_handler(handler: dict | None) -> None:
    if not handler:
        return
    http = handler.get("httpGet")
    if http is not None:
        _set(http, "path", "/")
        _set(http, "scheme", "HTTP")


def _default_probe(probe: dict | None) -> None:
    if probe is None:
        return
    for key, value in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3)):
        if not probe.get(key):
            probe[key] = value
    _default_handler(probe)


def _canonical_resources(resources: dict) -> None:
    for section in ("limits", "requests"):
        for name, value in list((resources.get(section) or {}).items()):
            try:
                resources[section][name] = canonicalize(value)
            except QuantityError:
                pass  # validation reports it


def _default_container(ctr: dict) -> None:
    _set(ctr, "imagePullPolicy", _image_pull_policy(ctr.get("image") or ""))
    _set(ctr, "terminationMessagePath", "/dev/termination-log")
    _set(ctr, "terminationMessagePolicy", "File")
    if ctr.get("resources") is None:
        ctr["resources"] = {}
    _canonical_resources(ctr["resources"])
    for port in ctr.get("ports") or []:
        _set(port, "protocol", "TCP")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(ctr.get(probe))
    for hook in ("postStart", "preStop"):
        _default_handler((ctr.get("lifecycle") or {}).get(hook))
    for env in ctr.get("env") or []:
        field_ref = (env.get("valueFrom") or {}).get("fieldRef")
        if field_ref is not None:
            _set(field_ref, "apiVersion", "v1")


def _default_volume(vol: dict) -> None:
    sources = [k for k in vol if k != "name"]
    if not sources:
        vol["emptyDir"] = {}
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        if vol.get(key) is not None and vol[key].get("defaultMode") is None:
            vol[key]["defaultMode"] = 420
    for source in (vol.get("projected") or {}).get("sources") or []:
        token = source.get("serviceAccountToken")
        if token is not None and token.get("expirationSeconds") is None:
            token["expirationSeconds"] = 3600  # SetDefaults_ServiceAccountTokenProjection
    if vol.get("hostPath") is not None:
        _set(vol["hostPath"], "type", "")


def default_pod_spec(spec: dict) -> None:
    """SetDefaults_PodSpec and the container/volume/probe defaults beneath it (pods and templates)."""
    _set(spec, "dnsPolicy", "ClusterFirst")
    _set(spec, "restartPolicy", "Always")
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30
    _set(spec, "schedulerName", "default-scheduler")
    for ctr in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        _default_container(ctr)
    for ctr in spec.get("ephemeralContainers") or []:
        _default_container(ctr)
    for vol in spec.get("volumes") or []:
        _default_volume(vol)
    if spec.get("hostNetwork"):
        # defaultHostNetworkPorts: with the node's network a hostPort is the containerPort.
        for ctr in (spec.get("containers") or []) + (spec.get("initContainers") or []):
            for port in ctr.get("ports") or []:
                if not port.get("hostPort"):
                    port["hostPort"] = port.get("containerPort")


def default_pod_template(template: dict | None) -> None:
    if template is None:
        return
    template.setdefault("metadata", {})
    default_pod_spec(template.setdefault("spec", {}))


def _default_pod(pod: dict) -> None:
    spec = pod.setdefault("spec", {})
    default_pod_spec(spec)
    # SetDefaults_Pod: on a Pod (not a template) requests default to limits.
    for ctr in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        limits = (ctr.get("resources") or {}).get("limits")
        if limits:
            requests = ctr["resources"].setdefault("requests", {})
            for name, value in limits.items():
                requests.setdefault(name, value)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    # Priority and ServiceAccount admission plugins: every Pod shows these once created.
    if spec.get("priority") is None and not spec.get("priorityClassName"):
        spec["priority"] = 0
    _set(spec, "preemptionPolicy", "PreemptLowerPriority")
    if "kubernetes.io/config.mirror" in ((pod.get("metadata") or {}).get("annotations") or {}):
        return  # ServiceAccount admission leaves a static Pod's mirror alone (it runs without the API)
    _set(spec, "serviceAccountName", spec.get("serviceAccount") or "default")
    _set(spec, "serviceAccount", spec["serviceAccountName"])


def default_tolerations(pod: dict) -> None:
    """DefaultTolerationSeconds admission: tolerate not-ready/unreachable nodes for 300s unless told otherwise."""
    spec = pod.setdefault("spec", {})
    tolerations = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        covered = any(
            (t.get("key") == key or (not t.get("key") and t.get("operator") == "Exists"))
            and t.get("effect") in (None, "", "NoExecute")
            for t in tolerations
        )
        if not covered:
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS})


# --- services and endpoints ---------------------------------------------------------------------

def _default_service(svc: dict) -> None:
    spec = svc.setdefault("spec", {})
    _set(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        client_ip = (spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}
        if client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    _set(spec, "type", "ClusterIP")
    for port in spec.get("ports") or []:
        _set(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    svc_type = spec["type"]
    externally = svc_type in ("NodePort", "LoadBalancer") or (svc_type == "ClusterIP" and spec.get("externalIPs"))
    if externally:
        _set(spec, "externalTrafficPolicy", "Cluster")
    if spec.get("internalTrafficPolicy") is None and svc_type in ("ClusterIP", "NodePort", "LoadBalancer"):
        spec["internalTrafficPolicy"] = "Cluster"
    if svc_type == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True
    default_service_ip_families(svc)


def default_service_ip_families(svc: dict, family: str = "IPv4") -> None:
    """What the Service REST storage fills in on a single-stack cluster before allocating a ClusterIP."""
    spec = svc.setdefault("spec", {})
    if spec.get("type") == "ExternalName":
        return
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    headless_without_selector = spec.get("clusterIP") == "None" and not spec.get("selector")
    if spec.get("ipFamilyPolicy") is None:
        spec["ipFamilyPolicy"] = "RequireDualStack" if headless_without_selector else "SingleStack"
    if not spec.get("ipFamilies"):
        spec["ipFamilies"] = [family]


def _default_ports_protocol(ports: list | None) -> None:
    for port in ports or []:
        _set(port, "protocol", "TCP")


# --- workloads ----------------------------------------------------------------------------------

def _default_rolling_update(strategy: dict, max_unavailable: int | str, max_surge: int | str) -> None:
    """Deployment.spec.strategy / DaemonSet.spec.updateStrategy: RollingUpdate unless set, with its bounds."""
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate") or {}
        strategy["rollingUpdate"] = rolling
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = max_unavailable
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = max_surge


def _default_deployment(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    _default_rolling_update(spec.setdefault("strategy", {}), max_unavailable="25%", max_surge="25%")
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = 600
    default_pod_template(spec.get("template"))


def _default_replica_set(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    default_pod_template(spec.get("template"))


def _default_replication_controller(obj: dict) -> None:
    """SetDefaults_ReplicationController: selector and labels from the template's labels when empty."""
    spec = obj.setdefault("spec", {})
    template = spec.get("template")
    labels = ((template or {}).get("metadata") or {}).get("labels")
    if labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = obj.setdefault("metadata", {})
        if not meta.get("labels"):
            meta["labels"] = dict(labels)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    default_pod_template(template)


def _default_stateful_set(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        strategy.setdefault("rollingUpdate", {})
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and rolling is not None and rolling.get("partition") is None:
        rolling["partition"] = 0
    retention = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    _set(retention, "whenDeleted", "Retain")
    _set(retention, "whenScaled", "Retain")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    for claim in spec.get("volumeClaimTemplates") or []:
        claim_spec = claim.setdefault("spec", {})
        _set(claim_spec, "volumeMode", "Filesystem")
        claim.setdefault("status", {"phase": "Pending"})
    default_pod_template(spec.get("template"))


def _default_daemon_set(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    _default_rolling_update(spec.setdefault("updateStrategy", {}), max_unavailable=1, max_surge=0)
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    default_pod_template(spec.get("template"))


def _default_job(job: dict) -> None:
    spec = job.setdefault("spec", {})
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2**31 - 1 if spec.get("backoffLimitPerIndex") is not None else 6
    meta = job.setdefault("metadata", {})
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if template_labels is not None and not meta.get("labels"):
        meta["labels"] = dict(template_labels)
    _set(spec, "completionMode", "NonIndexed")
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed"
    default_pod_template(spec.get("template"))
    if meta.get("uid"):
        generate_job_selector(job)


def generate_job_selector(job: dict) -> None:
    """The Job strategy's PrepareForCreate: selector on the Job's UID, labels on its pod template."""
    spec = job.setdefault("spec", {})
    if spec.get("manualSelector"):
        return
    meta = job.get("metadata") or {}
    uid, name = meta.get("uid") or "", meta.get("name") or ""
    template = spec.setdefault("template", {})
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    labels.setdefault("batch.kubernetes.io/controller-uid", uid)
    labels.setdefault("batch.kubernetes.io/job-name", name)
    labels.setdefault("controller-uid", uid)
    labels.setdefault("job-name", name)
    if spec.get("selector") is None:
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}


def _default_cron_job(cron_job: dict) -> None:
    spec = cron_job.setdefault("spec", {})
    _set(spec, "concurrencyPolicy", "Allow")
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("successfulJobsHistoryLimit") is None:
        spec["successfulJobsHistoryLimit"] = 3
    if spec.get("failedJobsHistoryLimit") is None:
        spec["failedJobsHistoryLimit"] = 1
    job_template = spec.setdefault("jobTemplate", {})
    job_template.setdefault("metadata", {})
    default_pod_template(job_template.setdefault("spec", {}).get("template"))


# --- everything else ----------------------------------------------------------------------------

def _default_namespace(ns: dict) -> None:
    meta = ns.setdefault("metadata", {})
    if meta.get("name"):
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
    spec = ns.setdefault("spec", {})
    if "finalizers" not in spec:  # only when absent: namespaces/<n>/finalize writes [] on purpose
        spec["finalizers"] = ["kubernetes"]
    _set(ns.setdefault("status", {}), "phase", "Active")


def _default_secret(secret: dict) -> None:
    _set(secret, "type", "Opaque")
    # stringData is write-only: the conversion folds it into data (base64), overriding same keys.
    string_data = secret.pop("stringData", None) or {}
    if string_data:
        data = secret.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


def _default_node(node: dict) -> None:
    status = node.setdefault("status", {})
    if status.get("capacity") and not status.get("allocatable"):
        status["allocatable"] = dict(status["capacity"])


def _default_network_policy(np: dict) -> None:
    spec = np.setdefault("spec", {})
    spec.setdefault("podSelector", {})
    for rule in (spec.get("ingress") or []) + (spec.get("egress") or []):
        _default_ports_protocol(rule.get("ports"))
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])


def _default_endpoints(ep: dict) -> None:
    for subset in ep.get("subsets") or []:
        _default_ports_protocol(subset.get("ports"))


def _default_endpoint_slice(eps: dict) -> None:
    for port in eps.get("ports") or []:
        _set(port, "protocol", "TCP")
        port.setdefault("name", "")


_DEFAULTERS = {
    ("", "Pod"): _default_pod,
    ("", "Service"): _default_service,
    ("", "Endpoints"): _default_endpoints,
    ("", "Namespace"): _default_namespace,
    ("", "Secret"): _default_secret,
    ("", "Node"): _default_node,
    ("", "ReplicationController"): _default_replication_controller,
    ("apps", "Deployment"): _default_deployment,
    ("apps", "ReplicaSet"): _default_replica_set,
    ("apps", "StatefulSet"): _default_stateful_set,
    ("apps", "DaemonSet"): _default_daemon_set,
    ("batch", "Job"): _default_job,
    ("batch", "CronJob"): _default_cron_job,
    ("discovery.k8s.io", "EndpointSlice"): _default_endpoint_slice,
    ("networking.k8s.io", "NetworkPolicy"): _default_network_policy,
}


def apply_defaults(kind: Kind, obj: dict) -> None:
    """Fill in defaulted fields in place. Idempotent: running it twice changes nothing more."""
    defaulter = _DEFAULTERS.get((kind.group, kind.kind))
    if defaulter is not None:
        defaulter(obj)

"""Server-side table printers for networking, cluster and configuration kinds.

Columns and cells follow Kubernetes 1.32's pkg/printers/internalversion/printers.go (printService,
printEndpointSlice, printIngress, printNode, printEvent, printSecret, printRole, ...).
"""
from __future__ import annotations

from datetime import UTC, datetime

from kubenet.api.tables_format import (
    AGE_COLUMN,
    AGE_DOC,
    NAME_COLUMN,
    age,
    column,
    format_label_selector,
    format_labels,
    list_with_more,
    name_of,
    parse_time,
    since,
)

SERVICE_COLUMNS = [
    NAME_COLUMN,
    column("Type", "type determines how the Service is exposed."),
    column("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
    column("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept "
                          "traffic for this service."),
    column("Port(s)", "The list of ports that are exposed by this service."),
    AGE_COLUMN,
    column("Selector", "Route service traffic to pods with label keys and values matching this selector.",
           priority=1),
]


def _load_balancer_addresses(status: dict) -> list[str]:
    # loadBalancerStatusStringer: IP, else hostname, de-duplicated (the server prints wide, unclipped)
    seen: list[str] = []
    for ingress in ((status or {}).get("loadBalancer") or {}).get("ingress") or []:
        address = ingress.get("ip") or ingress.get("hostname")
        if address and address not in seen:
            seen.append(address)
    return seen


def service_external_ip(svc: dict) -> str:
    spec = svc.get("spec") or {}
    svc_type, external_ips = spec.get("type", ""), spec.get("externalIPs") or []
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) if external_ips else "<none>"
    if svc_type == "LoadBalancer":
        addresses = _load_balancer_addresses(svc.get("status") or {}) + external_ips
        return ",".join(addresses) if addresses else "<pending>"
    if svc_type == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def service_ports(ports: list | None) -> str:
    pieces = []
    for port in ports or []:
        protocol = port.get("protocol", "TCP")
        if port.get("nodePort"):
            pieces.append(f"{port.get('port')}:{port['nodePort']}/{protocol}")
        else:
            pieces.append(f"{port.get('port')}/{protocol}")
    return ",".join(pieces) or "<none>"


def service_row(svc: dict, now: datetime) -> list:
    spec = svc.get("spec") or {}
    cluster_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [name_of(svc), spec.get("type", ""), cluster_ips[0] if cluster_ips else "<none>",
            service_external_ip(svc), service_ports(spec.get("ports")), age(svc, now),
            format_labels(spec.get("selector"))]


ENDPOINTS_COLUMNS = [
    NAME_COLUMN,
    column("Endpoints", "The set of all endpoints is the union of all subsets."),
    AGE_COLUMN,
]


def endpoints_row(obj: dict, now: datetime) -> list:
    subsets = obj.get("subsets") or []
    if not subsets:
        return [name_of(obj), "<none>", age(obj, now)]
    listed: list[str] = []
    count = 0
    for subset in subsets:
        addresses = [a.get("ip", "") for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        if not ports:  # a headless Service without ports lists bare IPs
            count += len(addresses)
            listed.extend(addresses[: max(0, 3 - len(listed))])
            continue
        for port in ports:
            count += len(addresses)
            for ip in addresses:
                if len(listed) < 3:
                    listed.append(f"[{ip}]:{port.get('port')}" if ":" in ip else f"{ip}:{port.get('port')}")
    text = ",".join(listed)
    return [name_of(obj), f"{text} + {count - 3} more..." if count > 3 else text, age(obj, now)]


ENDPOINTSLICE_COLUMNS = [
    NAME_COLUMN,
    column("AddressType", "addressType specifies the type of address carried by this EndpointSlice."),
    column("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice."),
    column("Endpoints", "endpoints is a list of unique endpoints in this slice."),
    AGE_COLUMN,
]


def endpointslice_row(obj: dict, now: datetime) -> list:
    ports = []
    for port in obj.get("ports") or []:
        ports.append(str(port["port"]) if port.get("port") is not None else (port.get("name") or "*"))
    addresses = [a for endpoint in obj.get("endpoints") or [] for a in endpoint.get("addresses") or []]
    return [name_of(obj), obj.get("addressType", ""), list_with_more(ports, len(ports)),
            list_with_more(addresses, len(addresses)), age(obj, now)]


INGRESS_COLUMNS = [
    NAME_COLUMN,
    column("Class", "The name of the IngressClass resource that should be used for additional configuration"),
    column("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
    column("Address", "Address is a list containing ingress points for the load-balancer"),
    column("Ports", "Ports of TLS configurations that open"),
    AGE_COLUMN,
]


def ingress_row(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    rules = spec.get("rules") or []
    hosts = [r["host"] for r in rules[:3] if r.get("host")]
    hosts_text = ",".join(hosts) if hosts else "*"
    if hosts and len(rules) > 3:
        hosts_text = f"{hosts_text} + {len(rules) - 3} more..."
    return [name_of(obj), spec.get("ingressClassName") or "<none>", hosts_text,
            ",".join(_load_balancer_addresses(obj.get("status") or {})),
            "80, 443" if spec.get("tls") else "80", age(obj, now)]


INGRESSCLASS_COLUMNS = [
    NAME_COLUMN,
    column("Controller", "Controller that is responsible for handling this class"),
    column("Parameters", "A reference to a resource with additional parameters"),
    AGE_COLUMN,
]


def ingressclass_row(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    params = spec.get("parameters")
    text = "<none>"
    if params:
        text = params.get("kind", "") + (f".{params['apiGroup']}" if params.get("apiGroup") else "")
        text += "/" + params.get("name", "")
    return [name_of(obj), spec.get("controller", ""), text, age(obj, now)]


NETWORKPOLICY_COLUMNS = [
    NAME_COLUMN,
    column("Pod-Selector", "podSelector selects the pods to which this NetworkPolicy object applies."),
    AGE_COLUMN,
]


def networkpolicy_row(obj: dict, now: datetime) -> list:
    # An empty podSelector (all Pods) prints "<none>", as metav1.FormatLabelSelector does for it.
    return [name_of(obj), format_label_selector((obj.get("spec") or {}).get("podSelector")), age(obj, now)]


NODE_COLUMNS = [
    NAME_COLUMN,
    column("Status", "The status of the node"),
    column("Roles", "The roles of the node"),
    AGE_COLUMN,
    column("Version", "Kubelet Version reported by the node."),
    column("Internal-IP", "List of addresses reachable to the node.", priority=1),
    column("External-IP", "List of addresses reachable to the node.", priority=1),
    column("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
           priority=1),
    column("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
           priority=1),
    column("Container-Runtime", "ContainerRuntime Version reported by the node through runtime remote API "
                                "(e.g. containerd://1.4.2).", priority=1),
]


def node_row(obj: dict, now: datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    states = []
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready":
            states = ["Ready" if condition.get("status") == "True" else "NotReady"]
    states = states or ["Unknown"]
    if spec.get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for key, value in ((obj.get("metadata") or {}).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key[len("node-role.kubernetes.io/"):]:
            roles.add(key[len("node-role.kubernetes.io/"):])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    info = status.get("nodeInfo") or {}

    def address(kind: str) -> str:
        return next((a.get("address") for a in status.get("addresses") or [] if a.get("type") == kind), "<none>")

    return [name_of(obj), ",".join(states), ",".join(sorted(roles)) or "<none>", age(obj, now),
            info.get("kubeletVersion", ""), address("InternalIP"), address("ExternalIP"),
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


NAMESPACE_COLUMNS = [NAME_COLUMN, column("Status", "The status of the namespace"), AGE_COLUMN]


def namespace_row(obj: dict, now: datetime) -> list:
    return [name_of(obj), (obj.get("status") or {}).get("phase", ""), age(obj, now)]


EVENT_COLUMNS = [
    column("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
    column("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
    column("Reason", "This should be a short, machine understandable string that gives the reason for the "
                     "transition into the object's current status."),
    column("Object", "The object that this event is about."),
    column("Subobject", "If referring to a piece of an object instead of an entire object, this string should "
                        "contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].",
           priority=1),
    column("Source", "The component reporting this event. Should be a short machine understandable string.",
           priority=1),
    column("Message", "A human-readable description of the status of this operation."),
    column("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
           priority=1),
    column("Count", "The number of times this event has occurred.", priority=1),
    column("Name", NAME_COLUMN["description"], priority=1, format_="name"),
]


def _as_core_event(obj: dict) -> dict:
    """events.k8s.io/v1 Events print through the core printer, like the server's internal type."""
    if not obj.get("apiVersion", "").startswith("events.k8s.io"):
        return obj
    source = obj.get("deprecatedSource") or {}
    return {
        "metadata": obj.get("metadata") or {}, "type": obj.get("type", ""), "reason": obj.get("reason", ""),
        "message": obj.get("note", ""), "involvedObject": obj.get("regarding") or {},
        "firstTimestamp": obj.get("deprecatedFirstTimestamp"), "lastTimestamp": obj.get("deprecatedLastTimestamp"),
        "count": obj.get("deprecatedCount", 0), "eventTime": obj.get("eventTime"), "series": obj.get("series"),
        "source": source, "reportingComponent": obj.get("reportingController", ""),
        "reportingInstance": obj.get("reportingInstance", ""),
    }


def event_row(raw: dict, now: datetime) -> list:
    obj = _as_core_event(raw)
    first = since(obj["firstTimestamp"], now) if parse_time(obj.get("firstTimestamp")) else since(
        obj.get("eventTime"), now)
    last = since(obj["lastTimestamp"], now) if parse_time(obj.get("lastTimestamp")) else first
    count = obj.get("count") or 0
    series = obj.get("series")
    if series:
        last, count = since(series.get("lastObservedTime"), now), series.get("count", 0)
    elif count == 0:
        count = 1  # singleton events of the new API carry no count
    involved = obj.get("involvedObject") or {}
    kind = (involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = obj.get("source") or {}
    component = source.get("component") or obj.get("reportingComponent", "")
    instance = source.get("host") or obj.get("reportingInstance", "")
    return [last, obj.get("type", ""), obj.get("reason", ""), target, involved.get("fieldPath", ""),
            f"{component}, {instance}" if instance else component, (obj.get("message") or "").strip(),
            first, count, name_of(obj)]


CONFIGMAP_COLUMNS = [NAME_COLUMN, column("Data", "Data contains the configuration data."), AGE_COLUMN]


def configmap_row(obj: dict, now: datetime) -> list:
    return [name_of(obj), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), age(obj, now)]


SECRET_COLUMNS = [
    NAME_COLUMN,
    column("Type", "Used to facilitate programmatic handling of secret data."),
    column("Data", "Data contains the secret data."),
    AGE_COLUMN,
]


def secret_row(obj: dict, now: datetime) -> list:
    # stringData is folded into data on write, so only data counts, as on a real server
    return [name_of(obj), obj.get("type", ""), len(obj.get("data") or {}), age(obj, now)]


SERVICEACCOUNT_COLUMNS = [
    NAME_COLUMN,
    column("Secrets", "Secrets is a list of the secrets in the same namespace that pods running using this "
                      "ServiceAccount are allowed to use."),
    AGE_COLUMN,
]


def serviceaccount_row(obj: dict, now: datetime) -> list:
    return [name_of(obj), len(obj.get("secrets") or []), age(obj, now)]


LEASE_COLUMNS = [
    NAME_COLUMN,
    column("Holder", "holderIdentity contains the identity of the holder of a current lease."),
    AGE_COLUMN,
]


def lease_row(obj: dict, now: datetime) -> list:
    return [name_of(obj), (obj.get("spec") or {}).get("holderIdentity") or "", age(obj, now)]


# Roles, ClusterRoles and every kind without its own printer show the creation time itself.
CREATED_AT_COLUMNS = [NAME_COLUMN, column("Created At", AGE_DOC, "date")]


def created_at_row(obj: dict, now: datetime) -> list:
    created = parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
    text = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if created else "0001-01-01T00:00:00Z"
    return [name_of(obj), text]


def _binding_columns(what: str) -> list[dict]:
    return [
        NAME_COLUMN,
        column("Role", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global "
                       "namespace."),
        AGE_COLUMN,
        column("Users", f"Users in the {what}", priority=1),
        column("Groups", f"Groups in the {what}", priority=1),
        column("ServiceAccounts", f"ServiceAccounts in the {what}", priority=1),
    ]


ROLEBINDING_COLUMNS = _binding_columns("roleBinding")
CLUSTERROLEBINDING_COLUMNS = _binding_columns("clusterRoleBinding")


def binding_row(obj: dict, now: datetime) -> list:
    ref = obj.get("roleRef") or {}
    users, groups, service_accounts = [], [], []
    for subject in obj.get("subjects") or []:
        kind = subject.get("kind")
        if kind == "User":
            users.append(subject.get("name", ""))
        elif kind == "Group":
            groups.append(subject.get("name", ""))
        elif kind == "ServiceAccount":
            service_accounts.append(f"{subject.get('namespace', '')}/{subject.get('name', '')}")
    return [name_of(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", age(obj, now),
            ", ".join(users), ", ".join(groups), ", ".join(service_accounts)]

"""Pod and PodSpec rules (pkg/apis/core/validation: ValidatePodSpec, validateContainers, ValidatePodUpdate).

Validation runs on defaulted objects, as in the API server: a missing restartPolicy has become "Always"
before these rules see it, so "Required value" here means a user explicitly sent an empty value.
"""
from __future__ import annotations

from kubenet.api.quantity import Quantity, QuantityError
from kubenet.api.validation_field import (
    FieldError,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
)
from kubenet.api.validation_meta import (
    inclusive_range_error,
    is_dns1123_label,
    is_qualified_name,
    is_valid_ip,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
    name_is_dns_subdomain,
    validate_annotations,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_labels,
    validate_nonnegative,
    validate_object_meta,
)
from kubenet.api.validation_volumes import validate_projected

PORT_PROTOCOLS = ["SCTP", "TCP", "UDP"]  # sets.List order: sorted


def validate_protocol(protocol: str | None, path: str) -> list[FieldError]:
    """A required port protocol (container ports, Service ports, Endpoints ports): Required, or NotSupported."""
    if not protocol:
        return [required(path)]
    if protocol not in PORT_PROTOCOLS:
        return [not_supported(path, protocol, PORT_PROTOCOLS)]
    return []
MAX_INT32 = 2**31 - 1
_STANDARD_CONTAINER_RESOURCES = {"cpu", "memory", "ephemeral-storage"}
_INTEGER_RESOURCES = {"pods", "services"}



def validate_port_num_or_name(port: object, path: str) -> list[FieldError]:
    if isinstance(port, int) and not isinstance(port, bool):
        return [invalid(path, port, m) for m in is_valid_port_num(port)]
    if isinstance(port, str):
        return [invalid(path, port, m) for m in is_valid_port_name(port)]
    return [FieldError("InternalError", path, None, f"unknown type: {type(port).__name__}")]


def _validate_container_ports(ports: list, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports or []):
        p = f"{path}[{i}]"
        name = port.get("name") or ""
        if name:
            msgs = is_valid_port_name(name)
            if msgs:
                errs += [invalid(f"{p}.name", name, m) for m in msgs]
            elif name in names:
                errs.append(duplicate(f"{p}.name", name))
            else:
                names.add(name)
        container_port = port.get("containerPort") or 0
        if container_port == 0:
            errs.append(required(f"{p}.containerPort"))
        else:
            errs += [invalid(f"{p}.containerPort", container_port, m) for m in is_valid_port_num(container_port)]
        host_port = port.get("hostPort") or 0
        if host_port:
            errs += [invalid(f"{p}.hostPort", host_port, m) for m in is_valid_port_num(host_port)]
        errs += validate_protocol(port.get("protocol"), f"{p}.protocol")
    return errs


def _validate_handler(handler: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    count = 0
    for kind in ("exec", "httpGet", "tcpSocket", "grpc", "sleep"):
        action = handler.get(kind)
        if action is None:
            continue
        if count:
            errs.append(forbidden(f"{path}.{kind}", "may not specify more than 1 handler type"))
            continue
        count += 1
        if kind == "exec" and not action.get("command"):
            errs.append(required(f"{path}.exec.command"))
        elif kind == "httpGet":
            if not action.get("path"):
                errs.append(required(f"{path}.httpGet.path"))
            errs += validate_port_num_or_name(action.get("port", 0), f"{path}.httpGet.port")
            if action.get("scheme") not in ("HTTP", "HTTPS"):
                errs.append(not_supported(f"{path}.httpGet.scheme", action.get("scheme", ""), ["HTTP", "HTTPS"]))
        elif kind == "tcpSocket":
            errs += validate_port_num_or_name(action.get("port", 0), f"{path}.tcpSocket.port")
        elif kind == "grpc":
            errs += validate_port_num_or_name(int(action.get("port") or 0), f"{path}.grpc.port")
    if count == 0:
        errs.append(required(path, "must specify a handler type"))
    return errs


def _validate_probe(probe: dict | None, path: str, kind: str) -> list[FieldError]:
    if probe is None:
        return []
    errs = _validate_handler(probe, path)
    for key in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        errs += validate_nonnegative(probe.get(key, 0), f"{path}.{key}")
    if kind in ("liveness", "startup") and probe.get("successThreshold", 1) != 1:
        errs.append(invalid(f"{path}.successThreshold", probe.get("successThreshold"), "must be 1"))
    return errs


def _validate_resources(resources: dict | None, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    parsed: dict[str, dict[str, Quantity]] = {"limits": {}, "requests": {}}
    for section in ("limits", "requests"):
        for name, text in ((resources or {}).get(section) or {}).items():
            p = f"{path}.{section}[{name}]"
            if "/" not in name and name not in _STANDARD_CONTAINER_RESOURCES and not name.startswith("hugepages-"):
                errs.append(invalid(p, name, "must be a standard resource for containers"))
                continue
            try:
                quantity = Quantity.parse(text)
            except QuantityError as e:
                errs.append(invalid(p, text, str(e)))
                continue
            if quantity.value < 0:
                errs.append(invalid(p, str(quantity), "must be greater than or equal to 0"))
            parsed[section][name] = quantity
    for name, request in parsed["requests"].items():
        limit = parsed["limits"].get(name)
        if limit is None:
            continue
        p = f"{path}.requests[{name}]"
        overcommit = name in _STANDARD_CONTAINER_RESOURCES
        if not overcommit and request != limit:
            errs.append(invalid(p, str(request), f"must be equal to {name} limit of {limit}"))
        elif request > limit:
            errs.append(invalid(p, str(request), f"must be less than or equal to {name} limit of {limit}"))
    return errs


def _validate_container_common(ctr: dict, path: str, volume_names: set[str], names: set[str]) -> list[FieldError]:
    """What containers and init containers share; `names` collects the names seen so far (unique across both)."""
    errs: list[FieldError] = []
    name = ctr.get("name") or ""
    if not name:
        errs.append(required(f"{path}.name"))
    else:
        errs += validate_dns1123_label(name, f"{path}.name")
    if not ctr.get("image"):
        errs.append(required(f"{path}.image"))
    policy = ctr.get("terminationMessagePolicy") or ""
    if not policy:
        errs.append(required(f"{path}.terminationMessagePolicy"))
    elif policy not in ("File", "FallbackToLogsOnError"):
        errs.append(not_supported(f"{path}.terminationMessagePolicy", policy, ["File", "FallbackToLogsOnError"]))
    errs += _validate_container_ports(ctr.get("ports") or [], f"{path}.ports")
    for i, env in enumerate(ctr.get("env") or []):
        env_name = env.get("name") or ""
        if not env_name:
            errs.append(required(f"{path}.env[{i}].name"))
        elif "=" in env_name or not env_name.isprintable() or not env_name.isascii():
            errs.append(invalid(f"{path}.env[{i}].name", env_name, "a valid environment variable name must "
                                "consist only of printable ASCII characters other than '='"))
    for i, mount in enumerate(ctr.get("volumeMounts") or []):
        mount_name = mount.get("name") or ""
        if not mount_name:
            errs.append(required(f"{path}.volumeMounts[{i}].name"))
        elif mount_name not in volume_names:
            errs.append(FieldError("FieldValueNotFound", f"{path}.volumeMounts[{i}].name", mount_name))
        if not mount.get("mountPath"):
            errs.append(required(f"{path}.volumeMounts[{i}].mountPath"))
    pull = ctr.get("imagePullPolicy") or ""
    if not pull:
        errs.append(required(f"{path}.imagePullPolicy"))
    elif pull not in ("Always", "IfNotPresent", "Never"):
        errs.append(not_supported(f"{path}.imagePullPolicy", pull, ["Always", "IfNotPresent", "Never"]))
    errs += _validate_resources(ctr.get("resources"), f"{path}.resources")
    if ctr.get("name") in names:
        errs.append(duplicate(f"{path}.name", ctr.get("name")))
    else:
        names.add(ctr.get("name"))
    return errs


def _validate_containers(containers: list, init: list, path: str, volume_names: set[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    if not containers:
        return [required(path)]
    names: set[str] = set()
    host_ports: set[str] = set()
    for i, ctr in enumerate(containers):
        p = f"{path}[{i}]"
        errs += _validate_container_common(ctr, p, volume_names, names)
        errs += _validate_probe(ctr.get("livenessProbe"), f"{p}.livenessProbe", "liveness")
        errs += _validate_probe(ctr.get("readinessProbe"), f"{p}.readinessProbe", "readiness")
        errs += _validate_probe(ctr.get("startupProbe"), f"{p}.startupProbe", "startup")
        for hook in ("postStart", "preStop"):
            if (ctr.get("lifecycle") or {}).get(hook) is not None:
                errs += _validate_handler(ctr["lifecycle"][hook], f"{p}.lifecycle.{hook}")
        if ctr.get("restartPolicy") is not None:
            errs.append(forbidden(f"{p}.restartPolicy", "may not be set for non-init containers"))
        for j, port in enumerate(ctr.get("ports") or []):
            if port.get("hostPort"):
                key = f"{port.get('protocol', '')}/{port.get('hostIP', '')}/{port['hostPort']}"
                if key in host_ports:
                    errs.append(duplicate(f"{p}.ports[{j}].hostPort", key))
                host_ports.add(key)
    init_path = path.rsplit(".", 1)[0] + ".initContainers"
    for i, ctr in enumerate(init or []):
        p = f"{init_path}[{i}]"
        errs += _validate_container_common(ctr, p, volume_names, names)
        if ctr.get("restartPolicy") is not None and ctr["restartPolicy"] != "Always":
            errs.append(not_supported(f"{p}.restartPolicy", ctr["restartPolicy"], ["Always"]))
    return errs


def _validate_volumes(volumes: list, path: str) -> tuple[set[str], list[FieldError]]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, vol in enumerate(volumes or []):
        name = vol.get("name") or ""
        if not name:
            errs.append(required(f"{path}[{i}].name"))
        else:
            errs += validate_dns1123_label(name, f"{path}[{i}].name")
            if name in names:
                errs.append(duplicate(f"{path}[{i}].name", name))
        names.add(name)
        if vol.get("projected") is not None:
            errs += validate_projected(vol["projected"], f"{path}[{i}].projected")
    return names, errs


def _validate_dns_config(config: dict | None, policy: str, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if policy == "None":
        if config is None:
            return [required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not config.get("nameservers"):
            return [required(f"{path}.nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None")]
    if config is None:
        return errs
    nameservers = config.get("nameservers") or []
    if len(nameservers) > 3:
        errs.append(invalid(f"{path}.nameservers", nameservers, "must not have more than 3 nameservers"))
    for i, ns in enumerate(nameservers):
        errs += is_valid_ip(f"{path}.nameservers[{i}]", ns)
    searches = config.get("searches") or []
    if len(searches) > 32:
        errs.append(invalid(f"{path}.searches", searches, "must not have more than 32 search paths"))
    if len(" ".join(searches)) > 2048:
        errs.append(invalid(f"{path}.searches", searches,
                            "must not have more than 2048 characters (including spaces) in the search list"))
    for i, search in enumerate(searches):
        errs += validate_dns1123_subdomain(search.removesuffix("."), f"{path}.searches[{i}]")
    for i, option in enumerate(config.get("options") or []):
        if not option.get("name"):
            errs.append(required(f"{path}.options[{i}]", "must not be empty"))
    return errs


def validate_tolerations(tolerations: list, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, tol in enumerate(tolerations or []):
        p = f"{path}[{i}]"
        key, op, effect = tol.get("key") or "", tol.get("operator") or "", tol.get("effect") or ""
        if key:
            errs += [invalid(f"{p}.key", key, m) for m in is_qualified_name(key)]
        if not key and op != "Exists":
            errs.append(invalid(f"{p}.operator", op, "operator must be Exists when `key` is empty, which means "
                                "\"match all values and all keys\""))
        if tol.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(invalid(f"{p}.effect", effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if op in ("Equal", ""):
            msgs = is_valid_label_value(tol.get("value") or "")
            if msgs:
                errs.append(invalid(f"{p}.operator", tol.get("value") or "", ";".join(msgs)))
        elif op == "Exists":
            if tol.get("value"):
                errs.append(invalid(f"{p}.operator", tol["value"], "value must be empty when `operator` is 'Exists'"))
        else:
            errs.append(not_supported(f"{p}.operator", op, ["Equal", "Exists"]))
        if effect and effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            errs.append(not_supported(f"{p}.effect", effect, ["NoSchedule", "PreferNoSchedule", "NoExecute"]))
    return errs


def validate_pod_spec(spec: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if spec.get("terminationGracePeriodSeconds") is None:
        errs.append(required(f"{path}.terminationGracePeriodSeconds"))
    volume_names, vol_errs = _validate_volumes(spec.get("volumes") or [], f"{path}.volumes")
    errs += vol_errs
    errs += _validate_containers(spec.get("containers") or [], spec.get("initContainers") or [],
                                 f"{path}.containers", volume_names)
    restart = spec.get("restartPolicy") or ""
    if not restart:
        errs.append(required(f"{path}.restartPolicy"))
    elif restart not in ("Always", "OnFailure", "Never"):
        errs.append(not_supported(f"{path}.restartPolicy", restart, ["Always", "OnFailure", "Never"]))
    dns_policy = spec.get("dnsPolicy") or ""
    dns_values = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
    if not dns_policy:
        errs.append(required(f"{path}.dnsPolicy"))
    elif dns_policy not in dns_values:
        errs.append(not_supported(f"{path}.dnsPolicy", dns_policy, dns_values))
    errs += validate_labels(spec.get("nodeSelector"), f"{path}.nodeSelector")
    errs += _validate_dns_config(spec.get("dnsConfig"), dns_policy, f"{path}.dnsConfig")
    sa = spec.get("serviceAccountName") or ""
    if sa:
        errs += [invalid(f"{path}.serviceAccountName", sa, m) for m in name_is_dns_subdomain(sa, False)]
    node = spec.get("nodeName") or ""
    if node:
        errs += [invalid(f"{path}.nodeName", node, m) for m in name_is_dns_subdomain(node, False)]
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and (deadline < 1 or deadline > MAX_INT32):
        errs.append(invalid(f"{path}.activeDeadlineSeconds", deadline, inclusive_range_error(1, MAX_INT32)))
    for key in ("hostname", "subdomain"):
        if spec.get(key):
            errs += [invalid(f"{path}.{key}", spec[key], m) for m in is_dns1123_label(spec[key])]
    errs += validate_tolerations(spec.get("tolerations") or [], f"{path}.tolerations")
    return errs


def validate_pod_template_spec(template: dict | None, path: str) -> list[FieldError]:
    """ValidatePodTemplateSpec: note the real code reports template labels at `<path>.labels`."""
    if template is None:
        return [required(path)]
    meta = template.get("metadata") or {}
    errs = validate_labels(meta.get("labels"), f"{path}.labels")
    errs += validate_annotations(meta.get("annotations"), f"{path}.annotations")
    errs += validate_pod_spec(template.get("spec") or {}, f"{path}.spec")
    if (template.get("spec") or {}).get("ephemeralContainers"):
        errs.append(forbidden(f"{path}.spec.ephemeralContainers", "ephemeral containers not allowed in pod template"))
    return errs


def validate_pod(pod: dict) -> list[FieldError]:
    errs = validate_object_meta(pod.get("metadata") or {}, True, name_is_dns_subdomain)
    spec = pod.get("spec") or {}
    errs += validate_pod_spec(spec, "spec")
    for field_name in ("containers", "initContainers"):
        for i, ctr in enumerate(spec.get(field_name) or []):
            image = ctr.get("image") or ""
            if image != image.strip():
                errs.append(invalid(f"spec.{field_name}[{i}].image", image, "must not have leading or trailing whitespace"))
    return errs

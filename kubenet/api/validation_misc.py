"""ConfigMap, Secret, Namespace, Node (core), Ingress and NetworkPolicy (networking.k8s.io) rules."""
from __future__ import annotations

import base64
import ipaddress

from kubenet.api.validation_field import (
    FieldError,
    GoLiteral,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
    too_long,
)
from kubenet.api.validation_meta import (
    is_config_map_key,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
    is_wildcard_dns1123_subdomain,
    name_is_dns1035_label,
    name_is_dns_label,
    name_is_dns_subdomain,
    validate_label_selector,
    validate_meta,
)

MAX_SECRET_SIZE = 1 * 1024 * 1024
_STANDARD_FINALIZERS = {"kubernetes"}


def _meta(obj: dict, old: dict | None, namespaced: bool, name_fn) -> list[FieldError]:
    return validate_meta(obj, old, namespaced, name_fn)


def validate_config_map(cm: dict, old: dict | None = None) -> list[FieldError]:
    errs = _meta(cm, old, True, name_is_dns_subdomain)
    data, binary = cm.get("data") or {}, cm.get("binaryData") or {}
    total = 0
    for key, value in data.items():
        errs += [invalid(f"data[{key}]", key, m) for m in is_config_map_key(key)]
        if key in binary:
            errs.append(invalid(f"data[{key}]", key, "duplicate of key present in binaryData"))
        total += len(str(value).encode())
    for key, value in binary.items():
        errs += [invalid(f"binaryData[{key}]", key, m) for m in is_config_map_key(key)]
        if key in data:
            errs.append(invalid(f"binaryData[{key}]", key, "duplicate of key present in data"))
        total += len(_b64_len(value))
    if total > MAX_SECRET_SIZE:
        errs.append(too_long("", MAX_SECRET_SIZE))
    errs += _immutable_payload(cm, old, ("data", "binaryData"))
    return errs


def _b64_len(value: str) -> bytes:
    try:
        return base64.b64decode(value or "", validate=False)
    except ValueError:
        return (value or "").encode()


def _immutable_payload(obj: dict, old: dict | None, keys: tuple[str, ...]) -> list[FieldError]:
    if old is None or not old.get("immutable"):
        return []
    errs = []
    if not obj.get("immutable"):
        errs.append(forbidden("immutable", "field is immutable when `immutable` is set"))
    for key in keys:
        if (obj.get(key) or {}) != (old.get(key) or {}):
            errs.append(forbidden(key, "field is immutable when `immutable` is set"))
    return errs


def validate_secret(secret: dict, old: dict | None = None) -> list[FieldError]:
    errs = _meta(secret, old, True, name_is_dns_subdomain)
    data = secret.get("data") or {}
    total = 0
    for key, value in data.items():
        errs += [invalid(f"data[{key}]", key, m) for m in is_config_map_key(key)]
        total += len(_b64_len(value))
    if total > MAX_SECRET_SIZE:
        errs.append(too_long("data", MAX_SECRET_SIZE))
    stype = secret.get("type") or ""
    if stype == "kubernetes.io/service-account-token":
        if not ((secret.get("metadata") or {}).get("annotations") or {}).get("kubernetes.io/service-account.name"):
            errs.append(required("metadata.annotations[kubernetes.io/service-account.name]"))
    elif stype == "kubernetes.io/tls":
        for key in ("tls.crt", "tls.key"):
            if key not in data:
                errs.append(required(f"data[{key}]"))
    elif stype == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs.append(required("data[username]"))
            errs.append(required("data[password]"))
    elif stype == "kubernetes.io/dockerconfigjson" and ".dockerconfigjson" not in data:
        errs.append(required("data[.dockerconfigjson]"))
    if old is not None and (old.get("type") or "") != stype:
        errs.append(invalid("type", stype, "field is immutable"))
    errs += _immutable_payload(secret, old, ("data",))
    return errs


def validate_namespace(ns: dict, old: dict | None = None) -> list[FieldError]:
    errs = _meta(ns, old, False, name_is_dns_label)
    for finalizer in (ns.get("spec") or {}).get("finalizers") or []:
        msgs = is_qualified_name(finalizer)
        if msgs:
            errs += [invalid("spec.finalizers", finalizer, m) for m in msgs]
        elif "/" not in finalizer and finalizer not in _STANDARD_FINALIZERS:
            errs.append(invalid("spec.finalizers", finalizer,
                                "name is neither a standard finalizer name nor is it fully qualified"))
    return errs


def validate_node(node: dict, old: dict | None = None) -> list[FieldError]:
    errs = _meta(node, old, False, name_is_dns_subdomain)
    spec = node.get("spec") or {}
    unique: set[tuple[str, str]] = set()
    for i, taint in enumerate(spec.get("taints") or []):
        p = f"metadata.taints[{i}]"  # the real code roots taint errors at metadata, not spec
        errs += [invalid(f"{p}.key", taint.get("key") or "", m) for m in is_qualified_name(taint.get("key") or "")]
        msgs = is_valid_label_value(taint.get("value") or "")
        if msgs:
            errs.append(invalid(f"{p}.value", taint.get("value") or "", ";".join(msgs)))
        effect = taint.get("effect") or ""
        if not effect:
            errs.append(required(f"{p}.effect"))
        elif effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            errs.append(not_supported(f"{p}.effect", effect, ["NoSchedule", "PreferNoSchedule", "NoExecute"]))
        key = (effect, taint.get("key") or "")
        if key in unique:
            err = duplicate(p, GoLiteral(f'core.Taint{{Key:"{key[1]}", Value:"{taint.get("value") or ""}", '
                                         f'Effect:"{effect}", TimeAdded:<nil>}}'))
            err.detail = "taints must be unique by key and effect pair"
            errs.append(err)
        unique.add(key)
    for i, cidr in enumerate(spec.get("podCIDRs") or []):
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            errs.append(invalid(f"spec.podCIDRs[{i}]", cidr, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
    if old is not None:
        old_cidrs = (old.get("spec") or {}).get("podCIDRs") or []
        if old_cidrs and old_cidrs != (spec.get("podCIDRs") or []):
            errs.append(forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'))
        old_provider = (old.get("spec") or {}).get("providerID") or ""
        if old_provider and old_provider != (spec.get("providerID") or ""):
            errs.append(forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'))
    return errs


PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]


def _validate_ingress_backend(backend: dict, path: str) -> list[FieldError]:
    service, resource = backend.get("service"), backend.get("resource")
    if service is not None and resource is not None:
        return [invalid(path, "", "cannot set both resource and service backends")]
    if resource is not None:
        errs = []
        if not resource.get("kind"):
            errs.append(required(f"{path}.resource.kind"))
        if not resource.get("name"):
            errs.append(required(f"{path}.resource.name"))
        return errs
    if service is None:
        return [invalid(path, "", "resource or service backend is required")]
    errs: list[FieldError] = []
    name = service.get("name") or ""
    if not name:
        errs.append(required(f"{path}.service.name"))
    else:
        errs += [invalid(f"{path}.service.name", name, m) for m in name_is_dns1035_label(name, False)]
    port = service.get("port") or {}
    port_name, port_number = port.get("name") or "", port.get("number") or 0
    if port_name and port_number:
        errs.append(invalid(path, "", "cannot set both port name & port number"))
    elif port_name:
        errs += [invalid(f"{path}.service.port.name", port_name, m) for m in is_valid_port_name(port_name)]
    elif port_number:
        errs += [invalid(f"{path}.service.port.number", port_number, m) for m in is_valid_port_num(port_number)]
    else:
        errs.append(required(path, "port name or number is required"))
    return errs


def validate_ingress(ing: dict, old: dict | None = None) -> list[FieldError]:
    errs = _meta(ing, old, True, name_is_dns_subdomain)
    spec = ing.get("spec") or {}
    rules = spec.get("rules")
    if not rules and spec.get("defaultBackend") is None:
        shown = GoLiteral("[]networking.IngressRule(nil)") if rules is None else GoLiteral("[]networking.IngressRule{}")
        errs.append(invalid("spec", shown, "either `defaultBackend` or `rules` must be specified"))
    if spec.get("defaultBackend") is not None:
        errs += _validate_ingress_backend(spec["defaultBackend"], "spec.defaultBackend")
    for i, rule in enumerate(rules or []):
        p = f"spec.rules[{i}]"
        host = rule.get("host") or ""
        if host:
            msgs = is_wildcard_dns1123_subdomain(host) if "*" in host else is_dns1123_subdomain(host)
            errs += [invalid(f"{p}.host", host, m) for m in msgs]
            try:
                ipaddress.ip_address(host)
                errs.append(invalid(f"{p}.host", host, "must be a DNS name, not an IP address"))
            except ValueError:
                pass
        http = rule.get("http")
        if http is None:
            continue
        paths = http.get("paths") or []
        if not paths:
            errs.append(required(f"{p}.http.paths"))
        for j, ipath in enumerate(paths):
            pp = f"{p}.http.paths[{j}]"
            path_type = ipath.get("pathType")
            value = ipath.get("path") or ""
            if path_type is None:
                errs.append(required(f"{pp}.pathType", "pathType must be specified"))
            elif path_type in ("Exact", "Prefix"):
                if not value.startswith("/"):
                    errs.append(invalid(f"{pp}.path", value, "must be an absolute path"))
                elif "//" in value:
                    errs.append(invalid(f"{pp}.path", value, "must not contain '//'"))
            elif path_type == "ImplementationSpecific":
                if value and not value.startswith("/"):
                    errs.append(invalid(f"{pp}.path", value, "must be an absolute path"))
            else:
                errs.append(not_supported(f"{pp}.pathType", path_type, PATH_TYPES))
            errs += _validate_ingress_backend(ipath.get("backend") or {}, f"{pp}.backend")
    class_name = spec.get("ingressClassName")
    if class_name is not None:
        errs += [invalid("spec.ingressClassName", class_name, m) for m in name_is_dns_subdomain(class_name, False)]
    return errs


def validate_network_policy(np: dict, old: dict | None = None) -> list[FieldError]:
    errs = _meta(np, old, True, name_is_dns_subdomain)
    spec = np.get("spec") or {}
    errs += validate_label_selector(spec.get("podSelector") or {}, "spec.podSelector")
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(spec.get(direction) or []):
            for j, port in enumerate(rule.get("ports") or []):
                p = f"spec.{direction}[{i}].ports[{j}]"
                protocol = port.get("protocol")
                if protocol is not None and protocol not in ("TCP", "UDP", "SCTP"):
                    errs.append(not_supported(f"{p}.protocol", protocol, ["TCP", "UDP", "SCTP"]))
                number = port.get("port")
                if isinstance(number, int):
                    errs += [invalid(f"{p}.port", number, m) for m in is_valid_port_num(number)]
                elif isinstance(number, str):
                    errs += [invalid(f"{p}.port", number, m) for m in is_valid_port_name(number)]
            for j, peer in enumerate(rule.get(peers_key) or []):
                p = f"spec.{direction}[{i}].{peers_key}[{j}]"
                set_fields = [k for k in ("podSelector", "namespaceSelector", "ipBlock") if peer.get(k) is not None]
                if not set_fields:
                    errs.append(required(p, "must specify a peer"))
                elif peer.get("ipBlock") is not None and len(set_fields) > 1:
                    errs.append(forbidden(p, "may not specify both ipBlock and another peer"))
                for sel in ("podSelector", "namespaceSelector"):
                    errs += validate_label_selector(peer.get(sel), f"{p}.{sel}")
    policy_types = spec.get("policyTypes") or []
    for i, ptype in enumerate(policy_types):
        if ptype not in ("Ingress", "Egress"):
            errs.append(not_supported(f"spec.policyTypes[{i}]", ptype, ["Ingress", "Egress"]))
    if len(policy_types) > 2:
        errs.append(invalid("spec.policyTypes", policy_types, "may not specify more than two policyTypes"))
    return errs

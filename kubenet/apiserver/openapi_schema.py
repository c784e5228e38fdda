"""Schema definitions for the OpenAPI documents, generated from the PyPI `kubernetes` client's models.

Each `kubernetes.client.models.V1Xxx` class carries the field names (attribute_map), their types
(openapi_types), docs and required-ness (pydantic fields). We turn those back into the definitions a
real API server publishes (names like io.k8s.api.core.v1.Pod). This module imports `kubernetes`
(~40 MB), so only the build subprocess (`python -m kubenet.apiserver.openapi build DIR`) uses it.
"""
from __future__ import annotations

import re
import typing
from collections import deque

META = "io.k8s.apimachinery.pkg.apis.meta.v1"
TIME, MICRO_TIME = f"{META}.Time", f"{META}.MicroTime"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
FIELDS_V1, RAW_EXTENSION = f"{META}.FieldsV1", "io.k8s.apimachinery.pkg.runtime.RawExtension"
PATCH = f"{META}.Patch"

# Hand-written leaf types: the client flattens them to str/datetime/object, the server publishes them by name.
SPECIAL_DEFINITIONS: dict[str, dict] = {
    TIME: {"type": "string", "format": "date-time",
           "description": "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON. "
                          "Wrappers are provided for many of the factory methods that the time package offers."},
    MICRO_TIME: {"type": "string", "format": "date-time",
                 "description": "MicroTime is version of Time with microsecond level precision."},
    QUANTITY: {"type": "string",
               "description": "Quantity is a fixed-point representation of a number. It provides convenient "
                              "marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() "
                              "accessors. The serialization format is: <quantity> ::= <signedNumber><suffix>"},
    INT_OR_STRING: {"type": "string", "format": "int-or-string",
                    "description": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or "
                                   "YAML marshalling and unmarshalling, it produces or consumes the inner type."},
    FIELDS_V1: {"type": "object",
                "description": "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format."},
    RAW_EXTENSION: {"type": "object",
                    "description": "RawExtension is used to hold extensions in external versions."},
    PATCH: {"type": "object",
            "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body."},
}

# API group → Go package, for definition names.
GROUP_PACKAGES = {
    "": "io.k8s.api.core.v1", "apps": "io.k8s.api.apps.v1", "batch": "io.k8s.api.batch.v1",
    "autoscaling": "io.k8s.api.autoscaling.v1", "events.k8s.io": "io.k8s.api.events.v1",
    "discovery.k8s.io": "io.k8s.api.discovery.v1", "networking.k8s.io": "io.k8s.api.networking.v1",
    "rbac.authorization.k8s.io": "io.k8s.api.rbac.v1", "coordination.k8s.io": "io.k8s.api.coordination.v1",
    "authentication.k8s.io": "io.k8s.api.authentication.v1", "authorization.k8s.io": "io.k8s.api.authorization.v1",
}
META_CLASSES = {"V1ObjectMeta", "V1ListMeta", "V1LabelSelector", "V1LabelSelectorRequirement",
                "V1ManagedFieldsEntry", "V1OwnerReference", "V1Status", "V1StatusDetails", "V1StatusCause",
                "V1DeleteOptions", "V1Preconditions", "V1Condition"}
# Types a group owns but that its kinds do not reach first (a StatefulSet embeds core PVCs).
EXTRA_ROOTS = {"": ["V1PodTemplateSpec", "V1PersistentVolumeClaim"], "autoscaling": ["V1Scale"]}
# Fields whose Go type is resource.Quantity (the client flattens them to str / Dict[str, str]).
QUANTITY_FIELDS = {"limits", "requests", "capacity", "allocatable", "hard", "used", "overhead", "size_limit",
                   "divisor", "allocated_resources", "max", "min", "default", "default_request",
                   "max_limit_request_ratio"}
MICRO_TIME_FIELDS = {"event_time", "last_observed_time", "acquire_time", "renew_time"}
# Fields whose Go type is map[string][]byte (base64 in JSON); the client flattens them to Dict[str, str].
BYTES_MAPS = {("V1Secret", "data"), ("V1ConfigMap", "binary_data")}
INT64_FIELDS = {"generation", "deletion_grace_period_seconds", "observed_generation", "active_deadline_seconds",
                "termination_grace_period_seconds", "run_as_user", "run_as_group", "fs_group", "revision",
                "seconds_after_finished", "starting_deadline_seconds", "expiration_seconds", "value",
                "grace_period_seconds", "toleration_seconds", "supplemental_groups", "seconds"}
# Strategic-merge-patch metadata (patchStrategy / patchMergeKey struct tags) for the lists users edit.
PATCH_META: dict[tuple[str, str], tuple[str, str]] = {
    ("V1PodSpec", "containers"): ("merge", "name"), ("V1PodSpec", "init_containers"): ("merge", "name"),
    ("V1PodSpec", "ephemeral_containers"): ("merge", "name"), ("V1PodSpec", "volumes"): ("merge,retainKeys", "name"),
    ("V1PodSpec", "image_pull_secrets"): ("merge", "name"), ("V1PodSpec", "host_aliases"): ("merge", "ip"),
    ("V1Container", "ports"): ("merge", "containerPort"), ("V1Container", "env"): ("merge", "name"),
    ("V1Container", "volume_mounts"): ("merge", "mountPath"),
    ("V1Container", "volume_devices"): ("merge", "devicePath"),
    ("V1ServiceSpec", "ports"): ("merge", "port"), ("V1ObjectMeta", "finalizers"): ("merge", ""),
    ("V1ObjectMeta", "owner_references"): ("merge", "uid"), ("V1PodStatus", "conditions"): ("merge", "type"),
    ("V1NodeStatus", "conditions"): ("merge", "type"), ("V1NodeStatus", "addresses"): ("merge", "type"),
    ("V1DeploymentSpec", "strategy"): ("retainKeys", ""), ("V1DeploymentStatus", "conditions"): ("merge", "type"),
    ("V1ServiceAccount", "secrets"): ("merge", "name"), ("V1NodeSpec", "taints"): ("merge", "key"),
}

_PREFIX = re.compile(r"^(?:[A-Z][a-z]+)*V\d+(?:(?:alpha|beta)\d+)?(?=[A-Z])")


def short_name(class_name: str) -> str:
    """V1Pod → Pod, CoreV1Event → Event, DiscoveryV1EndpointPort → EndpointPort."""
    return _PREFIX.sub("", class_name, count=1)


def kind_class(group: str, kind: str) -> str:
    if kind == "Event":
        return "EventsV1Event" if group == "events.k8s.io" else "CoreV1Event"
    return f"V1{kind}"


def _models():
    from kubernetes.client import models  # heavy import: build subprocess only

    return models


def _class_doc(cls) -> str:
    doc = (cls.__doc__ or "").strip()
    return doc.split("\n\n")[0].strip() if doc else ""


def _is_int_or_string(annotation) -> bool:
    args = {a for a in typing.get_args(annotation)}
    flat = set()
    for arg in args:
        flat.add(typing.get_args(arg)[0] if typing.get_origin(arg) is typing.Annotated else arg)
    return int in flat and str in flat


class SchemaBuilder:
    """Walks the client models from our kinds' classes and names every reachable type."""

    def __init__(self, roots_by_group: dict[str, list[str]]):
        self.models = _models()
        self.names: dict[str, str] = {}  # class name → definition name
        for cls_name in META_CLASSES:
            self.names[cls_name] = f"{META}.{short_name(cls_name)}"
        # Breadth-first per group, core first: a type belongs to the first group that reaches it.
        for group, roots in roots_by_group.items():
            queue = deque(roots + EXTRA_ROOTS.get(group, []))
            while queue:
                cls_name = queue.popleft()
                if cls_name in self.names or not hasattr(self.models, cls_name):
                    continue
                self.names[cls_name] = f"{GROUP_PACKAGES[group]}.{short_name(cls_name)}"
                queue.extend(self._referenced(cls_name))
        for cls_name in list(self.names):  # meta types reference further meta types
            for ref in self._referenced(cls_name):
                self.names.setdefault(ref, f"{META}.{short_name(ref)}")

    def _referenced(self, cls_name: str) -> list[str]:
        cls = getattr(self.models, cls_name, None)
        if cls is None:
            return []
        found = []
        for type_text in cls.openapi_types.values():
            for token in re.findall(r"[A-Za-z0-9]+", type_text):
                if hasattr(self.models, token) and token[0].isupper() and token not in ("List", "Dict"):
                    found.append(token)
        return found

    def definition_name(self, cls_name: str) -> str:
        return self.names[cls_name]

    def _type_schema(self, owner: str, field: str, type_text: str, annotation) -> tuple[dict, str]:
        """(schema with "$ref" as a bare definition name, field-tree code) for one client type.

        Codes (read by kubenet/apiserver/typed.py): a definition name (has dots), "[X" list of X, "{X" map of X,
        "*" free-form, or a Go leaf type: string, bool, int32, int64, float64, bytes, Quantity, IntOrString,
        Time, MicroTime.
        """
        if type_text.startswith("List["):
            inner, code = self._type_schema(owner, field, type_text[5:-1], None)
            return {"type": "array", "items": inner}, "[" + code
        if type_text.startswith("Dict[str, "):
            inner, code = self._type_schema(owner, field, type_text[10:-1], None)
            if (owner, field) in BYTES_MAPS:
                inner, code = {"type": "string", "format": "byte"}, "bytes"
            return {"type": "object", "additionalProperties": inner}, "{" + code
        if type_text == "str":
            if field in QUANTITY_FIELDS:
                return {"$ref": QUANTITY}, "Quantity"
            return {"type": "string"}, "string"
        if type_text == "int":
            width = "int64" if field in INT64_FIELDS else "int32"
            return {"type": "integer", "format": width}, width
        if type_text == "float":
            return {"type": "number", "format": "double"}, "float64"
        if type_text == "bool":
            return {"type": "boolean"}, "bool"
        if type_text == "datetime":
            if field in MICRO_TIME_FIELDS:
                return {"$ref": MICRO_TIME}, "MicroTime"
            return {"$ref": TIME}, "Time"
        if type_text in ("bytearray", "bytes"):
            return {"type": "string", "format": "byte"}, "bytes"
        if type_text == "object":
            if annotation is not None and _is_int_or_string(annotation):
                return {"$ref": INT_OR_STRING}, "IntOrString"
            if field == "fields_v1":
                return {"$ref": FIELDS_V1}, "*"
            if owner == "V1ControllerRevision" and field == "data":
                return {"$ref": RAW_EXTENSION}, "*"
            return {"type": "object"}, "*"
        if type_text in self.names:
            return {"$ref": self.names[type_text]}, self.names[type_text]
        return {"type": "object"}, "*"  # a type outside what we serve: accept it as free-form

    def definitions(self) -> tuple[dict[str, dict], dict[str, dict[str, str]]]:
        """All definitions (refs as bare names) and the field tree {definition: {jsonField: code}}."""
        definitions = dict(SPECIAL_DEFINITIONS)
        tree: dict[str, dict[str, str]] = {}
        for cls_name, def_name in self.names.items():
            cls = getattr(self.models, cls_name)
            properties, required, fields = {}, [], {}
            for attr, json_name in cls.attribute_map.items():
                info = cls.model_fields.get(attr)
                schema, code = self._type_schema(cls_name, attr, cls.openapi_types[attr],
                                                 info.annotation if info else None)
                if info is not None and info.description:
                    schema["description"] = info.description
                if info is not None and info.is_required():
                    required.append(json_name)
                strategy = PATCH_META.get((cls_name, attr))
                if strategy:
                    schema["x-kubernetes-patch-strategy"] = strategy[0]
                    if strategy[1]:
                        schema["x-kubernetes-patch-merge-key"] = strategy[1]
                properties[json_name] = schema
                fields[json_name] = code
            definition = {"type": "object", "properties": properties}
            if _class_doc(cls):
                definition["description"] = _class_doc(cls)
            if required:
                definition["required"] = sorted(required)
            definitions[def_name] = definition
            tree[def_name] = fields
        return definitions, tree

"""Paths and operations of the OpenAPI documents, one set per served kind (kubenet.api.kinds).

Shaped like a real server's: operationIds such as patchAppsV1NamespacedDeployment, the
x-kubernetes-action / x-kubernetes-group-version-kind extensions, and on every write the dryRun,
fieldManager and fieldValidation query parameters. kubectl (QueryParamVerifierV3) looks for
`fieldValidation` on the PATCH operation of the kind to decide that the server validates fields.
"""
from __future__ import annotations

from kubenet.api.kinds import Kind

META = "io.k8s.apimachinery.pkg.apis.meta.v1"
PATCH = f"{META}.Patch"
PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json", "application/apply-patch+yaml"]
MEDIA = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]

_QUERY = {
    "dryRun": ("string", ("When present, indicates that modifications should not be persisted. An invalid or "
                         "unrecognized dryRun directive will result in an error response and no further processing "
                         "of the request. Valid values are: - All: all dry run stages will be processed")),
    "fieldManager": ("string", ("fieldManager is a name associated with the actor or entity that is making these "
                               "changes. The value must be less than or 128 characters long, and only contain "
                               "printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.")),
    "fieldValidation": ("string", ("fieldValidation instructs the server on how to handle objects in the request "
                                  "(POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: "
                                  "- Ignore - Warn - Strict")),
    "force": ("boolean", ("Force is going to \"force\" Apply requests. It means user will re-acquire conflicting "
                         "fields owned by other people. Force flag must be unset for non-apply patch requests.")),
    "pretty": ("string", "If 'true', then the output is pretty printed."),
    "labelSelector": ("string", ("A selector to restrict the list of returned objects by their labels. Defaults "
                                "to everything.")),
    "fieldSelector": ("string", ("A selector to restrict the list of returned objects by their fields. Defaults "
                                "to everything.")),
    "limit": ("integer", "limit is a maximum number of responses to return for a list call."),
    "continue": ("string", "The continue option should be set when retrieving more results from the server."),
    "resourceVersion": ("string", ("resourceVersion sets a constraint on what resource versions a request may be "
                                  "served from.")),
    "watch": ("boolean", ("Watch for changes to the described resources and return them as a stream of add, "
                         "update, and remove notifications.")),
    "gracePeriodSeconds": ("integer", "The duration in seconds before the object should be deleted."),
    "propagationPolicy": ("string", "Whether and how garbage collection will be performed."),
}
_PATH_PARAMS = {"name": "name of the {kind}", "namespace": "object name and auth scope, such as for teams and projects"}


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in text.replace(".", "-").split("-") if part)


def _gv_token(kind: Kind) -> str:
    # operationId infix: "CoreV1", "AppsV1", "NetworkingV1", "RbacAuthorizationV1"
    group = kind.group.removesuffix(".k8s.io").removesuffix(".io") if kind.group else "core"
    return _camel(group) + _camel(kind.version)


class PathBuilder:
    """Builds operations in one OpenAPI flavour: 2 (swagger) or 3."""

    def __init__(self, openapi_version: int):
        self.v3 = openapi_version == 3

    def ref(self, name: str) -> dict:
        return {"$ref": ("#/components/schemas/" if self.v3 else "#/definitions/") + name}

    def query(self, name: str) -> dict:
        type_, doc = _QUERY[name]
        if self.v3:
            return {"name": name, "in": "query", "description": doc, "schema": {"type": type_, "uniqueItems": True}}
        return {"name": name, "in": "query", "description": doc, "type": type_, "uniqueItems": True}

    def path_param(self, name: str, kind: Kind) -> dict:
        doc = _PATH_PARAMS[name].format(kind=kind.kind)
        if self.v3:
            return {"name": name, "in": "path", "required": True, "description": doc,
                    "schema": {"type": "string", "uniqueItems": True}}
        return {"name": name, "in": "path", "required": True, "description": doc, "type": "string",
                "uniqueItems": True}

    def _operation(self, kind: Kind, action: str, op_id: str, result: str, query: list[str],
                   body: str | None = None, body_types: list[str] | None = None, codes=("200",)) -> dict:
        gvk = {"group": kind.group, "kind": kind.kind, "version": kind.version}
        op: dict = {"tags": [f"{kind.group.replace('.', '_') or 'core'}_{kind.version}"],
                    "description": f"{action} {kind.kind}", "operationId": op_id,
                    "parameters": [self.query(q) for q in query],
                    "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk}
        if self.v3:
            content = {m: {"schema": self.ref(result)} for m in MEDIA}
            op["responses"] = {c: {"description": "OK" if c == "200" else "Created", "content": content}
                               for c in codes}
            op["responses"]["401"] = {"description": "Unauthorized"}
            if body:
                op["requestBody"] = {"content": {t: {"schema": self.ref(body)} for t in (body_types or ["*/*"])},
                                     "required": True}
        else:
            op["responses"] = {c: {"description": "OK" if c == "200" else "Created", "schema": self.ref(result)}
                               for c in codes}
            op["responses"]["401"] = {"description": "Unauthorized"}
            op["produces"] = list(MEDIA)
            op["schemes"] = ["https"]
            op["consumes"] = list(body_types or ["*/*"])
            if body:
                op["parameters"].insert(0, {"name": "body", "in": "body", "required": True,
                                            "schema": self.ref(body)})
        return op

    def paths(self, kind: Kind, type_name: str, list_name: str, extra: dict[str, str]) -> dict[str, dict]:
        """Paths for one kind. extra maps subresource → its definition (status → the kind, scale → Scale)."""
        prefix = f"/api/{kind.version}" if not kind.group else f"/apis/{kind.group}/{kind.version}"
        scope = "Namespaced" if kind.namespaced else ""
        collection = (f"{prefix}/namespaces/{{namespace}}/{kind.plural}" if kind.namespaced
                      else f"{prefix}/{kind.plural}")
        gv, kname = _gv_token(kind), kind.kind
        verbs = set(kind.verbs)
        scope_params = [self.path_param("namespace", kind)] if kind.namespaced else []
        pretty = self.query("pretty")
        writes = ["dryRun", "fieldManager", "fieldValidation"]
        result: dict[str, dict] = {}

        item: dict = {"parameters": [self.path_param("name", kind), *scope_params, pretty]}
        if "get" in verbs:
            item["get"] = self._operation(kind, "get", f"read{gv}{scope}{kname}", type_name, [])
        if "update" in verbs:
            item["put"] = self._operation(kind, "put", f"replace{gv}{scope}{kname}", type_name, writes, type_name,
                                          codes=("200", "201"))
        if "patch" in verbs:
            item["patch"] = self._operation(kind, "patch", f"patch{gv}{scope}{kname}", type_name,
                                            [*writes, "force"], PATCH, PATCH_TYPES, codes=("200", "201"))
        if "delete" in verbs:
            item["delete"] = self._operation(kind, "delete", f"delete{gv}{scope}{kname}", f"{META}.Status",
                                             ["dryRun", "gracePeriodSeconds", "propagationPolicy"],
                                             f"{META}.DeleteOptions")
        if len(item) > 1:
            result[collection + "/{name}"] = item

        coll: dict = {"parameters": [*scope_params, pretty]}
        list_query = ["continue", "fieldSelector", "labelSelector", "limit", "resourceVersion", "watch"]
        if "list" in verbs:
            coll["get"] = self._operation(kind, "list", f"list{gv}{scope}{kname}", list_name, list_query)
        if "create" in verbs:
            coll["post"] = self._operation(kind, "post", f"create{gv}{scope}{kname}", type_name, writes, type_name,
                                           codes=("200", "201"))
        if "deletecollection" in verbs:
            coll["delete"] = self._operation(kind, "deletecollection", f"deleteCollection{gv}{scope}{kname}",
                                             f"{META}.Status", ["dryRun", *list_query[:5]], f"{META}.DeleteOptions")
        if len(coll) > 1:
            result[collection] = coll
        if kind.namespaced and "list" in verbs:
            all_namespaces = {"parameters": [pretty],
                              "get": self._operation(kind, "list", f"list{gv}{kname}ForAllNamespaces", list_name,
                                                     list_query)}
            result[f"{prefix}/{kind.plural}"] = all_namespaces

        for sub, sub_type in extra.items():
            title = sub.capitalize()
            sub_item: dict = {"parameters": [self.path_param("name", kind), *scope_params, pretty]}
            sub_item["get"] = self._operation(kind, "get", f"read{gv}{scope}{kname}{title}", sub_type, [])
            sub_item["put"] = self._operation(kind, "put", f"replace{gv}{scope}{kname}{title}", sub_type, writes,
                                              sub_type, codes=("200", "201"))
            sub_item["patch"] = self._operation(kind, "patch", f"patch{gv}{scope}{kname}{title}", sub_type,
                                                [*writes, "force"], PATCH, PATCH_TYPES, codes=("200", "201"))
            if sub == "scale":
                for op in ("get", "put", "patch"):  # the scale subresource speaks autoscaling/v1 Scale
                    sub_item[op]["x-kubernetes-group-version-kind"] = {"group": "autoscaling", "kind": "Scale",
                                                                       "version": "v1"}
            result[f"{collection}/{{name}}/{sub}"] = sub_item
        return result

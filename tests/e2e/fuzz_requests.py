"""Generated and mutated API requests for the API fuzz test (tests/e2e/test_api_fuzz.py), from a seeded Random.

Each request is (category, method, path, query, headers, body). Categories: "body" (creates and updates),
"patch" (the four patch types), "query" (reads, watches, deletes with odd parameters), "header" (odd media
types, Accept, impersonation). Kinds that controllers act on are only written with dryRun=All, so that the
store changes only through the fuzzer's own successful writes.
"""
from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field

import yaml

NS = "fuzz"
NAMES = ["target", "a", "b", "x" * 253, "Bad_Name", "", "a%2Fb", "ü", "a.b"]  # not "..": the URL would name the
# namespace itself
_CONTAINER = {"name": "web", "image": "httpd", "ports": [{"containerPort": 80, "protocol": "TCP"}],
              "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
              "env": [{"name": "A", "value": "1"}]}
_TEMPLATE = {"metadata": {"labels": {"app": "f"}}, "spec": {"containers": [_CONTAINER],
                                                             "terminationGracePeriodSeconds": 30}}
# (URL prefix, seed object, real writes allowed)
KINDS = [
    ("/api/v1/namespaces/fuzz/configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "target", "labels": {"app": "f"}}, "data": {"k": "v"}}, True),
    ("/api/v1/namespaces/fuzz/secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "target"},
                                         "type": "Opaque", "data": {"k": "dg=="}, "stringData": {"s": "x"}}, True),
    ("/apis/rbac.authorization.k8s.io/v1/namespaces/fuzz/roles", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "target"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}, True),
    ("/apis/coordination.k8s.io/v1/namespaces/fuzz/leases", {
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "target"},
        "spec": {"holderIdentity": "me", "leaseDurationSeconds": 15,
                 "renewTime": "2024-01-01T00:00:00.000000Z"}}, True),
    ("/apis/apps/v1/namespaces/fuzz/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "target"},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "f"}}, "template": _TEMPLATE,
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}}}},
     False),
    ("/api/v1/namespaces/fuzz/pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "target"},
                                      "spec": _TEMPLATE["spec"]}, False),
    ("/api/v1/namespaces/fuzz/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "target"},
        "spec": {"selector": {"app": "f"}, "ports": [{"port": 80, "targetPort": "http", "protocol": "TCP"}]}},
     False),
    ("/apis/batch/v1/namespaces/fuzz/jobs", {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "target"},
        "spec": {"backoffLimit": 2, "template": {"spec": {**_TEMPLATE["spec"], "restartPolicy": "Never"}}}}, False),
    ("/apis/networking.k8s.io/v1/namespaces/fuzz/networkpolicies", {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "target"},
        "spec": {"podSelector": {"matchLabels": {"app": "f"}}, "ingress": [{"ports": [{"port": 80}]}]}}, False),
]
RAW = ["1e400", "NaN", "Infinity", "-Infinity", '"\\ud800"', '"a\\udfff\\ud800"', "1.0", "-0", "1e30",
       str(2**64), '"\\u0000"', "9" * 400]
HOSTILE = [None, True, False, 0, -1, 2**31, 2**63, -(2**63) - 1, 1.5, "", "x" * 300, "\u0000", "ü", [], {}, [None],
           {"$patch": "garbage"}, {"$patch": "delete"}, {"$patch": "replace"}, "3", "-1", "1Gi", "lots", "a/b/c",
           "2006-01-02T15:04:05Z", "not-a-time", {"a": [1, {"b": None}]}, [[1, 2], [3]], "$patch", "*", 65536]
SELECTORS = ["a=b", "a in (x,y)", "!a", "a=" + "b" * 100, "===", "a,b,", "(", "a notin ()", "ü=1", "a!=b,c",
             "a=b=c", "x" * 70 + "=1", "a in (" + ",".join("v" * 5 for _ in range(50)) + ")", "a>1", " ", "%"]
FIELD_SELECTORS = ["metadata.name=x", "spec.nodeName=", "garbage=1", "metadata.name==x,status.phase!=Running",
                   "x", "metadata.namespace!=fuzz", "=", "metadata.name=" + "n" * 300]
CONTENT_TYPES = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf", "text/plain", "",
                 "application/json; charset=utf-8", "application/merge-patch+json", "a/b;;;",
                 "application/json-patch+json", "application/strategic-merge-patch+json",
                 "application/apply-patch+yaml", "multipart/form-data; boundary=x", "APPLICATION/JSON"]
ODD_PATHS = ["/openapi/v3/garbage", "/openapi/v3/apis/apps/v1?hash=x", "/openapi/v2?x=1", "/apis/garbage",
             "/apis/apps/garbage", "/api/v2", "/api/v1/garbage/x", "/healthz/garbage", "/readyz?verbose", "/version/x",
             "/api/v1/namespaces/fuzz/pods/target/log?tailLines=abc", "/api/v1/namespaces/fuzz/pods/target/exec",
             "/api/v1/namespaces/fuzz/pods/target/portforward", "/api/v1/namespaces/fuzz/pods/target/attach",
             "/api/v1/namespaces/fuzz/configmaps/target/status",
             "/api/v1/namespaces//configmaps", "/api/v1/namespaces/fuzz/configmaps/a/b/c/d", "/apis/apps/v1/watch/x",
             "/api/v1/watch/namespaces/fuzz/configmaps?timeoutSeconds=-1", "/api/v1/nodes/x/status", "/api/v1/%ff"]
ACCEPTS = ["application/json", "application/json;as=Table;v=v1;g=meta.k8s.io", "application/vnd.kubernetes.protobuf",
           "*/*", "garbage", "application/json;as=Table;v=v9;g=meta.k8s.io", "text/html", "application/yaml"]


@dataclass
class FuzzRequest:
    category: str
    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    @property
    def dry_run(self) -> bool:
        return ("dryRun", "All") in self.query and all(v == "All" for k, v in self.query if k == "dryRun")


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    # --- values ------------------------------------------------------------------------------------------------
    def hostile(self, depth: int = 0) -> object:
        r = self.rng.random()
        if r < 0.05 and depth == 0:
            nested: object = 1
            for _ in range(self.rng.choice([50, 127, 129, 300])):
                nested = {"a": nested} if self.rng.random() < 0.5 else [nested]
            return nested
        if r < 0.2:
            return f"\x00RAW{self.rng.randrange(len(RAW))}\x00"
        return copy.deepcopy(self.rng.choice(HOSTILE))

    def benign(self, value: object) -> object:
        """A plausible value of the same JSON type (so that some requests get past decoding)."""
        if isinstance(value, bool):
            return not value
        if isinstance(value, int):
            return self.rng.choice([0, 1, 3, 80, 65535])
        if isinstance(value, str):
            return self.rng.choice(["v", "web", "a-b.c", "", "100m", "TCP", value + "x"])
        return value

    def mutate(self, obj: object, real: bool, rounds: int | None = None) -> object:
        obj = copy.deepcopy(obj)
        for _ in range(rounds if rounds is not None else self.rng.choice([0, 1, 1, 1, 2, 3])):
            paths = list(_paths(obj))
            parent, key = self.rng.choice(paths) if paths else (None, None)
            if parent is None:
                continue
            action = self.rng.random()
            if action < 0.3:
                parent[key] = self.benign(parent[key])
            elif action < 0.55:
                parent[key] = self.hostile()
            elif action < 0.7 and isinstance(parent, dict):
                del parent[key]
            elif action < 0.85 and isinstance(parent, dict):
                parent[self.rng.choice(["bogus", "$patch", "$retainKeys", "kind", "status", "x" * 64])] = \
                    self.hostile()
            elif isinstance(parent, list):
                parent.append(self.hostile())
            else:
                parent[key] = [parent[key]] if self.rng.random() < 0.5 else {"v": parent[key]}
        if real and isinstance(obj, dict) and isinstance(obj.get("metadata"), dict):
            obj["metadata"].pop("ownerReferences", None)  # the garbage collector would delete it later
        return obj

    def encode(self, obj: object, yaml_body: bool = False) -> bytes:
        if yaml_body and self.rng.random() < 0.7:
            try:
                return yaml.safe_dump(obj).encode()
            except (yaml.YAMLError, RecursionError):  # PyYAML's representer recurses: deep values go as JSON
                pass
        text = json.dumps(obj)
        for index, raw in enumerate(RAW):
            text = text.replace(f'"\\u0000RAW{index}\\u0000"', raw)
        data = text.encode("utf-8", "surrogatepass")
        if self.rng.random() < 0.15:
            data = self.byte_mutation(data)
        return data

    def byte_mutation(self, data: bytes) -> bytes:
        data = bytearray(data)
        for _ in range(self.rng.randint(1, 4)):
            if not data:
                break
            at = self.rng.randrange(len(data))
            op = self.rng.random()
            if op < 0.3:
                del data[at]
            elif op < 0.6:
                data.insert(at, self.rng.choice(b'{}[]",:\\\x00 \xc3\xff'))
            elif op < 0.8:
                data[at:at] = data[max(0, at - 20):at]
            else:
                del data[at:]
        return bytes(data)

    def alias_document(self) -> bytes:
        levels, fan = self.rng.randint(1, 8), self.rng.randint(1, 10)
        lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: target}", "data:", "  a0: &a0 [lol]"]
        lines += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan)}]" for i in range(1, levels + 1)]
        return "\n".join(lines).encode()

    # --- requests ----------------------------------------------------------------------------------------------
    def query(self, write: bool, real: bool) -> list[tuple[str, str]]:
        q: list[tuple[str, str]] = []
        if write and (not real or self.rng.random() < 0.3):
            q.append(("dryRun", "All"))
        if self.rng.random() < 0.3:
            q.append(("fieldValidation", self.rng.choice(["Strict", "Warn", "Ignore", "garbage", ""])))
        if self.rng.random() < 0.2:
            q.append(("fieldManager", self.rng.choice(["fuzz", "m" * 200, "ü", "\x00", ""])))
        if self.rng.random() < 0.1:
            q.append(("dryRun", self.rng.choice(["All", "Some", ""])))
        return q

    def body_request(self) -> FuzzRequest:
        prefix, seed, real = self.rng.choice(KINDS)
        method = self.rng.choice(["POST", "POST", "PUT"])
        name = self.rng.choice(NAMES[:3]) if self.rng.random() < 0.9 else self.rng.choice(NAMES)
        obj = self.mutate({**seed, "metadata": {**seed["metadata"], "name": name}}, real)
        yaml_body = self.rng.random() < 0.25
        body = self.alias_document() if yaml_body and self.rng.random() < 0.1 else self.encode(obj, yaml_body)
        path = prefix if method == "POST" else f"{prefix}/{name}"
        if method == "PUT" and self.rng.random() < 0.2:
            path += "/" + self.rng.choice(["status", "scale", "garbage"])
        ctype = "application/yaml" if yaml_body else "application/json"
        return FuzzRequest("body", method, path, self.query(True, real), {"Content-Type": ctype}, body)

    def patch_request(self) -> FuzzRequest:
        prefix, seed, real = self.rng.choice(KINDS)
        kind = self.rng.choice(["merge", "strategic", "json", "apply"])
        path = f"{prefix}/target" + (self.rng.choice(["", "", "", "/status", "/scale"]))
        if kind == "json":
            ops = [{"op": self.rng.choice(["add", "remove", "replace", "move", "copy", "test", "garbage", None, 5]),
                    "path": self.rng.choice(["/data/a", "/metadata/labels/x", "", "/", "/a~2b", "/spec/replicas",
                                             "/spec/template/spec/containers/-", "/metadata", 5, None, "/x/y/z"]),
                    "value": self.hostile(), "from": self.rng.choice(["/data/k", "/metadata/name", "", 5])}
                   for _ in range(self.rng.randint(0, 3))]
            doc: object = ops if self.rng.random() < 0.9 else self.hostile()
            ctype, body = "application/json-patch+json", self.encode(doc)
        else:
            doc = self.mutate(_sub_patch(self.rng, seed), real)
            if kind == "strategic" and isinstance(doc, dict) and self.rng.random() < 0.5:
                doc[self.rng.choice(["$patch", "$retainKeys", "$setElementOrder/data",
                                     "$deleteFromPrimitiveList/finalizers"])] = self.hostile()
            ctype = {"merge": "application/merge-patch+json", "strategic": "application/strategic-merge-patch+json",
                     "apply": "application/apply-patch+yaml"}[kind]
            body = self.encode(doc, yaml_body=kind == "apply")
        q = self.query(True, real)
        if kind == "apply" and self.rng.random() < 0.85:
            q.append(("fieldManager", "fuzz"))
        if self.rng.random() < 0.2:
            q.append(("force", self.rng.choice(["true", "false", "garbage"])))
        return FuzzRequest("patch", "PATCH", path, q, {"Content-Type": ctype}, body)

    def query_request(self) -> FuzzRequest:
        prefix, _, real = self.rng.choice(KINDS)
        method = self.rng.choice(["GET", "GET", "GET", "DELETE"])
        if method == "DELETE" and not real:
            method = "GET"
        name = self.rng.choice(NAMES) if self.rng.random() < 0.5 else ""
        path = f"{prefix}/{name}" if name else prefix
        if method == "GET" and self.rng.random() < 0.15:
            path = self.rng.choice(ODD_PATHS)
        q: list[tuple[str, str]] = []
        for key, values in (("labelSelector", SELECTORS), ("fieldSelector", FIELD_SELECTORS),
                            ("limit", ["1", "0", "-1", "abc", str(2**70), "1.5"]),
                            ("continue", ["garbage", "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MX0", ""]),
                            ("resourceVersion", ["0", "1", "99999999999999999999999", "abc", "-1", str(2**63)]),
                            ("resourceVersionMatch", ["NotOlderThan", "Exact", "garbage"]),
                            ("gracePeriodSeconds", ["0", "-1", "abc", str(2**64)]),
                            ("propagationPolicy", ["Background", "garbage", ""]),  # Orphan/Foreground: the GC writes later
                            ("includeObject", ["None", "Object", "garbage"])):
            if self.rng.random() < 0.25:
                q.append((key, self.rng.choice(values)))
        if method == "GET" and self.rng.random() < 0.2:
            q.append(("watch", self.rng.choice(["true", "1", "false", "garbage"])))
            q.append(("timeoutSeconds", self.rng.choice(["-1", "abc", "-5", "1.5"])))  # never a long watch (0 is the default, 30+ min)
        if method == "DELETE" and self.rng.random() < 0.5 and not q:
            q.append(("dryRun", "All"))
        body = self.encode(self.mutate({"propagationPolicy": "Background", "gracePeriodSeconds": 0}, True)) \
            if method == "DELETE" and self.rng.random() < 0.3 else None
        return FuzzRequest("query", method, path, q, {}, body)

    def header_request(self) -> FuzzRequest:
        base = self.rng.choice([self.body_request, self.patch_request, self.query_request])()
        base.category = "header"
        if self.rng.random() < 0.6:
            base.headers["Content-Type"] = self.rng.choice(CONTENT_TYPES)
        if self.rng.random() < 0.5:
            base.headers["Accept"] = self.rng.choice(ACCEPTS)
        if self.rng.random() < 0.15:
            base.headers["Impersonate-User"] = self.rng.choice(["jane", "system:anonymous", "", "ü"])
        if self.rng.random() < 0.1:
            base.headers["Impersonate-Group"] = self.rng.choice(["system:masters", "g"])
        if self.rng.random() < 0.1:
            base.headers["X-Long"] = "h" * self.rng.choice([100, 10_000, 60_000])
        return base

    def next(self) -> FuzzRequest:
        return self.rng.choice([self.body_request, self.body_request, self.patch_request, self.patch_request,
                                self.query_request, self.header_request])()


def _paths(obj: object, parent=None, key=None):
    """(container, key) of every value under obj, the root excluded."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield obj, k
            yield from _paths(v, obj, k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield obj, i
            yield from _paths(v, obj, i)


def _sub_patch(rng: random.Random, seed: dict) -> dict:
    """A patch document: a random part of the seed object, kept at its place."""
    keys = [k for k in seed if k not in ("apiVersion", "kind")]
    chosen = rng.sample(keys, k=min(len(keys), rng.randint(1, 2)))
    doc = {k: copy.deepcopy(seed[k]) for k in chosen}
    if rng.random() < 0.5:
        doc.update(apiVersion=seed["apiVersion"], kind=seed["kind"])
    return doc

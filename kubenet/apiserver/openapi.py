"""OpenAPI for the API server: /openapi/v2, /openapi/v3 and strict field validation.

The documents are generated from the PyPI `kubernetes` client's models (see openapi_schema.py) by a
subprocess, `python -m kubenet.apiserver.openapi build DIR`, because importing `kubernetes` costs
~40 MB we do not want in the server. The result is cached on disk, keyed by the client's version and
our kinds, under $KUBENET_OPENAPI_CACHE (default /var/lib/kubenet/openapi-cache); this module then
serves bytes from those files and walks the compact field tree for `fieldValidation=Strict`.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
import threading

from kubenet.api.kinds import KINDS, Kind
from kubenet.api.version import GIT_VERSION

DEFAULT_CACHE = "/var/lib/kubenet/openapi-cache"
# Bump when the generator's output changes, so stale caches are rebuilt.
FORMAT_VERSION = "3"

_lock = threading.Lock()
_cache_root: str | None = None
_loaded: dict[str, object] = {}


class OpenAPIBuildError(RuntimeError):
    """The build subprocess failed; the message carries its stderr."""


def set_cache_dir(path: str | None) -> None:
    """Use `path` as the cache root (None: back to $KUBENET_OPENAPI_CACHE or the default) and forget loaded docs."""
    global _cache_root
    with _lock:
        _cache_root = path
        _loaded.clear()
    from kubenet.apiserver import typed
    typed.forget()


def cache_dir() -> str:
    """The directory holding this build's documents: <root>/<kubernetes version>-<kinds fingerprint>."""
    root = _cache_root or os.environ.get("KUBENET_OPENAPI_CACHE") or DEFAULT_CACHE
    try:
        client_version = importlib.metadata.version("kubernetes")
    except importlib.metadata.PackageNotFoundError as err:
        raise OpenAPIBuildError("the `kubernetes` package (PyPI) is needed to generate the OpenAPI documents") from err
    fingerprint = hashlib.sha1(f"{FORMAT_VERSION}:{KINDS!r}".encode()).hexdigest()[:12]
    return os.path.join(root, f"kubernetes-{client_version}-{fingerprint}")


def ensure_built() -> str:
    """Build the documents once (in a subprocess) if the cache lacks them; returns the cache directory."""
    target = cache_dir()
    if os.path.exists(os.path.join(target, "index.json")):
        return target
    proc = subprocess.run([sys.executable, "-m", "kubenet.apiserver.openapi", "build", target],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not os.path.exists(os.path.join(target, "index.json")):
        raise OpenAPIBuildError(f"building OpenAPI documents into {target} failed: {proc.stderr.strip()}")
    return target


def _read(name: str) -> bytes | None:
    with _lock:
        if name in _loaded:
            return _loaded[name]  # type: ignore[return-value]
    path = os.path.join(ensure_built(), name)
    try:
        with open(path, "rb") as handle:
            body = handle.read()
    except FileNotFoundError:
        return None
    with _lock:
        _loaded[name] = body
    return body


def v2() -> bytes:
    """The /openapi/v2 document (swagger 2.0, JSON)."""
    body = _read("v2.json")
    if body is None:
        raise OpenAPIBuildError("v2.json missing from the OpenAPI cache")
    return body


def v2_protobuf() -> bytes:
    """/openapi/v2 in gnostic's protobuf form (what kubectl asks for when it validates client-side, e.g. a
    `kind: List`). It carries only swagger and info — no definitions — so kubectl finds no schema to check
    the items against and leaves their validation to the server, which still applies fieldValidation."""
    def field(number: int, payload: bytes) -> bytes:
        return bytes([(number << 3) | 2, len(payload)]) + payload
    info = field(1, b"Kubernetes") + field(2, GIT_VERSION.encode())
    return field(1, b"2.0") + field(2, info)


def v3_index() -> dict:
    """The /openapi/v3 discovery document: {"paths": {"api/v1": {"serverRelativeURL": ...?hash=...}, ...}}."""
    body = _read("index.json")
    if body is None:
        raise OpenAPIBuildError("index.json missing from the OpenAPI cache")
    return json.loads(body)


def v3(group_version_path: str) -> bytes | None:
    """The document for "api/v1" or "apis/apps/v1" (a leading "/openapi/v3/" or "/" is accepted); None if unknown."""
    path = group_version_path.split("?", 1)[0].strip("/")
    path = path.removeprefix("openapi/v3/")
    if path not in v3_index()["paths"]:
        return None
    return _read(f"v3/{path.replace('/', '__')}.json")


def field_tree() -> dict:
    """The compact field tree ({"kinds": {apiVersion/Kind: type}, "types": {type: {field: code}}}) that
    kubenet/apiserver/typed.py compiles into its decoder."""
    body = _read("fields.json")
    return json.loads(body) if body else {"kinds": {}, "types": {}}


def unknown_fields(kind: Kind, obj: dict) -> list[str]:
    """Paths of fields the kind's schema does not know, as the API server's strict decoder names them
    ("spec.replicass", "spec.template.spec.containers[0].imagee"), in document order (`obj` is not changed).
    Raises typed.TypeMismatch for a value its Go type cannot hold."""
    import copy

    from kubenet.apiserver import typed
    root = typed.schema().for_kind(kind.api_version, kind.kind)
    return typed.decode(root, copy.deepcopy(obj)) if root is not None else []


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "build":
        print("usage: python -m kubenet.apiserver.openapi build DIR", file=sys.stderr)
        return 2
    from kubenet.apiserver.openapi_build import build  # imports `kubernetes`: only here

    build(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

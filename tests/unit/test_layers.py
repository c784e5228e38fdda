"""The package layers docs/architecture.md draws, held against the imports the code really makes.

Every `kubenet.*` import in kubenet/, cni/ and coredns_py/ is read with ast (module-level and function-level
alike: a lazy import is still an arrow). No exceptions list: a new arrow against the layers fails here, and
either the code or the map changes.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lower number = lower layer. A package may import its own layer's foundations only where listed below, and any
# package of a lower layer; never one above itself.
LAYERS: dict[str, int] = {
    "kernel": 0, "clock": 0,            # stdlib-only helpers: netns/ip/iptables calls, time
    "cni": 0,                           # the CNI plugin: stands alone, the kubelet calls it as a library
    "api": 1, "addons": 1,              # the object model; add-on declarations (data + stdlib + kubenet.api)
    "store": 2,
    "apiserver": 3,
    "client": 4,                        # LocalClient calls the registry in-process: client sits above apiserver
    "controllers": 5, "scheduler": 5, "kubelet": 5, "proxy": 5, "coredns_py": 5, "ingress": 5,
    "cluster": 6,
    "cli": 7, "lab": 7,
}
# What the components (layer 5) may reach: the API only through the client, never apiserver or store.
COMPONENT_ALLOWED = {"api", "client", "kernel", "clock", "addons", "cni"}
# Within layer 0/1 the foundations may lean on each other only this way.
SAME_LAYER_ALLOWED = {("addons", "api")}


def package_of(path: Path) -> str:
    rel = path.relative_to(ROOT).parts
    if rel[0] == "kubenet":
        return rel[1].removesuffix(".py") if len(rel) > 1 else "kubenet"
    return rel[0]  # cni, coredns_py, ingress, lab


def kubenet_imports(path: Path) -> set[str]:
    """The kubenet packages a file imports (`kubenet.X...` → X; `from kubenet import X` → X)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] if node.module != "kubenet" else [f"kubenet.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "kubenet" and len(parts) > 1:
                found.add(parts[1])
            elif parts[0] in ("coredns_py", "cni", "ingress", "lab"):
                found.add(parts[0])
    return found


def arrows() -> dict[tuple[str, str], list[str]]:
    """(importer package, imported package) → files that make that arrow."""
    made: dict[tuple[str, str], list[str]] = {}
    for top in ("kubenet", "cni", "coredns_py", "ingress", "lab"):
        for path in sorted((ROOT / top).rglob("*.py")):
            source = package_of(path)
            for target in kubenet_imports(path) - {source}:
                made.setdefault((source, target), []).append(str(path.relative_to(ROOT)))
    return made


def test_every_package_has_a_layer():
    packages = {p.name.removesuffix(".py") for p in (ROOT / "kubenet").iterdir()
                if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.stem != "__init__")}
    assert packages - LAYERS.keys() == set(), "a new package needs its place in LAYERS and docs/architecture.md"


def test_no_package_imports_a_layer_above_itself_or_a_peer():
    wrong = {}
    for (source, target), files in arrows().items():
        if LAYERS[target] > LAYERS[source] or (LAYERS[target] == LAYERS[source]
                                                and (source, target) not in SAME_LAYER_ALLOWED):
            wrong[f"{source} -> {target}"] = files
    assert wrong == {}


def test_components_reach_the_api_only_through_the_client():
    wrong = {f"{source} -> {target}": files for (source, target), files in arrows().items()
             if LAYERS.get(source) == 5 and target not in COMPONENT_ALLOWED}
    assert wrong == {}


def test_the_cni_plugin_imports_nothing_of_kubenet():
    """A runtime runs kubenet-cni for every Pod: it stands alone (and starts fast, bench/cni_bench.py)."""
    assert {target for (source, target) in arrows() if source == "cni"} == set()


def test_the_layer_check_sees_a_wrong_arrow(tmp_path):
    """The reader itself: an upward import in a file is found (so the tests above can fail)."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from kubenet.apiserver import registry\n    from kubenet import kernel\n")
    assert kubenet_imports(probe) == {"apiserver", "kernel"}

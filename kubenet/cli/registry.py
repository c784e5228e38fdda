"""The `kubenet` verbs, collected from the modules of this package that declare them.

How to add a verb (lab, trace, capture): write `kubenet/cli/<verb>.py` with a module-level `VERBS` list of
`Verb`s; each says its name and help, adds its own arguments to its sub-parser and returns the exit status from
its handler. No list elsewhere names it: `build_parser()` imports every module of `kubenet.cli` that has
`VERBS`. Keep the verb module thin (parse, call into the package that does the work, print); `ORDER` (module
level, default 100) places its verbs in `kubenet --help`, the cluster verbs coming first at 0.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import kubenet.cli

DEFAULT_ORDER = 100


@dataclass(frozen=True)
class Verb:
    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] | None = None
    # --name / --data-dir, the cluster every verb of a cluster works on
    names_a_cluster: bool = True


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", default="kubenet", help="cluster name (default kubenet)")
    parser.add_argument("--data-dir", default="", help="cluster data dir (default /var/lib/kubenet/NAME)")


def discover() -> list[Verb]:
    """Every declared verb, ordered by its module's ORDER, then module name, then declaration."""
    modules = []
    for info in pkgutil.iter_modules(kubenet.cli.__path__):
        if info.name in ("main", "registry"):
            continue
        module = importlib.import_module(f"kubenet.cli.{info.name}")
        if hasattr(module, "VERBS"):
            modules.append((getattr(module, "ORDER", DEFAULT_ORDER), info.name, module.VERBS))
    verbs = [verb for _, _, declared in sorted(modules, key=lambda m: m[:2]) for verb in declared]
    names = [v.name for v in verbs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RuntimeError(f"kubenet verbs declared twice: {', '.join(duplicates)}")
    return verbs


def build_parser(description: str, verbs: list[Verb] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubenet", description=description)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for verb in discover() if verbs is None else verbs:
        verb_parser = sub.add_parser(verb.name, help=verb.help)
        if verb.names_a_cluster:
            add_cluster_arguments(verb_parser)
        if verb.arguments is not None:
            verb.arguments(verb_parser)
        verb_parser.set_defaults(func=verb.run)
    return parser

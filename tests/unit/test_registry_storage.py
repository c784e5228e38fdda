"""The registry knows no kind: each kind's rules sit in its storage object, looked up from the kinds table."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from kubenet.api.kinds import KINDS, STORED
from kubenet.apiserver.registry import Registry
from kubenet.apiserver.storage.event import EventsV1Storage
from kubenet.apiserver.storage.generic import GenericStore
from kubenet.store.memory import MemoryStore

APISERVER = Path(__file__).resolve().parents[2] / "kubenet" / "apiserver"
KIND_NAMES = {k.kind for k in KINDS}


@pytest.mark.parametrize("module", ["registry.py", "storage/generic.py"])
def test_the_shared_verbs_compare_no_kind_name(module):
    tree = ast.parse((APISERVER / module).read_text())
    named = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                values = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                named += [v.value for v in values if isinstance(v, ast.Constant) and v.value in KIND_NAMES]
    assert named == []


def test_every_stored_kind_has_its_storage():
    registry = Registry(MemoryStore())
    for kind in STORED:
        storage = registry.storage(kind)
        assert storage.kind == kind
        assert isinstance(storage, EventsV1Storage if kind.group == "events.k8s.io" else GenericStore)


def test_the_storages_do_not_import_the_registry():
    code = ("import sys; import kubenet.apiserver.storage.table; "
            "print('kubenet.apiserver.registry' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


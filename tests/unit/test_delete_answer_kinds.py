"""Every served kind's DELETE answer once the object is gone, as its Kubernetes REST storage gives it: the object for
the four whose Store sets ReturnDeletedObject (pods, services, namespaces, serviceaccounts), else a Success Status."""
from __future__ import annotations

import pytest

from kubenet.api.kinds import STORED
from kubenet.apiserver.registry import Registry
from kubenet.store.memory import MemoryStore

RETURNS_OBJECT = {("", "Pod"), ("", "Service"), ("", "Namespace"), ("", "ServiceAccount")}


@pytest.mark.parametrize("kind", STORED, ids=str)
def test_the_answer_of_a_delete(kind):
    gone = {"apiVersion": kind.api_version, "kind": kind.kind, "metadata": {"name": "x", "uid": "u-1"}}
    answer = Registry(MemoryStore()).storage(kind).finalize_delete(gone)
    if (kind.group, kind.kind) in RETURNS_OBJECT:
        assert answer is gone
    else:
        details = {"name": "x", "kind": kind.plural, "uid": "u-1", **({"group": kind.group} if kind.group else {})}
        assert answer == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                          "details": details}

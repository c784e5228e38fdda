"""generateName as the real registry fills it: utilrand's alphabet, and a clash redrawn (RetryGenerateName, 1.32)
instead of a 409 the creating controller did not expect (hex suffixes: a Job of 500 Pods met one in about one run of ten)."""
from __future__ import annotations

import re

import pytest

from kubenet.api.errors import APIError
from kubenet.api.kinds import by_kind
from kubenet.apiserver import sa_admission
from kubenet.apiserver.registry import Registry
from kubenet.apiserver.storage.generic import GENERATE_NAME_RETRIES
from kubenet.store.memory import MemoryStore

CM, NS = by_kind("v1", "ConfigMap"), by_kind("v1", "Namespace")


@pytest.fixture
def registry() -> Registry:
    reg = Registry(MemoryStore())
    reg.create(NS, None, {"metadata": {"name": "default"}})
    return reg


def test_a_generated_name_uses_the_safe_alphabet(registry):
    created = registry.create(CM, "default", {"metadata": {"generateName": "web-"}})
    assert re.fullmatch(r"web-[bcdfghjklmnpqrstvwxz2456789]{5}", created["metadata"]["name"])


def test_a_generated_name_that_clashes_is_drawn_again(registry, monkeypatch):
    registry.create(CM, "default", {"metadata": {"name": "web-bbbbb"}})
    draws = iter(["bbbbb", "bbbbb", "ccccc"])
    monkeypatch.setattr(sa_admission, "name_suffix", lambda: next(draws))
    assert registry.create(CM, "default", {"metadata": {"generateName": "web-"}})["metadata"]["name"] == "web-ccccc"
    monkeypatch.setattr(sa_admission, "name_suffix", lambda: "bbbbb")  # every draw clashes: 409 after 8 names
    with pytest.raises(APIError) as refused:
        registry.create(CM, "default", {"metadata": {"generateName": "web-"}})
    assert refused.value.code == 409 and GENERATE_NAME_RETRIES == 7

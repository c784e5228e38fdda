"""Shared test settings: root-only tests skip cleanly when not root, unless the run demands root.

`KUBENET_REQUIRE_ROOT=1` (set by `.ci/run`) turns that skip into a failure: under CI a datapath test that did
not run must not pass green.
"""
from __future__ import annotations

import os

import pytest

REQUIRE_ROOT = "KUBENET_REQUIRE_ROOT"


def root_required() -> bool:
    return os.environ.get(REQUIRE_ROOT, "") not in ("", "0")


def pytest_collection_modifyitems(config, items):
    if os.geteuid() == 0 or root_required():
        return  # required: pytest_runtest_setup fails them instead
    skip = pytest.mark.skip(reason="needs root (network namespaces)")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


def pytest_runtest_setup(item):
    if "root" in item.keywords and os.geteuid() != 0 and root_required():
        pytest.fail(f"needs root (network namespaces), and {REQUIRE_ROOT} is set: this test must run, not skip",
                    pytrace=False)

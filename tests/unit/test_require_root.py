"""Without root, root-marked tests skip; with KUBENET_REQUIRE_ROOT=1 (as .ci/run sets it) they fail instead."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).parent.parent / "conftest.py"
DATAPATH_TEST = """import pytest

@pytest.mark.root
def test_datapath():
    pass

def test_plain():
    pass
"""


@pytest.fixture
def project(tmp_path):
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    root: needs root\n")
    (tmp_path / "test_datapath.py").write_text(DATAPATH_TEST)
    return tmp_path


# The suite's conftest in a process that is not root (the check is os.geteuid(), which it sees as 1000).
NOT_ROOT = "import os, sys, pytest; os.geteuid = lambda: 1000; sys.exit(pytest.main(sys.argv[1:]))"


def pytest_as_a_user(project: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run([sys.executable, "-c", NOT_ROOT, "-q", "-p", "no:cacheprovider", "-rfEs", "."],
                          cwd=project, env=environment, capture_output=True, text=True, timeout=60, check=False)


def test_without_root_a_root_test_skips(project):
    out = pytest_as_a_user(project)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed, 1 skipped" in out.stdout


def test_when_root_is_required_a_root_test_fails_rather_than_skips(project):
    out = pytest_as_a_user(project, KUBENET_REQUIRE_ROOT="1")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "KUBENET_REQUIRE_ROOT is set" in out.stdout and "1 passed, 1 error" in out.stdout

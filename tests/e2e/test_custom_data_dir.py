"""A cluster made with `up --data-dir DIR` is found by its name alone: status, kubeconfig and down."""
from __future__ import annotations

import stat
import subprocess
import uuid

import pytest

from kubenet.cluster.config import DATA_DIR_POINTERS

pytestmark = pytest.mark.root


def kubenet(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(["kubenet", *args], capture_output=True, text=True, timeout=timeout, check=False)


def test_status_and_down_find_a_custom_data_dir_by_name(tmp_path):
    name, data = f"fd{uuid.uuid4().hex[:6]}", tmp_path / "my-cluster"
    up = kubenet("up", "--name", name, "--sandbox", "--nodes", "0", "--data-dir", str(data), "--wait", "60")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        pointer = DATA_DIR_POINTERS / name
        assert pointer.read_text() == str(data.resolve())
        assert stat.S_IMODE(pointer.stat().st_mode) == 0o600
        status = kubenet("status", "--name", name)
        assert status.returncode == 0 and "no cluster named" not in status.stdout + status.stderr, status.stdout
        assert kubenet("kubeconfig", "--name", name).returncode == 0
    finally:
        down = kubenet("down", "--name", name, timeout=60)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not data.exists(), "down left the data dir (with the CA key) behind"
    assert not (DATA_DIR_POINTERS / name).exists()
    gone = kubenet("status", "--name", name)
    assert "no cluster named" in gone.stdout + gone.stderr

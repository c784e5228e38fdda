"""What `kubenet status` and `kubenet up` decide from a data dir alone, before touching the kernel: a dead
supervisor's exit reason, and a resume refused when the options would change the cluster's shape."""
from __future__ import annotations

import json

import pytest

from kubenet.cluster import lifecycle, status
from kubenet.cluster.config import ClusterConfig
from kubenet.cluster.monitor import EXIT_FILE, describe
from kubenet.store import SQLiteStore


@pytest.fixture
def stopped(tmp_path):
    """A cluster's data dir with a store that holds one object and no supervisor running."""
    config = ClusterConfig(name="rcunit", nodes=1, sandbox=True, data_dir=str(tmp_path / "rcunit"))
    config.save()
    store = SQLiteStore(str(config.data / "store.db"))
    store.db.execute("INSERT INTO objects(key, value) VALUES ('/core/configmaps/default/a', '{}')")
    store.close()
    (config.data / "status.json").write_text(json.dumps({"phase": "ready", "pid": 999999999,
                                                         "health": {"apiserver": True}}))
    return config


def test_monitor_describes_how_a_process_ended():
    assert describe(-9) == {"signal": "SIGKILL", "reason": "killed by SIGKILL"}
    assert describe(1)["reason"] == "exited with status 1"
    assert describe(0)["reason"] == "exited normally"


def test_status_of_a_killed_supervisor_is_not_the_stale_status_file(stopped):
    (stopped.data / EXIT_FILE).write_text(json.dumps({"pid": 4242, **describe(-9)}))
    report = status.status(stopped.name, stopped.data_dir)
    assert report["running"] is False and report["healthy"] is False and report["health"] == {}
    text = status.format_status(report)
    assert text.startswith("cluster rcunit: not running (supervisor died: killed by SIGKILL)")
    assert "apiserver: ok" not in text and "ready" not in text.splitlines()[0].split(":", 1)[1].split("(")[0]


def test_status_without_an_exit_record_still_says_the_supervisor_is_gone(stopped):
    text = status.format_status(status.status(stopped.name, stopped.data_dir))
    assert text.startswith("cluster rcunit: not running (supervisor died (pid 999999999; how it ended was not "
                           "recorded))")


def test_a_resume_that_would_change_the_cluster_is_refused(stopped):
    other = ClusterConfig(name="rcunit", nodes=3, sandbox=True, data_dir=stopped.data_dir)
    with pytest.raises(lifecycle.ClusterError, match=r"without --nodes 3 resumes it as it was, "
                       r"`kubenet up --name rcunit --fresh` deletes it"):
        lifecycle.up(other, requested=("nodes", "sandbox"))
    assert (stopped.data / "store.db").exists()  # nothing was touched

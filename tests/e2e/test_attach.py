"""Attaching to a container as a learner does: `kubectl run -it --rm` into a shell, and `kubectl attach` to
watch a container's output."""
from __future__ import annotations

import re
import subprocess
import time

import pytest

from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.root, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster(sandbox_cluster_factory):
    return sandbox_cluster_factory(nodes=1)


def pod_names(cluster) -> list[str]:
    return cluster.kubectl("get", "pods", "-o", "name").split()


def test_run_it_rm_gives_a_shell_in_the_pod_and_removes_it(cluster):
    script = subprocess.run(
        ["script", "-qc", (f"nsenter --net=/run/netns/kubenet-{cluster.name} -- env KUBECONFIG="
                           f"{cluster.kubectl.kubeconfig} kubectl --cache-dir {cluster.kubectl.cache_dir} "
                           "run -it --rm dbg --image=busybox --restart=Never -- sh"),
         "/dev/null"], input="hostname; exit\n", capture_output=True, text=True, timeout=60, check=False)
    output = script.stdout + script.stderr
    assert re.search(r"^dbg\r?$", output, re.MULTILINE), output  # `hostname` in the Pod printed its name
    assert 'pod "dbg" deleted' in output, output
    assert "pod/dbg" not in pod_names(cluster)


def test_attach_streams_the_output_of_a_running_container(cluster):
    cluster.kubectl("run", "ticker", "--image=busybox", "--command", "--", "sh", "-c",
                    "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done")
    cluster.kubectl("wait", "--for=condition=Ready", "pod/ticker", "--timeout=30s")
    attach = cluster.kubectl.popen("attach", "ticker")
    try:
        lines = []
        deadline = time.monotonic() + 20
        while len([line for line in lines if line.startswith("tick ")]) < 3 and time.monotonic() < deadline:
            lines.append(attach.stdout.readline())
        ticks = [int(line.split()[1]) for line in lines if line.startswith("tick ")]
        assert len(ticks) >= 3, lines
        assert ticks == list(range(ticks[0], ticks[0] + len(ticks)))  # live, in order, none missed
    finally:
        attach.kill()
        attach.wait()
    cluster.kubectl("delete", "pod", "ticker", "--grace-period=0", "--force", check=False)
    wait_for(lambda: "pod/ticker" not in pod_names(cluster), what="ticker deleted")

"""Fixtures that give tests a real API server (loopback) or a whole cluster (in a sandbox netns)."""
from __future__ import annotations

import os
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubenet.cluster.config import ClusterConfig
from kubenet.cluster.controlplane import ControlPlane
from tests.waiting import wait_for  # noqa: F401 - the e2e tests import it from here


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Kubectl:
    kubeconfig: Path
    cache_dir: Path
    prefix: tuple[str, ...] = ()

    def __call__(self, *args: str, input: str | None = None, check: bool = True, timeout: float = 30) -> str:
        proc = self.run(*args, input=input, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        return proc.stdout if check else proc.stdout + proc.stderr

    def run(self, *args: str, input: str | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
        env = dict(os.environ, KUBECONFIG=str(self.kubeconfig))
        cmd = [*self.prefix, "kubectl", "--cache-dir", str(self.cache_dir), *args]
        return subprocess.run(cmd, input=input, capture_output=True, text=True, env=env, timeout=timeout,
                              check=False)

    def popen(self, *args: str) -> subprocess.Popen:
        env = dict(os.environ, KUBECONFIG=str(self.kubeconfig))
        return subprocess.Popen([*self.prefix, "kubectl", "--cache-dir", str(self.cache_dir), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


@pytest.fixture(scope="module")
def control_plane(tmp_path_factory):
    """An API server + controllers + scheduler on 127.0.0.1, no nodes (Pods stay Pending)."""
    data = tmp_path_factory.mktemp("cp")
    config = ClusterConfig(name=f"t{uuid.uuid4().hex[:6]}", nodes=0, data_dir=str(data), api_port=free_port())
    plane = ControlPlane.in_thread(config).start()
    plane.kubectl = Kubectl(config.admin_kubeconfig, data / "kubectl-cache")
    yield plane
    plane.stop()


class SandboxCluster:
    def __init__(self, name: str, nodes: int, tmp: Path):
        self.name = name
        self.nodes = nodes
        self.config: ClusterConfig | None = None
        self.kubectl = Kubectl(Path(f"/var/lib/kubenet/{name}/kubeconfig"), tmp / "kubectl-cache",
                               ("nsenter", f"--net=/run/netns/kubenet-{name}", "--"))

    def up(self) -> None:
        proc = subprocess.run(["kubenet", "up", "--name", self.name, "--sandbox", "--nodes", str(self.nodes),
                               "--wait", "60"], capture_output=True, text=True, timeout=90, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"kubenet up failed:\n{proc.stdout}{proc.stderr}")
        self.config = ClusterConfig.load(self.name)

    def down(self) -> subprocess.CompletedProcess:
        return subprocess.run(["kubenet", "down", "--name", self.name], capture_output=True, text=True, timeout=60,
                              check=False)

    def host(self, *cmd: str, timeout: float = 20, check: bool = False) -> subprocess.CompletedProcess:
        """Run a command in the cluster's host context (the sandbox netns)."""
        proc = subprocess.run(["nsenter", f"--net=/run/netns/kubenet-{self.name}", "--", *cmd],
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)}: {proc.stdout}{proc.stderr}")
        return proc

    def node_exec(self, node: str, *cmd: str, timeout: float = 20) -> subprocess.CompletedProcess:
        ns = self.config.node_netns(node)
        return subprocess.run(["nsenter", f"--net=/run/netns/{ns}", "--", *cmd], capture_output=True, text=True,
                              timeout=timeout, check=False)


@pytest.fixture(scope="module")
def sandbox_cluster_factory(tmp_path_factory):
    made: list[SandboxCluster] = []

    def make(nodes: int = 1) -> SandboxCluster:
        cluster = SandboxCluster(f"kt{uuid.uuid4().hex[:6]}", nodes, tmp_path_factory.mktemp("cluster"))
        made.append(cluster)
        cluster.up()
        return cluster
    yield make
    for cluster in made:
        cluster.down()

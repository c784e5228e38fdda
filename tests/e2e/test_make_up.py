"""What `make up` does on a fresh cluster, in a sandbox: apply the seed Deployment and NodePort Service,
`kubectl rollout status`, then at once `curl localhost:<nodePort>` (in a sandbox the localhost NodePort relay
listens on the sandbox's 127.0.0.1). The curl used to arrive before kube-proxy had programmed the new Service
and got an empty reply (curl exit 52)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.root, pytest.mark.slow]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ROUNDS = 20


def seed(name: str, node_port: int) -> str:
    """examples/apa000dep.yaml + apa000ser.yaml under a fresh name, label and nodePort: a new Service each time."""
    deployment = yaml.safe_load((EXAMPLES / "apa000dep.yaml").read_text())
    service = yaml.safe_load((EXAMPLES / "apa000ser.yaml").read_text())
    deployment["metadata"]["name"] = service["metadata"]["name"] = name
    deployment["spec"]["selector"]["matchLabels"] = deployment["spec"]["template"]["metadata"]["labels"] = \
        service["spec"]["selector"] = {"app": name}
    service["spec"]["ports"][0]["nodePort"] = node_port
    return yaml.safe_dump_all([deployment, service])


def test_the_first_curl_after_rollout_status_gets_the_page(sandbox_cluster_factory):
    cluster = sandbox_cluster_factory(nodes=1)  # `make up` brings up the default single node
    kubectl = cluster.kubectl
    failures = []
    for i in range(ROUNDS):
        name, node_port = f"seed{i}", 30100 + i
        kubectl("apply", "-f", "-", input=seed(name, node_port))
        kubectl("rollout", "status", f"deployment/{name}", "--timeout=60s", timeout=70)
        curl = cluster.host("curl", "-s", "-m", "10", f"http://localhost:{node_port}")
        if "It works!" not in curl.stdout:
            failures.append(f"round {i}: curl exit {curl.returncode}, {curl.stdout[:80]!r}")
        kubectl("delete", "deployment,service", name, "--wait=false")
    assert failures == []

"""A cluster's files are private, and a cluster whose supervisor is killed comes back with everything in its store.

One sandbox cluster (2 nodes): first its files are checked while it runs, then its supervisor is SIGKILLed in the
middle of a rollout, `kubenet status` must say so, `kubenet up` resumes it, the rollout completes and `down`
leaves nothing, the cluster's cgroup included.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

import pytest

from kubenet import kernel
from kubenet.cluster.cgroups import CANDIDATES, ClusterCgroup
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.root, pytest.mark.slow]
REPLICAS = 4
# A readiness delay makes the rollout (maxSurge 1, maxUnavailable 0) take a few seconds, so the kill lands in it.
DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"replicas": REPLICAS, "selector": {"matchLabels": {"app": "web"}},
             "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
             "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{
                 "name": "httpd", "image": "httpd", "env": [{"name": "GENERATION", "value": "1"}],
                 "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": 1,
                                    "periodSeconds": 1}}]}}}}
OTHERS = [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"colour": "blue"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "password"}, "stringData": {"password": "s3cr3t"}},
    # restartPolicy Never: after its node restarts a kubelet does not run it again, it Fails.
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "once"},
     "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox",
                                                         "command": ["sleep", "3600"]}]}},
]
# Kinds no controller rewrites: after the resume each must be back exactly, resourceVersion and all.
STABLE = ("/core/configmaps/", "/core/secrets/", "/core/services/", "/core/namespaces/", "/core/serviceaccounts/")


@pytest.fixture(scope="module")
def cluster(sandbox_cluster_factory):
    cluster = sandbox_cluster_factory(nodes=2)
    cluster.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                           "items": [DEPLOYMENT, *OTHERS]}))
    cluster.kubectl("rollout", "status", "deployment/web", "--timeout=60s", timeout=70)
    cluster.kubectl("wait", "--for=condition=Ready", "pod/once", "--timeout=30s", timeout=40)
    return cluster


def pods(cluster) -> list[dict]:
    return json.loads(cluster.kubectl("get", "pods", "-A", "-o", "json"))["items"]


def test_every_file_of_a_running_cluster_is_private(cluster):
    data = cluster.config.data
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    loose = {}
    for path in [data, *data.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_symlink():
            continue
        if mode != (0o700 if path.is_dir() else 0o600):
            loose[str(path.relative_to(data))] = oct(mode)
    assert not loose, loose
    for name in ("store.db", "store.db-wal", "pki/ca.key", "pki/sa.key", "pki/tokens.csv", "kubeconfig",
                 "status.json", "supervisor.log"):
        assert (data / name).exists(), name  # the walk above did cover them
    tokens = list(data.glob("pods/*/volumes/kubernetes.io~projected/*/token"))
    assert len(tokens) >= REPLICAS
    # In the Pod: the mounted token is there and private; the container's own files get the usual umask.
    pod = next(p["metadata"]["name"] for p in pods(cluster) if (p["metadata"].get("labels") or {}).get("app") == "web")
    seen = cluster.kubectl("exec", pod, "--", "sh", "-c",
                           "stat -Lc %a /var/run/secrets/kubernetes.io/serviceaccount/token; umask")
    assert seen.split() == ["600", "0022"]
    # Pod logs are root's (the kubelet's): not readable by other users.
    logs = [p for p in Path("/var/log/pods").glob(f"default_{pod}_*/**/*")]
    assert logs and all(stat.S_IMODE(p.stat().st_mode) & 0o007 == 0 for p in logs)


def _store_snapshot(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {k: json.loads(v)["metadata"].get("resourceVersion", "")
                for k, v in conn.execute("SELECT key, value FROM objects")}
    finally:
        conn.close()


def _pod_pids(cluster) -> list[int]:
    return [pid for ns in kernel.netns_list() if ns.startswith(cluster.config.pod_netns_prefix())
            for pid in kernel.netns_pids(ns)]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def test_a_cluster_killed_mid_rollout_resumes_from_its_store(cluster):
    kubectl, config = cluster.kubectl, cluster.config
    kubectl("set", "env", "deployment/web", "GENERATION=2")

    def mid_rollout() -> bool:
        d = json.loads(kubectl("get", "deployment", "web", "-o", "json"))
        updated = d["status"].get("updatedReplicas", 0)
        return d["metadata"]["generation"] == d["status"].get("observedGeneration") and 0 < updated < REPLICAS
    wait_for(mid_rollout, timeout=30, interval=0.05, what="the rollout under way")
    bound = {p["metadata"]["uid"]: p["spec"].get("nodeName") for p in pods(cluster)
             if p["spec"].get("nodeName") and not p["spec"].get("hostNetwork")}
    dns_pod = next(p["metadata"]["name"] for p in pods(cluster) if p["metadata"]["namespace"] == "kube-system")
    dns_log = kubectl("logs", "-n", "kube-system", dns_pod)
    assert "listening on" in dns_log
    old_pids = _pod_pids(cluster)
    supervisor = int((config.data / "supervisor.pid").read_text())
    os.kill(supervisor, 9)
    wait_for(lambda: not _alive(supervisor), what="the supervisor gone")
    before = _store_snapshot(config.data / "store.db")

    st = subprocess.run(["kubenet", "status", "--name", cluster.name], capture_output=True, text=True, timeout=30,
                        check=False)
    assert st.returncode == 1
    assert st.stdout.startswith(f"cluster {cluster.name}: not running (supervisor died: killed by SIGKILL)")
    assert "apiserver: ok" not in st.stdout

    started = time.monotonic()
    up = subprocess.run(["kubenet", "up", "--name", cluster.name, "--sandbox", "--nodes", "2"], capture_output=True,
                        text=True, timeout=90, check=False)
    resume_seconds = time.monotonic() - started
    assert up.returncode == 0, up.stdout + up.stderr
    assert f'Resumed cluster "{cluster.name}" from its store ({len(before)} objects)' in up.stdout
    # Killed through the cgroup, not adopted: none of the Pods' old processes survives the resume.
    assert not [pid for pid in old_pids if _alive(pid)]

    after = _store_snapshot(config.data / "store.db")
    stable_before = {k: rv for k, rv in before.items() if k.startswith(STABLE) and "/endpoints" not in k}
    assert {k: after.get(k) for k in stable_before} == stable_before
    served = json.loads(kubectl("get", "configmap", "settings", "-o", "json"))
    assert served["metadata"]["resourceVersion"] == before["/core/configmaps/default/settings"]
    assert json.loads(kubectl("get", "secret", "password", "-o", "json"))["data"]["password"] == "czNjcjN0"

    kubectl("rollout", "status", "deployment/web", "--timeout=60s", timeout=70)
    rollout_seconds = time.monotonic() - started

    def settled() -> list[dict]:
        # The Pods the kubelet runs in sandboxes: not the Failed Never one, not hostNetwork ones (mirror Pods of the
        # control plane share the node's IP, as on any cluster).
        items = [p for p in pods(cluster) if not p["metadata"].get("deletionTimestamp")
                 and p["metadata"]["name"] != "once" and not p["spec"].get("hostNetwork")]
        ok = len([p for p in items if p["metadata"]["namespace"] == "default"]) == REPLICAS and all(
            p["status"].get("phase") == "Running" and p["status"].get("podIP") for p in items)
        return items if ok else []
    items = wait_for(settled, timeout=30, what="every Pod Running with an IP")
    ips = [p["status"]["podIP"] for p in items]
    assert len(ips) == len(set(ips)), ips
    cidrs = {n["metadata"]["name"]: n["spec"]["podCIDR"]
             for n in json.loads(kubectl("get", "nodes", "-o", "json"))["items"]}
    for p in items:
        assert ipaddress.ip_address(p["status"]["podIP"]) in ipaddress.ip_network(cidrs[p["spec"]["nodeName"]])
    kept = [p for p in items if p["metadata"]["uid"] in bound]
    assert kept and all(p["spec"]["nodeName"] == bound[p["metadata"]["uid"]] for p in kept)
    restarted = [p for p in kept if all(c["restartCount"] >= 1 and c["lastState"]["terminated"]["reason"] == "Unknown"
                                        for c in p["status"]["containerStatuses"])]
    assert restarted == kept
    # The container's output from before the crash is its previous attempt's log.
    assert kubectl("logs", "-n", "kube-system", dns_pod, "--previous").startswith(dns_log)
    once = json.loads(kubectl("get", "pod", "once", "-o", "json"))
    assert once["status"]["phase"] == "Failed"
    ended = once["status"]["containerStatuses"][0]
    assert ended["state"]["terminated"]["reason"] == "Unknown" and ended["state"]["terminated"]["exitCode"] == 255
    assert ended["restartCount"] == 0
    # One Pod netns per running Pod once the old ReplicaSet's last Pod has stopped (none for the Failed one); the
    # Service answers again.
    def one_netns_per_pod() -> bool:
        running = [p for p in pods(cluster)
                   if p["status"].get("phase") == "Running" and not p["spec"].get("hostNetwork")]
        return len([ns for ns in kernel.netns_list() if ns.startswith(config.pod_netns_prefix())]) == len(running)
    wait_for(one_netns_per_pod, what="one netns per Pod")
    service_ip = json.loads(kubectl("get", "service", "web", "-o", "json"))["spec"]["clusterIP"]
    wait_for(lambda: "It works!" in cluster.host("curl", "-s", "-m", "2", f"http://{service_ip}/").stdout,
             what="the Service answering")
    assert subprocess.run(["kubenet", "status", "--name", cluster.name], capture_output=True, timeout=30,
                          check=False).returncode == 0
    print(f"\nrecovery: {len(before)} objects in the store at the kill, all {len(stable_before)} of the stable kinds "
          f"back with their resourceVersion ({len(after)} objects once the rollout went on); up took "
          f"{resume_seconds:.1f}s, the rollout was complete {rollout_seconds:.1f}s after up began; {len(bound)} Pods "
          f"bound at the kill: {len(bound) - 1} restarted, not adopted ({len(old_pids)} old processes killed), the "
          f"restartPolicy Never one Failed; {len(kept)} still there after the rollout, on their nodes, restartCount "
          f"1; {len(ips)} running Pod IPs, unique")

    down = cluster.down()
    assert down.returncode == 0, down.stdout + down.stderr
    assert [ns for ns in kernel.netns_list() if cluster.name in ns] == []
    assert not config.data.exists()
    assert not list(Path("/etc/netns").glob(f"kn-{cluster.name}-*"))
    assert not ClusterCgroup(cluster.name).path.exists()
    assert not [p for p in CANDIDATES if (p / f"kubenet-{cluster.name}").exists()]
    assert not [d for d in Path("/var/log/pods").iterdir() if re.search("|".join(bound), d.name)]


def test_up_fresh_starts_empty_and_up_on_a_running_cluster_is_refused(sandbox_cluster_factory):
    cluster = sandbox_cluster_factory(nodes=0)
    cluster.kubectl("create", "configmap", "mine", "--from-literal=k=v")
    args = ["kubenet", "up", "--name", cluster.name, "--sandbox", "--nodes", "0"]
    again = subprocess.run(args, capture_output=True, text=True, timeout=90, check=False)
    assert again.returncode == 1 and "already exist" in again.stderr
    fresh = subprocess.run([*args, "--fresh"], capture_output=True, text=True, timeout=90, check=False)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert f'Created cluster "{cluster.name}"' in fresh.stdout
    assert "NotFound" in cluster.kubectl("get", "configmap", "mine", check=False)

"""Bring a cluster up, tear it down (also after a crash), tell its health: what the CLI's verbs do."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kubenet.apiserver.pki import merge_kubeconfig, remove_from_kubeconfig
from kubenet.cluster import control_plane_pods, kernel
from kubenet.cluster.cgroups import ClusterCgroup
from kubenet.cluster.config import DATA_ROOT, ClusterConfig
from kubenet.cluster.topology import HostBridge, NodeNetwork

PHASES = [("certificates", "Writing certificates"), ("network", "Preparing nodes"),
          ("control-plane", "Starting control-plane"), ("nodes", "Starting kubelets and kube-proxy"),
          ("running", "Installing CoreDNS"), ("ready", "Cluster ready")]


class ClusterError(Exception):
    pass


def _default_kubeconfig() -> Path:
    return Path(os.environ.get("KUBECONFIG", "").split(":")[0] or Path.home() / ".kube" / "config")


def _read_status(config: ClusterConfig) -> dict:
    try:
        return json.loads((config.data / "status.json").read_text())
    except (OSError, ValueError):
        return {}


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of ours is not alive.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def _supervisor_pid(config: ClusterConfig) -> int | None:
    """The cluster's supervisor, if that pid still is it: after a reboot a stale pid may be anyone's."""
    for pid in (_read_status(config).get("pid"), _read_pid_file(config)):
        if not _alive(pid):
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"kubenet.cluster.supervisor" in cmdline and config.data_dir.encode() in cmdline:
            return pid
    return None


def _read_pid_file(config: ClusterConfig) -> int | None:
    try:
        return int((config.data / "supervisor.pid").read_text())
    except (OSError, ValueError):
        return None


def _our_netns(config: ClusterConfig) -> list[str]:
    """This cluster's node and Pod netns, by exact name (another cluster may be called `<name>-b`)."""
    nodes = {config.node_netns(n) for n in config.node_names}
    prefix = config.pod_netns_prefix()
    return [ns for ns in kernel.netns_list()
            if ns in nodes or (ns.startswith(prefix) and re.fullmatch(r"[0-9a-f]{12}", ns[len(prefix):]))]


def up(config: ClusterConfig, progress: Callable[[str, bool], None] | None = None, timeout: float = 60.0) -> None:
    progress = progress or (lambda step, done: None)
    if (config.data / "config.json").exists() and _supervisor_pid(ClusterConfig.load(config.name, config.data_dir)):
        raise ClusterError(f'node(s) already exist for a cluster with the name "{config.name}"')
    if config.data.exists() and any(config.data.iterdir()) and not (config.data / "config.json").exists():
        raise ClusterError(f"{config.data} exists and is not a kubenet cluster's data dir; choose another "
                           "--data-dir (kubenet deletes its data dir on down)")
    if not config.sandbox:
        other = _running_host_cluster(config.name)
        if other:
            raise ClusterError(f'cluster "{other}" already runs on this host\'s network; only one cluster can '
                               "(they would share 172.18.0.0/16 and the host routes): use --sandbox for more")
    if config.data.exists():
        down(config.name, config.data_dir)  # leftovers of a crashed cluster with this name
    config.save()
    (config.data / "status.json").unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "kubenet.cluster.supervisor", "--name", config.name, "--data-dir", config.data_dir]
    if config.sandbox:
        kernel.netns_add(config.sandbox_netns)
        cmd = ["nsenter", f"--net=/run/netns/{config.sandbox_netns}", "--"] + cmd
    with open(config.data / "supervisor.log", "ab") as log:  # the child keeps its own copy of the fd
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                cwd="/")
    (config.data / "supervisor.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    shown = 0
    progress(PHASES[0][1], False)
    while True:
        status = _read_status(config)
        phase = status.get("phase", "")
        names = [p for p, _ in PHASES]
        reached = names.index(phase) if phase in names else -1
        if not config.node_names and phase == "running":
            reached = len(PHASES) - 1
        while shown < reached:
            progress(PHASES[shown][1], True)
            shown += 1
            if shown < len(PHASES):
                progress(PHASES[shown][1], False)
        if reached == len(PHASES) - 1:
            progress(PHASES[-1][1], True)
            break
        if phase == "failed" or proc.poll() is not None:
            tail = (config.data / "supervisor.log").read_text(errors="replace").strip().splitlines()[-15:]
            down(config.name, config.data_dir)
            raise ClusterError(f"cluster failed to start: {status.get('error', 'supervisor exited')}\n"
                               + "\n".join(tail))
        if time.monotonic() > deadline:
            raise ClusterError(f"cluster not ready after {timeout:.0f}s (phase {phase or 'starting'}); see "
                               f"{config.data / 'supervisor.log'} or run `kubenet status --name {config.name}`")
        time.sleep(0.05)
    if not config.sandbox:
        kubeconfig = _load_yaml(config.admin_kubeconfig)
        target = Path(config.kubeconfig) if config.kubeconfig else _default_kubeconfig()
        merge_kubeconfig(target, kubeconfig)


def _load_yaml(path: Path) -> dict:
    import yaml
    return yaml.safe_load(path.read_text())


def _pod_uids(config: ClusterConfig) -> list[str]:
    db = config.data / "store.db"
    if not db.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        rows = conn.execute("SELECT value FROM objects WHERE key LIKE '/core/pods/%'").fetchall()
        conn.close()
    except sqlite3.Error:
        return []
    return [json.loads(v)["metadata"].get("uid", "") for (v,) in rows]


def _running_host_cluster(except_name: str) -> str | None:
    for path in DATA_ROOT.glob("*/config.json"):
        try:
            other = ClusterConfig.load(path.parent.name)
        except (OSError, ValueError, TypeError):
            continue
        if other.name != except_name and not other.sandbox and _supervisor_pid(other):
            return other.name
    return None


def _protected_pids() -> set[int]:
    """This process and its ancestors (the user's shell, maybe inside `kubenet exec`): never ours to kill."""
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return pids


def down(name: str, data_dir: str = "") -> list[str]:
    """Remove every process, namespace, link, route, lease and file the cluster made. Returns what remained."""
    try:
        config = ClusterConfig.load(name, data_dir)
        loaded = True
    except (OSError, ValueError, TypeError):
        config = ClusterConfig(name=name, data_dir=data_dir)
        loaded = False
    pid = _supervisor_pid(config)
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not _alive(pid):
                break
            time.sleep(0.05)
    # Every process the supervisor started (and the supervisor, if it would not stop) is in its cgroup.
    stuck = ClusterCgroup(config.name).kill_all()
    pod_uids = _pod_uids(config)
    # Pods first (their processes by PID, found through their netns), then nodes, then the host side.
    ours = _our_netns(config)
    protected = _protected_pids()
    for ns in sorted(ours, key=lambda n: not n.startswith(config.pod_netns_prefix())):
        kernel.kill_pids([p for p in kernel.netns_pids(ns) if p not in protected])
        kernel.netns_delete(ns)
        if ns.startswith(config.pod_netns_prefix()):
            pod_uids.append(ns[len(config.pod_netns_prefix()):])
    for files in Path("/etc/netns").glob(f"{config.pod_netns_prefix()}*"):  # also hostNetwork Pods' files
        if re.fullmatch(r"[0-9a-f]{12}", files.name[len(config.pod_netns_prefix()):]):
            shutil.rmtree(files, ignore_errors=True)
    for i, node in enumerate(config.node_names):
        NodeNetwork(config, node, i).delete()
    # The sandbox netns may hold the user's own shells (`kubenet exec -- bash`): the cgroup kill above ended
    # everything the cluster started, so nothing is killed here just for being in that netns.
    if loaded or kernel.link_exists(config.bridge, config.sandbox_netns if config.sandbox else None):
        HostBridge(config).delete()  # never the shared host routes on behalf of a cluster that is not there
    elif kernel.netns_exists(f"kubenet-{name}"):
        kernel.netns_delete(f"kubenet-{name}")  # a sandbox whose config never got written
    for uid in pod_uids:  # a full UID, or the 12 hex characters a Pod netns name carries
        pattern = f"*_{uid}" if "-" in uid else f"*_{uid[:8]}-{uid[8:12]}-*"
        for d in Path("/var/log/pods").glob(pattern):
            shutil.rmtree(d, ignore_errors=True)
    for d in control_plane_pods.log_dirs(config):  # the static Pods' logs: their UIDs are hashes, not in the store
        shutil.rmtree(d, ignore_errors=True)
    if not config.sandbox:
        remove_from_kubeconfig(Path(config.kubeconfig) if config.kubeconfig else _default_kubeconfig(),
                               config.context)
    if (config.data / "config.json").exists():  # only a kubenet data dir is deleted whole
        shutil.rmtree(config.data, ignore_errors=True)
    if config.data.parent == DATA_ROOT:
        try:
            DATA_ROOT.rmdir()  # /var/lib/kubenet, once no cluster is left in it
        except OSError:
            pass
    leftovers = [f"netns {ns}" for ns in _our_netns(config)] + [f"process {p}" for p in stuck]
    if config.sandbox_netns and kernel.netns_exists(config.sandbox_netns):
        leftovers.append(f"netns {config.sandbox_netns}")
    return leftovers


def status(name: str, data_dir: str = "") -> dict:
    try:
        config = ClusterConfig.load(name, data_dir)
    except (OSError, ValueError):
        return {"name": name, "exists": False, "healthy": False, "problems": [f'no cluster named "{name}"']}
    st = _read_status(config)
    problems = []
    running = _supervisor_pid(config) is not None
    if not running:
        problems.append("supervisor is not running (run `kubenet down` then `kubenet up`)")
    for node in config.node_names:
        if not kernel.netns_exists(config.node_netns(node)):
            problems.append(f"node {node}: network namespace {config.node_netns(node)} is missing")
    for check, ok in (st.get("health") or {}).items():
        if not ok:
            problems.append(f"{check} is unhealthy")
    return {"name": name, "exists": True, "sandbox": config.sandbox_netns, "phase": st.get("phase"),
            "supervisor_pid": _supervisor_pid(config), "nodes": config.node_names,
            "health": st.get("health") or {}, "kubeconfig": str(config.admin_kubeconfig),
            "healthy": not problems and st.get("phase") == "ready", "problems": problems}


def format_status(report: dict) -> str:
    if not report.get("exists"):
        return "\n".join(report["problems"])
    lines = [f"cluster {report['name']}: {report.get('phase') or 'unknown'}"
             + (f" (sandbox netns {report['sandbox']})" if report.get("sandbox") else ""),
             f"  supervisor: {'pid ' + str(report['supervisor_pid']) if report['supervisor_pid'] else 'not running'}",
             f"  nodes: {', '.join(report['nodes']) or '(none: control plane only)'}"]
    for check, ok in sorted(report["health"].items()):
        lines.append(f"  {check}: {'ok' if ok else 'FAILING'}")
    for p in report["problems"]:
        lines.append(f"  problem: {p}")
    return "\n".join(lines)


def exec_argv(name: str, data_dir: str, command: list[str]) -> tuple[list[str], dict]:
    try:
        config = ClusterConfig.load(name, data_dir)
    except (OSError, ValueError):
        raise ClusterError(f'no cluster named "{name}" (see {DATA_ROOT})') from None
    env = dict(os.environ, KUBECONFIG=str(config.admin_kubeconfig))
    if config.sandbox:
        return ["nsenter", f"--net=/run/netns/{config.sandbox_netns}", "--"] + command, env
    return command, env

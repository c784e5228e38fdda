"""Bring a cluster up, tear it down (also after a crash), tell its health: what the CLI's verbs do."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cni.hostlocal import LeaseStore
from kubenet import kernel
from kubenet.addons import ADDONS
from kubenet.apiserver.pki import merge_kubeconfig, remove_from_kubeconfig
from kubenet.cluster import control_plane_pods
from kubenet.cluster.cgroups import ClusterCgroup
from kubenet.cluster.config import DATA_ROOT, ClusterConfig, forget_data_dir, record_data_dir
from kubenet.cluster.inventory import POD_NETNS_SUFFIX, Inventory
from kubenet.cluster.monitor import EXIT_FILE
from kubenet.cluster.topology import HostBridge

PHASES = [("certificates", "Writing certificates"), ("network", "Preparing nodes"),
          ("control-plane", "Starting control-plane"), ("nodes", "Starting kubelets and kube-proxy"),
          ("running", "Installing " + ", ".join(a.name for a in ADDONS)), ("ready", "Cluster ready")]


class ClusterError(Exception):
    pass


def _default_kubeconfig() -> Path:
    return Path(os.environ.get("KUBECONFIG", "").split(":")[0] or Path.home() / ".kube" / "config")


def read_status(config: ClusterConfig) -> dict:
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


def supervisor_pid(config: ClusterConfig) -> int | None:
    """The cluster's supervisor, if that pid still is it: after a reboot a stale pid may be anyone's."""
    for pid in (read_status(config).get("pid"), _read_pid_file(config)):
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


@dataclass
class UpResult:
    config: ClusterConfig
    resumed: bool
    objects: int  # in the store when `up` began (0 for a new cluster)


# The options that fix a cluster's shape: resuming with others would mean another cluster over the same store.
SHAPE = ("nodes", "sandbox", "proxy_mode")


def up(config: ClusterConfig, progress: Callable[[str, bool], None] | None = None, timeout: float = 60.0,
       fresh: bool = False, requested: tuple[str, ...] = SHAPE) -> UpResult:
    """Start the cluster: resumed from its store when its data dir has one (like a rebooted kind node), new when
    there is none or `fresh` is set. `requested` names the options the user gave (the others follow the saved
    cluster when resuming)."""
    progress = progress or (lambda step, done: None)
    saved = _saved_config(config)
    if saved is not None and supervisor_pid(saved) and not fresh:
        raise ClusterError(f'node(s) already exist for a cluster with the name "{config.name}"')
    if config.data.exists() and any(config.data.iterdir()) and saved is None:
        raise ClusterError(f"{config.data} exists and is not a kubenet cluster's data dir; choose another "
                           "--data-dir (kubenet deletes its data dir on down)")
    objects = _object_count(saved) if saved is not None and not fresh else 0
    resumed = objects > 0
    if resumed:
        changed = [_option(k, getattr(config, k)) for k in requested if getattr(config, k) != getattr(saved, k)]
        if changed:
            raise ClusterError(f'cluster "{config.name}" exists ({saved.nodes} node(s)'
                               f"{', sandbox' if saved.sandbox else ''}; its store holds {objects} objects): "
                               f"`kubenet up --name {config.name}` without {' '.join(changed)} resumes it as it was, "
                               f"`kubenet up --name {config.name} --fresh` deletes it and starts an empty one")
        saved.kubeconfig = config.kubeconfig or saved.kubeconfig  # where to merge the context may change
        config = saved
    if not config.sandbox:
        other = _running_host_cluster(config.name)
        if other:
            raise ClusterError(f'cluster "{other}" already runs on this host\'s network; only one cluster can '
                               "(they would share 172.18.0.0/16 and the host routes): use --sandbox for more")
    if resumed:
        stuck = reset_runtime(config)
        if stuck:
            raise ClusterError(f"cannot resume: {', '.join(stuck)} of the crashed cluster would not go")
    elif config.data.exists():
        down(config.name, config.data_dir)  # --fresh, or leftovers of a cluster that never got a store
    config.save()
    record_data_dir(config)
    _wait_ready(config, _start_monitor(config), progress, timeout, keep_store=resumed)
    if not config.sandbox:
        kubeconfig = _load_yaml(config.admin_kubeconfig)
        target = Path(config.kubeconfig) if config.kubeconfig else _default_kubeconfig()
        merge_kubeconfig(target, kubeconfig)
    return UpResult(config, resumed, objects)


def _option(field: str, value: object) -> str:
    flag = "--" + field.replace("_", "-")
    return flag if value is True else f"no {flag}" if value is False else f"{flag} {value}"


def _saved_config(config: ClusterConfig) -> ClusterConfig | None:
    try:
        return ClusterConfig.load(config.name, config.data_dir)
    except (OSError, ValueError, TypeError):
        return None


def _start_monitor(config: ClusterConfig) -> subprocess.Popen:
    """The monitor (kubenet/cluster/monitor.py) starts the supervisor and records how it ends."""
    for name in ("status.json", EXIT_FILE, "supervisor.pid"):
        (config.data / name).unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "kubenet.cluster.monitor", "--name", config.name, "--data-dir", config.data_dir]
    if config.sandbox:
        kernel.netns_add(config.sandbox_netns)
        cmd = ["nsenter", f"--net=/run/netns/{config.sandbox_netns}", "--"] + cmd
    with open(config.data / "supervisor.log", "ab") as log:  # the children keep their own copy of the fd
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                cwd="/")


def _wait_ready(config: ClusterConfig, proc: subprocess.Popen, progress: Callable[[str, bool], None],
                timeout: float, keep_store: bool) -> None:
    """Show the phases until the cluster is ready. A cluster that fails to start is removed, unless it was
    resumed: then only its processes and netns go, and its store stays for another `up` (or `down`)."""
    deadline = time.monotonic() + timeout
    shown = 0
    progress(PHASES[0][1], False)
    names = [p for p, _ in PHASES]
    while True:
        status = read_status(config)
        phase = status.get("phase", "")
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
            return
        if phase == "failed" or proc.poll() is not None:
            tail = (config.data / "supervisor.log").read_text(errors="replace").strip().splitlines()[-15:]
            if keep_store:
                _stop_supervisor(config)
                reset_runtime(config)
                tail.append(f"the store is kept in {config.data}: `kubenet up --name {config.name}` tries again, "
                            "`--fresh` starts an empty cluster")
            else:
                down(config.name, config.data_dir)
            raise ClusterError(f"cluster failed to start: {status.get('error', 'supervisor exited')}\n"
                               + "\n".join(tail))
        if time.monotonic() > deadline:
            raise ClusterError(f"cluster not ready after {timeout:.0f}s (phase {phase or 'starting'}); see "
                               f"{config.data / 'supervisor.log'} or run `kubenet status --name {config.name}`")
        time.sleep(0.05)


def _load_yaml(path: Path) -> dict:
    import yaml
    return yaml.safe_load(path.read_text())


def _store_rows(config: ClusterConfig, query: str) -> list[tuple]:
    """Read the store of a cluster whose supervisor is not running (read-only: nothing is changed)."""
    db = config.data / "store.db"
    if not db.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return conn.execute(query).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def _object_count(config: ClusterConfig) -> int:
    rows = _store_rows(config, "SELECT count(*) FROM objects")
    return rows[0][0] if rows else 0


def _pod_uids(config: ClusterConfig) -> list[str]:
    rows = _store_rows(config, "SELECT value FROM objects WHERE key LIKE '/core/pods/%'")
    return [json.loads(v)["metadata"].get("uid", "") for (v,) in rows]


def _running_host_cluster(except_name: str) -> str | None:
    for path in DATA_ROOT.glob("*/config.json"):
        try:
            other = ClusterConfig.load(path.parent.name)
        except (OSError, ValueError, TypeError):
            continue
        if other.name != except_name and not other.sandbox and supervisor_pid(other):
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


def _stop_supervisor(config: ClusterConfig) -> None:
    pid = supervisor_pid(config)
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not _alive(pid):
                break
            time.sleep(0.05)


def _remove_pods_and_nodes(config: ClusterConfig) -> tuple[list[int], list[str]]:
    """End every process the cluster started (they are all in its cgroup, the supervisor too if it would not
    stop), then remove Pod and node netns, veths and /etc/netns files. Returns the pids that would not go and the
    Pod UIDs (or 12-hex netns names) seen."""
    stuck = ClusterCgroup(config.name).kill_all()
    pod_uids = _pod_uids(config)
    # Pods first (their processes by PID, found through their netns), then nodes.
    ours = [ns.name for ns in Inventory(config).netns() if ns.role != "sandbox"]  # the sandbox goes last
    protected = _protected_pids()
    for ns in sorted(ours, key=lambda n: not n.startswith(config.pod_netns_prefix())):
        kernel.kill_pids([p for p in kernel.netns_pids(ns) if p not in protected])
        kernel.netns_delete(ns)
        if ns.startswith(config.pod_netns_prefix()):
            pod_uids.append(ns[len(config.pod_netns_prefix()):])
    for files in Path("/etc/netns").glob(f"{config.pod_netns_prefix()}*"):  # also hostNetwork Pods' files
        if POD_NETNS_SUFFIX.fullmatch(files.name[len(config.pod_netns_prefix()):]):
            shutil.rmtree(files, ignore_errors=True)
    for node in Inventory(config).nodes:
        node.delete()
    return stuck, pod_uids


def reset_runtime(config: ClusterConfig) -> list[str]:
    """Before a crashed cluster resumes: what a reboot clears goes — its processes (through the cgroup), Pod
    sandboxes, node netns — and with the sandboxes their IP leases and CNI results, Pod token files and the
    crashed run's status. The store, pki, kubeconfigs, Pod logs and the host bridge stay. Returns what would not
    go."""
    stuck, _ = _remove_pods_and_nodes(config)
    for leases in (config.data / "nodes").glob("*/cni/networks/*"):
        # Every sandbox is gone, so every lease is released; last_reserved_ip stays, so the new sandboxes get
        # addresses after it rather than one a Pod's stale status still shows (host-local's round robin).
        store = LeaseStore(str(leases))
        with store.locked():
            for lease in store.leases():
                store.release(lease)
    for node_dir in (config.data / "nodes").glob("*/cni/cache"):
        shutil.rmtree(node_dir, ignore_errors=True)
    shutil.rmtree(config.data / "pods", ignore_errors=True)
    return [f"process {p}" if p else f"cgroup {ClusterCgroup(config.name).path}" for p in stuck]


def down(name: str, data_dir: str = "") -> list[str]:
    """Remove every process, namespace, link, route, lease and file the cluster made. Returns what remained."""
    try:
        config = ClusterConfig.load(name, data_dir)
        loaded = True
    except (OSError, ValueError, TypeError):
        config = ClusterConfig(name=name, data_dir=data_dir)
        loaded = False
    _stop_supervisor(config)
    stuck, pod_uids = _remove_pods_and_nodes(config)
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
    if not (config.data / "config.json").exists():
        forget_data_dir(name)
    try:
        DATA_ROOT.rmdir()  # /var/lib/kubenet, once no cluster (nor a record of one) is left in it
    except OSError:
        pass
    cgroup = ClusterCgroup(config.name).path
    left = Inventory(config).netns()
    leftovers = [f"netns {ns.name}" for ns in left if ns.role != "sandbox"] + [f"process {p}" for p in stuck if p]
    if cgroup is not None and cgroup.exists():
        leftovers.append(f"cgroup {cgroup}")
    leftovers += [f"netns {ns.name}" for ns in left if ns.role == "sandbox"]
    return leftovers


def exec_argv(name: str, data_dir: str, command: list[str]) -> tuple[list[str], dict]:
    try:
        config = ClusterConfig.load(name, data_dir)
    except (OSError, ValueError):
        raise ClusterError(f'no cluster named "{name}" (see {DATA_ROOT})') from None
    env = dict(os.environ, KUBECONFIG=str(config.admin_kubeconfig))
    if config.sandbox:
        return ["nsenter", f"--net=/run/netns/{config.sandbox_netns}", "--"] + command, env
    return command, env

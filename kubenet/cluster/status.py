"""`kubenet status`: what is true now, from live checks, never from a stale status.json.

Is the supervisor alive and really this cluster's (pid and cmdline)? Does the API server answer /readyz? Are the
nodes Ready (asked of the API)? Does cluster DNS answer a query? All from the cluster's host context (the sandbox
netns, entered by one thread). A supervisor that is gone is reported with how it ended, as the monitor recorded
it (kubenet/cluster/monitor.py).
"""
from __future__ import annotations

import http.client
import json
import ssl

from kubenet import kernel
from kubenet.cluster.cgroups import ClusterCgroup
from kubenet.cluster.config import ClusterConfig
from kubenet.cluster.health import addon_checks, node_ready
from kubenet.cluster.inventory import Inventory
from kubenet.cluster.lifecycle import read_status, supervisor_pid
from kubenet.cluster.monitor import read_exit

TIMEOUT = 2.0
STARTING = ("certificates", "network", "control-plane", "nodes", "running")


def _get(config: ClusterConfig, path: str) -> tuple[int, bytes]:
    """GET from the API server on 127.0.0.1 with the admin certificate, the cluster CA verifying the server."""
    pki = config.data / "pki"
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    conn = http.client.HTTPSConnection("127.0.0.1", config.api_port, context=context, timeout=TIMEOUT)
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def live_health(config: ClusterConfig) -> dict[str, bool]:
    """The checks `kubenet up` waits for, made now: API server ready, every node Ready, cluster DNS answering."""
    health = {"apiserver": False}
    nodes: dict[str, dict] = {}
    try:
        code, body = _get(config, "/readyz")
        health["apiserver"] = code == 200 and body.strip() == b"ok"
        if health["apiserver"]:
            code, body = _get(config, "/api/v1/nodes")
            if code == 200:
                nodes = {n["metadata"]["name"]: n for n in json.loads(body).get("items") or []}
    except (OSError, ssl.SSLError, http.client.HTTPException, ValueError):
        pass
    for name in config.node_names:
        health[f"node {name}"] = name in nodes and node_ready(nodes[name])
    for check in addon_checks(config):
        health[check.name] = check.probe(config)
    return health


def exit_reason(config: ClusterConfig) -> str:
    """How the supervisor ended, in the words `kubenet status` prints after "not running"."""
    record = read_exit(config.data)
    last = read_status(config)
    if not record:
        if not last:
            return "supervisor not started"
        return f"supervisor died (pid {last.get('pid', '?')}; how it ended was not recorded)"
    if record.get("signal"):
        return f"supervisor died: {record['reason']}"
    if last.get("phase") == "failed":
        return f"supervisor failed: {last.get('error', record['reason'])}"
    if record.get("exitCode") == 0:
        return "supervisor stopped"
    return f"supervisor died: {record['reason']}"


def status(name: str, data_dir: str = "") -> dict:
    try:
        config = ClusterConfig.load(name, data_dir)
    except (OSError, ValueError, TypeError):
        return {"name": name, "exists": False, "running": False, "healthy": False,
                "problems": [f'no cluster named "{name}"']}
    report = {"name": name, "exists": True, "sandbox": config.sandbox_netns, "nodes": config.node_names,
              "kubeconfig": str(config.admin_kubeconfig), "health": {}, "problems": []}
    pid = supervisor_pid(config)
    report.update(running=pid is not None, supervisor_pid=pid)
    if pid is None:
        reason = exit_reason(config)
        report.update(phase="not running", reason=reason, healthy=False)
        report["problems"].append(f"{reason}; `kubenet up --name {name}` resumes the cluster from its store "
                                  "(`--fresh` starts an empty one)")
        orphans = ClusterCgroup(name).pids()
        if orphans:
            report["problems"].append(f"{len(orphans)} of its processes (Pods) still run with nothing managing them: "
                                      "`kubenet up` restarts the Pods, `kubenet down` ends them")
        return report
    health = kernel.call_in_netns(config.sandbox_netns, lambda: live_health(config))
    for node in Inventory(config).missing_node_netns():
        report["problems"].append(f"node {node.name}: network namespace {node.netns} is missing")
    answering = {"apiserver", *(c.name for c in addon_checks(config))}
    report["problems"] += [f"{check} is not answering" if check in answering else
                           f"{check} is not Ready" for check, ok in health.items() if not ok]
    phase = read_status(config).get("phase")
    healthy = not report["problems"]
    if phase in STARTING and not healthy:
        shown = f"starting ({phase})"
    else:
        shown = "ready" if healthy else "unhealthy"
    report.update(phase=shown, health=health, healthy=healthy)
    return report


def format_status(report: dict) -> str:
    if not report.get("exists"):
        return "\n".join(report["problems"])
    head = f"cluster {report['name']}: {report['phase']}"
    if not report["running"]:
        head += f" ({report['reason']})"
    lines = [head + (f" (sandbox netns {report['sandbox']})" if report.get("sandbox") else ""),
             f"  supervisor: {'pid ' + str(report['supervisor_pid']) if report['supervisor_pid'] else 'not running'}",
             f"  nodes: {', '.join(report['nodes']) or '(none: control plane only)'}"]
    for check, ok in sorted(report["health"].items()):
        lines.append(f"  {check}: {'ok' if ok else 'FAILING'}")
    for p in report["problems"]:
        lines.append(f"  problem: {p}")
    return "\n".join(lines)

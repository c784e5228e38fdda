"""The verbs that run clusters: up, down, status, exec, kubeconfig."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from kubenet.cli.registry import Verb
from kubenet.cluster import lifecycle
from kubenet.cluster import status as cluster_status
from kubenet.cluster.config import ClusterConfig, recorded_data_dir
from kubenet.proxy import backend as proxy_backend


def cmd_up(args: argparse.Namespace) -> int:
    # An option not given follows the saved cluster when `up` resumes one (--nodes 1 etc. for a new cluster).
    requested = tuple(k for k in lifecycle.SHAPE if getattr(args, k) is not None)
    try:
        proxy_backend.backend_info(args.proxy_mode or "iptables")
    except proxy_backend.UnknownProxyMode as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    config = ClusterConfig(name=args.name, nodes=1 if args.nodes is None else args.nodes, sandbox=bool(args.sandbox),
                           proxy_mode=args.proxy_mode or "iptables",
                           data_dir=args.data_dir or str(recorded_data_dir(args.name)),  # a resume finds its dir
                           kubeconfig=args.kubeconfig or "")
    try:
        result = lifecycle.up(config, progress=_progress(), timeout=args.wait, fresh=args.fresh, requested=requested)
    except lifecycle.ClusterError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    config = result.config
    if result.resumed:
        print(f"Resumed cluster \"{config.name}\" from its store ({result.objects} objects)")
    else:
        print(f"Created cluster \"{config.name}\"")
    print(f"\nSet kubectl context to \"{config.context}\"" if not config.sandbox and not args.kubeconfig else "")
    if config.sandbox:
        print("The cluster runs in the sandbox network namespace "
              f"{config.sandbox_netns}. Use it with:\n\n  kubenet exec --name {config.name} -- kubectl get nodes\n")
    else:
        kc = f" --kubeconfig {args.kubeconfig}" if args.kubeconfig else f" --context {config.context}"
        print(f"You can now use your cluster with:\n\n  kubectl cluster-info{kc}\n  kubectl get nodes{kc}\n")
    return 0


def _progress():
    started: dict[str, float] = {}

    def show(step: str, done: bool) -> None:
        if not done:
            started[step] = time.monotonic()
            if sys.stdout.isatty():
                print(f" • {step} ...", end="\r", flush=True)
            return
        took = time.monotonic() - started.get(step, time.monotonic())
        print(f" ✓ {step} ({took:.1f}s)    ", flush=True)
    return show


def cmd_down(args: argparse.Namespace) -> int:
    print(f"Deleting cluster \"{args.name}\" ...")
    leftovers = lifecycle.down(args.name, args.data_dir or "")
    for what in leftovers:
        print(f"WARNING: could not remove {what}", file=sys.stderr)
    return 1 if leftovers else 0


def cmd_status(args: argparse.Namespace) -> int:
    report = cluster_status.status(args.name, args.data_dir or "")
    if args.output == "json":
        print(json.dumps(report, indent=2))
    else:
        print(cluster_status.format_status(report))
    return 0 if report.get("healthy") else 1


def cmd_exec(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("usage: kubenet exec [--name C] -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    try:
        argv, env = lifecycle.exec_argv(args.name, args.data_dir or "", command)
    except lifecycle.ClusterError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    os.umask(args.user_umask)  # the user's command runs as if started from their shell
    os.execvpe(argv[0], argv, env)
    return 127


def cmd_kubeconfig(args: argparse.Namespace) -> int:
    path = ClusterConfig.load(args.name, args.data_dir or "").admin_kubeconfig
    sys.stdout.write(Path(path).read_text())
    return 0


def _up_arguments(up: argparse.ArgumentParser) -> None:
    up.add_argument("--nodes", type=int, default=None, help="number of nodes (0: control plane only; default 1)")
    up.add_argument("--sandbox", action="store_true", default=None,
                    help="run the cluster inside an isolated network namespace with no route out")
    # Not argparse choices: a mode kube-proxy has but kubenet has not written yet gets its own message.
    up.add_argument("--proxy-mode", default=None, metavar="{" + ",".join(proxy_backend.registered_modes()) + "}")
    up.add_argument("--fresh", action="store_true",
                    help="delete the cluster's data dir (every object in its store) and start an empty cluster")
    up.add_argument("--kubeconfig", default="", help="write the kubeconfig here instead of merging ~/.kube/config")
    up.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the cluster to be ready")


def _status_arguments(st: argparse.ArgumentParser) -> None:
    st.add_argument("-o", "--output", default="text", choices=["text", "json"])


def _exec_arguments(ex: argparse.ArgumentParser) -> None:
    ex.add_argument("command", nargs=argparse.REMAINDER)


ORDER = 0  # the cluster's own verbs come first in `kubenet --help`
VERBS = [
    Verb("up", "create a cluster (or resume a stopped or crashed one from its store) and wait until it is ready",
         cmd_up, _up_arguments),
    Verb("down", "delete a cluster and everything it made", cmd_down),
    Verb("status", "what runs and what is unhealthy", cmd_status, _status_arguments),
    Verb("exec", "run a command in the cluster's host context with KUBECONFIG set", cmd_exec, _exec_arguments),
    Verb("kubeconfig", "print the cluster's admin kubeconfig", cmd_kubeconfig),
]

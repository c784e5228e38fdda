"""`kubenet`: run clusters (up, down, status, exec). kubectl does the rest, as on any cluster."""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from kubenet.cluster import lifecycle
from kubenet.cluster import status as cluster_status
from kubenet.cluster.config import PRIVATE_UMASK, ClusterConfig
from kubenet.proxy import backend as proxy_backend

_USER_UMASK = 0o022
NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?")


def cmd_up(args: argparse.Namespace) -> int:
    # An option not given follows the saved cluster when `up` resumes one (--nodes 1 etc. for a new cluster).
    requested = tuple(k for k in lifecycle.SHAPE if getattr(args, k) is not None)
    try:
        proxy_backend.backend_info(args.proxy_mode or "iptables")
    except proxy_backend.UnknownProxyMode as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    config = ClusterConfig(name=args.name, nodes=1 if args.nodes is None else args.nodes, sandbox=bool(args.sandbox),
                           proxy_mode=args.proxy_mode or "iptables", data_dir=args.data_dir or "",
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
    os.umask(_USER_UMASK)  # the user's command runs as if started from their shell
    os.execvpe(argv[0], argv, env)
    return 127


def cmd_kubeconfig(args: argparse.Namespace) -> int:
    path = ClusterConfig.load(args.name, args.data_dir or "").admin_kubeconfig
    sys.stdout.write(Path(path).read_text())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubenet", description="Kubernetes networking on real namespaces, "
                                     "veths, iptables and DNS. Use kubectl for everything inside the cluster.")
    sub = parser.add_subparsers(dest="cmd", required=True)

    def named(p):
        p.add_argument("--name", default="kubenet", help="cluster name (default kubenet)")
        p.add_argument("--data-dir", default="", help="cluster data dir (default /var/lib/kubenet/NAME)")
        return p

    up = named(sub.add_parser("up", help="create a cluster (or resume a stopped or crashed one from its store) and "
                                         "wait until it is ready"))
    up.add_argument("--nodes", type=int, default=None, help="number of nodes (0: control plane only; default 1)")
    up.add_argument("--sandbox", action="store_true", default=None,
                    help="run the cluster inside an isolated network namespace with no route out")
    # Not argparse choices: a mode kube-proxy has but kubenet has not written yet gets its own message.
    up.add_argument("--proxy-mode", default=None, metavar="{" + ",".join(proxy_backend.registered_modes()) + "}")
    up.add_argument("--fresh", action="store_true",
                    help="delete the cluster's data dir (every object in its store) and start an empty cluster")
    up.add_argument("--kubeconfig", default="", help="write the kubeconfig here instead of merging ~/.kube/config")
    up.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the cluster to be ready")
    up.set_defaults(func=cmd_up)
    named(sub.add_parser("down", help="delete a cluster and everything it made")).set_defaults(func=cmd_down)
    st = named(sub.add_parser("status", help="what runs and what is unhealthy"))
    st.add_argument("-o", "--output", default="text", choices=["text", "json"])
    st.set_defaults(func=cmd_status)
    ex = named(sub.add_parser("exec", help="run a command in the cluster's host context with KUBECONFIG set"))
    ex.add_argument("command", nargs=argparse.REMAINDER)
    ex.set_defaults(func=cmd_exec)
    named(sub.add_parser("kubeconfig", help="print the cluster's admin kubeconfig")).set_defaults(func=cmd_kubeconfig)
    return parser


def main(argv: list[str] | None = None) -> None:
    if os.geteuid() != 0:
        print("kubenet needs root (it creates network namespaces, links and iptables rules)", file=sys.stderr)
        sys.exit(1)
    global _USER_UMASK
    _USER_UMASK = os.umask(PRIVATE_UMASK)  # data dir 0700, every file 0600: the store holds Secrets
    args = build_parser().parse_args(argv)
    # Every command checks the name: it becomes paths (/var/lib/kubenet/NAME, which down deletes) and netns names.
    if not NAME_RE.fullmatch(args.name) or "-pod-" in args.name:
        print(f'ERROR: invalid cluster name "{args.name}": use 1-20 lowercase letters, digits and "-" '
              "(starting and ending with a letter or digit)", file=sys.stderr)
        sys.exit(1)
    sys.exit(args.func(args))


if __name__ == "__main__":
    main()

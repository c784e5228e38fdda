"""`kubenet`: run clusters (up, down, status, exec). kubectl does the rest, as on any cluster.

The verbs come from the modules of this package (kubenet/cli/registry.py says how to add one)."""
from __future__ import annotations

import argparse
import os
import re
import sys

from kubenet.cli import registry
from kubenet.cluster.config import PRIVATE_UMASK

NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?")
DESCRIPTION = ("Kubernetes networking on real namespaces, veths, iptables and DNS. Use kubectl for everything "
               "inside the cluster.")


def build_parser() -> argparse.ArgumentParser:
    return registry.build_parser(DESCRIPTION)


def main(argv: list[str] | None = None) -> None:
    if os.geteuid() != 0:
        print("kubenet needs root (it creates network namespaces, links and iptables rules)", file=sys.stderr)
        sys.exit(1)
    user_umask = os.umask(PRIVATE_UMASK)  # data dir 0700, every file 0600: the store holds Secrets
    args = build_parser().parse_args(argv)
    args.user_umask = user_umask  # what a verb that runs the user's own command restores
    # Every verb that names a cluster checks the name: it becomes paths (/var/lib/kubenet/NAME, which down
    # deletes) and netns names.
    name = getattr(args, "name", None)
    if name is not None and (not NAME_RE.fullmatch(name) or "-pod-" in name):
        print(f'ERROR: invalid cluster name "{name}": use 1-20 lowercase letters, digits and "-" '
              "(starting and ending with a letter or digit)", file=sys.stderr)
        sys.exit(1)
    sys.exit(args.func(args))


if __name__ == "__main__":
    main()

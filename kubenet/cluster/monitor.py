"""The supervisor's parent for its whole life, so that how it ended is known: only a parent learns a child's exit
status (waitpid), and a supervisor killed by SIGKILL or the OOM killer cannot say so itself. It records the end in
`<data dir>/exit.json`, which `kubenet status` reports; it does nothing else (no restart: `kubenet up` resumes).

Run by `kubenet up` as `python -m kubenet.cluster.monitor --name NAME --data-dir DIR` (in the sandbox netns when
there is one); it writes `supervisor.pid` with the supervisor's pid.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from kubenet.api.meta import now_rfc3339
from kubenet.cluster.cgroups import ClusterCgroup
from kubenet.cluster.config import PRIVATE_UMASK, ClusterConfig

EXIT_FILE = "exit.json"


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.rename(path)


def describe(returncode: int) -> dict:
    """Popen's returncode as the record `kubenet status` shows: an exit code, or the signal that killed it."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return {"signal": name, "reason": f"killed by {name}"}
    return {"exitCode": returncode, "reason": "exited normally" if returncode == 0 else
            f"exited with status {returncode}"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kubenet.cluster.monitor")
    parser.add_argument("--name", default="kubenet")
    parser.add_argument("--data-dir", default="")
    args = parser.parse_args(argv)
    os.umask(PRIVATE_UMASK)
    config = ClusterConfig.load(args.name, args.data_dir)
    # In the cluster's cgroup like the supervisor: `kubenet down` ends it too and waits until it is gone, so it
    # never writes into a data dir being deleted.
    ClusterCgroup(config.name).join()
    proc = subprocess.Popen([sys.executable, "-m", "kubenet.cluster.supervisor", "--name", config.name,
                             "--data-dir", config.data_dir], stdin=subprocess.DEVNULL)
    write_atomically(config.data / "supervisor.pid", str(proc.pid))
    # A SIGTERM for the cluster sent here is meant for the supervisor, which stops cleanly on it.
    signal.signal(signal.SIGTERM, lambda *_: proc.send_signal(signal.SIGTERM))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            returncode = proc.wait()
            break
        except InterruptedError:
            continue
    if (config.data / "config.json").exists():
        record = {"pid": proc.pid, "finishedAt": now_rfc3339(), **describe(returncode)}
        write_atomically(config.data / EXIT_FILE, json.dumps(record))


def read_exit(data: Path) -> dict:
    try:
        return json.loads((data / EXIT_FILE).read_text())
    except (OSError, ValueError):
        return {}


if __name__ == "__main__":
    main()

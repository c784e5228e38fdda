"""CNI ADD/DEL medians for N pods: our library (in-process), our executable, the Debian reference bridge.

Same config for all three (bridge + host-local, cniVersion 1.0.0, isGateway, isDefaultGateway), each in
its own `kntc-` node netns; pod netns are made before timing (as a runtime does) and removed after.
The three are interleaved (pod i of each, in a rotating order, before pod i+1), so load from anything
else on the machine falls on all of them alike; CPU time (user+sys of the plugin process) is printed
next to wall time because it moves far less with that load. The executable is called as a runtime calls
it: CNI_* environment, config on stdin, no PYTHONPATH.
Run as root: python3 bench/cni_bench.py [N] [--masq] [--exe PATH]
"""
from __future__ import annotations

import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

from cni.api import RuntimeConf, add_network_list, del_network_list
from cni.testing import delete_netns, exec_plugin, new_netns

REFERENCE = ["/usr/lib/cni/bridge"]
TARGET_RATIO = 1.5  # issue 7: ADD and DEL of the executable each at most 1.5x the reference plugin's
Step = Callable[[str, str, str], None]


def executable() -> list[str]:
    """--exe PATH, else the installed launcher (its own interpreter, no pyenv shim), else python -m cni."""
    if "--exe" in sys.argv:
        return [sys.argv[sys.argv.index("--exe") + 1]]
    script = os.path.join(os.path.dirname(os.path.realpath(sys.executable)), "kubenet-cni")
    return [script] if os.access(script, os.X_OK) else [sys.executable, "-m", "cni"]


def conf(data_dir: str, masq: bool) -> dict:
    return {"cniVersion": "1.0.0", "name": "kntc-bench", "type": "bridge", "bridge": "cni0", "isGateway": True,
            "isDefaultGateway": True, "ipMasq": masq,
            "ipam": {"type": "host-local", "dataDir": data_dir, "ranges": [[{"subnet": "10.252.0.0/24"}]]}}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Subject:
    """One implementation under test, with its own node netns and pod netns."""

    def __init__(self, name: str, n: int, add: Step, delete: Step) -> None:
        self.name, self.add, self.delete = name, add, delete
        self.node = new_netns("node")
        self.pods = [new_netns("pod") for _ in range(n)]
        self.wall: dict[str, list[float]] = {"ADD": [], "DEL": []}
        self.cpu: dict[str, list[float]] = {"ADD": [], "DEL": []}

    def step(self, command: str, i: int) -> None:
        call = self.add if command == "ADD" else self.delete
        cpu0, t0 = children_cpu(), time.perf_counter()
        call(self.node, self.pods[i], f"bench{i}")
        self.wall[command].append((time.perf_counter() - t0) * 1000)
        self.cpu[command].append((children_cpu() - cpu0) * 1000)

    def median(self, command: str, cpu: bool = False) -> float:
        return statistics.median((self.cpu if cpu else self.wall)[command])

    def close(self) -> None:
        for path in self.pods + [self.node]:
            delete_netns(path)


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), "20"))
    masq = "--masq" in sys.argv
    exe = executable()
    state = tempfile.mkdtemp(prefix="kntc-bench-")

    def binary(cmd: list[str], sub: str) -> tuple[Step, Step]:
        data = os.path.join(state, sub)

        def call(command: str, node: str, pod: str, cid: str) -> None:
            r = exec_plugin(cmd, command, conf(data, masq), node_netns=node, container_id=cid, netns=pod)
            if r.code != 0:
                raise RuntimeError(f"{cmd} {command}: {r.out} {r.stderr}")
        return (lambda node, pod, cid: call("ADD", node, pod, cid),
                lambda node, pod, cid: call("DEL", node, pod, cid))

    lib_conf = {"cniVersion": "1.0.0", "name": "kntc-bench", "cacheDir": os.path.join(state, "cache"),
                "plugins": [conf(os.path.join(state, "lib"), masq)]}
    lib_conf["plugins"][0].pop("name")
    lib_conf["plugins"][0].pop("cniVersion")
    subjects: list[Subject] = []
    try:
        subjects.append(Subject(
            "library (in-process)", n,
            lambda node, pod, cid: add_network_list(lib_conf, RuntimeConf(cid, pod), host_netns=node),
            lambda node, pod, cid: del_network_list(lib_conf, RuntimeConf(cid, pod), host_netns=node)))
        subjects.append(Subject("executable", n, *binary(exe, "exe")))
        subjects.append(Subject("reference bridge", n, *binary(REFERENCE, "ref")))
        for command in ("ADD", "DEL"):
            for i in range(n):
                for k in range(len(subjects)):
                    subjects[(i + k) % len(subjects)].step(command, i)
    finally:
        for subject in subjects:
            subject.close()
        shutil.rmtree(state, ignore_errors=True)
    for s in subjects:
        a, d = s.median("ADD"), s.median("DEL")
        print(f"{s.name:<22} ADD median {a:7.2f} ms   DEL median {d:7.2f} ms   ADD+DEL {a + d:7.2f} ms"
              + ("" if s.name.startswith("library") else
                 f"   (CPU ADD {s.median('ADD', True):6.2f} ms, DEL {s.median('DEL', True):6.2f} ms)"))
    ref = subjects[2]
    ra, rd = ref.median("ADD"), ref.median("DEL")
    print(f"N={n} ipMasq={masq} executable={' '.join(exe)}")
    for s in subjects[:2]:
        a, d = s.median("ADD"), s.median("DEL")
        print(f"{s.name:<22} ratio to reference: ADD {a / ra:.2f}x  DEL {d / rd:.2f}x  ADD+DEL {(a + d) / (ra + rd):.2f}x")
    exe_subject = subjects[1]
    for command, ratio in (("ADD", exe_subject.median("ADD") / ra), ("DEL", exe_subject.median("DEL") / rd)):
        print(f"executable {command} target <= {TARGET_RATIO}x reference: {'met' if ratio <= TARGET_RATIO else 'MISSED'}"
              f" ({ratio:.2f}x; CPU {exe_subject.median(command, True) / ref.median(command, True):.2f}x)")


if __name__ == "__main__":
    main()

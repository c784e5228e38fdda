"""CNI ADD/DEL medians for N pods: our library (in-process), our executable, the Debian reference bridge.

Same config for all three (bridge + host-local, cniVersion 1.0.0, isGateway, isDefaultGateway), each in
its own `kntc-` node netns; pod netns are made before timing (as a runtime does) and removed after.
Run as root: python3 bench/cni_bench.py [N] [--masq]
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

from cni.api import RuntimeConf, add_network_list, del_network_list
from cni.testing import delete_netns, exec_plugin, new_netns

REFERENCE = ["/usr/lib/cni/bridge"]


def executable() -> list[str]:
    """The installed console script (its own interpreter, no pyenv shim), else python -m cni."""
    script = os.path.join(os.path.dirname(os.path.realpath(sys.executable)), "kubenet-cni")
    return [script] if os.access(script, os.X_OK) else [sys.executable, "-m", "cni"]


def conf(data_dir: str, masq: bool) -> dict:
    return {"cniVersion": "1.0.0", "name": "kntc-bench", "type": "bridge", "bridge": "cni0", "isGateway": True,
            "isDefaultGateway": True, "ipMasq": masq,
            "ipam": {"type": "host-local", "dataDir": data_dir, "ranges": [[{"subnet": "10.252.0.0/24"}]]}}


def measure(name: str, n: int, add: Callable[[str, str, str], None], delete: Callable[[str, str, str], None]
            ) -> tuple[float, float]:
    node = new_netns("node")
    pods = [new_netns("pod") for _ in range(n)]
    adds, dels = [], []
    try:
        for i, pod in enumerate(pods):
            t0 = time.perf_counter()
            add(node, pod, f"bench{i}")
            adds.append(time.perf_counter() - t0)
        for i, pod in enumerate(pods):
            t0 = time.perf_counter()
            delete(node, pod, f"bench{i}")
            dels.append(time.perf_counter() - t0)
    finally:
        for path in pods + [node]:
            delete_netns(path)
    a, d = statistics.median(adds) * 1000, statistics.median(dels) * 1000
    print(f"{name:<22} ADD median {a:7.2f} ms   DEL median {d:7.2f} ms   ADD+DEL {a + d:7.2f} ms")
    return a, d


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), "20"))
    masq = "--masq" in sys.argv
    state = tempfile.mkdtemp(prefix="kntc-bench-")
    results: dict[str, tuple[float, float]] = {}
    try:
        def binary(cmd: list[str], sub: str):
            data = os.path.join(state, sub)

            def call(command: str, node: str, pod: str, cid: str) -> None:
                r = exec_plugin(cmd, command, conf(data, masq), node_netns=node, container_id=cid, netns=pod)
                if r.code != 0:
                    raise RuntimeError(f"{cmd} {command}: {r.out} {r.stderr}")
            return (lambda node, pod, cid: call("ADD", node, pod, cid),
                    lambda node, pod, cid: call("DEL", node, pod, cid))

        lib_conf = {"cniVersion": "1.0.0", "name": "kntc-bench", "cacheDir": os.path.join(state, "cache"),
                    "plugins": [dict(conf(os.path.join(state, "lib"), masq), name=None)]}
        lib_conf["plugins"][0].pop("name")
        lib_conf["plugins"][0].pop("cniVersion")
        results["library (in-process)"] = measure(
            "library (in-process)", n,
            lambda node, pod, cid: add_network_list(lib_conf, RuntimeConf(cid, pod), host_netns=node),
            lambda node, pod, cid: del_network_list(lib_conf, RuntimeConf(cid, pod), host_netns=node))
        results["executable"] = measure("executable", n, *binary(executable(), "exe"))
        results["reference bridge"] = measure("reference bridge", n, *binary(REFERENCE, "ref"))
    finally:
        shutil.rmtree(state, ignore_errors=True)
    ra, rd = results["reference bridge"]
    print(f"N={n} ipMasq={masq} executable={' '.join(executable())}")
    for name in ("library (in-process)", "executable"):
        a, d = results[name]
        print(f"{name:<22} ratio to reference: ADD {a / ra:.2f}x  DEL {d / rd:.2f}x  ADD+DEL {(a + d) / (ra + rd):.2f}x")


if __name__ == "__main__":
    main()

"""Our plugin as a runtime sees it: an executable, env + stdin in, JSON out, next to the Debian reference."""
from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from cni.testing import delete_netns, exec_plugin, new_netns, ping

pytestmark = [pytest.mark.root,
              pytest.mark.skipif(os.geteuid() != 0, reason="needs root and network namespaces")]

REFERENCE = "/usr/lib/cni/bridge"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def baked_launcher() -> str:
    """bin/kubenet-cni as an editable install writes it (this interpreter with -I -S, this source tree)."""
    spec = importlib.util.spec_from_file_location("kubenet_build_scripts", os.path.join(ROOT, "bin", "build_scripts.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(os.path.join(ROOT, "bin", "kubenet-cni"), encoding="utf-8") as f:
        return module.bake(f.read(), sys.executable, ROOT)


@pytest.fixture(scope="module")
def ours():
    """Our plugin where a runtime finds it: the launcher copied into a CNI bin dir under the type's name."""
    bin_dir = tempfile.mkdtemp(prefix="kntc-cnibin-")
    try:
        path = os.path.join(bin_dir, "bridge")
        with open(path, "w", encoding="utf-8") as f:
            f.write(baked_launcher())
        os.chmod(path, 0o755)
        yield [path]
    finally:
        shutil.rmtree(bin_dir, ignore_errors=True)


def bridge_conf(data_dir: str, version: str = "1.0.0") -> dict:
    return {"cniVersion": version, "name": "kntc-net", "type": "bridge", "bridge": "cni0", "isGateway": True,
            "isDefaultGateway": True, "ipMasq": True, "hairpinMode": True,
            "ipam": {"type": "host-local", "dataDir": data_dir, "ranges": [[{"subnet": "10.250.1.0/24"}]]}}


@pytest.fixture
def node():
    """A node netns with two empty pod netns and an IPAM data dir; all removed even if the test fails."""
    made: list[str] = []
    data_dir = tempfile.mkdtemp(prefix="kntc-ipam-")
    try:
        n = new_netns("node")
        made.append(n)
        pods = []
        for _ in range(2):
            pods.append(new_netns("pod"))
            made.append(pods[-1])
        yield n, pods, data_dir
    finally:
        for path in reversed(made):
            delete_netns(path)
        shutil.rmtree(data_dir, ignore_errors=True)


def run(cmd, command, conf, node_ns, pod="", cid="c1", **kw):
    return exec_plugin(cmd if isinstance(cmd, list) else [cmd], command, conf, node_netns=node_ns,
                       container_id=cid, netns=pod, **kw)


def masked(result: dict) -> dict:
    out = copy.deepcopy(result)
    for iface in out["interfaces"]:
        iface["mac"] = "MAC"
        if iface["name"].startswith("veth"):
            iface["name"] = "vethXXXXXXXX"
        if "sandbox" in iface:
            iface["sandbox"] = "SANDBOX"
    return out


def iptables_nat(node_ns: str) -> str:
    text = subprocess.run(["ip", "netns", "exec", os.path.basename(node_ns), "iptables-save", "-t", "nat"],
                          capture_output=True, text=True, check=True).stdout
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


def test_add_check_del_twice_and_version(node, ours):
    node_ns, (pod, _), data_dir = node
    conf = bridge_conf(data_dir, "1.1.0")
    add = run(ours, "ADD", conf, node_ns, pod)
    assert add.code == 0, add.out
    assert [i["name"] for i in add.out["interfaces"]][::2] == ["cni0", "eth0"]
    assert add.out["interfaces"][1]["name"].startswith("veth") and len(add.out["interfaces"][1]["name"]) == 12
    assert add.out["ips"] == [{"address": "10.250.1.2/24", "gateway": "10.250.1.1", "interface": 2}]
    assert add.out["interfaces"][2]["sandbox"] == pod and add.out["interfaces"][2]["mtu"] == 1500
    assert ping(pod, "10.250.1.1") and ping(pod, "127.0.0.1")  # gateway on the bridge, lo is up
    check = run(ours, "CHECK", dict(conf, prevResult=add.out), node_ns, pod)
    assert check.code == 0, check.out
    again = run(ours, "ADD", conf, node_ns, pod)
    assert again.code == 1 and again.out["code"] >= 100  # eth0 exists already
    for _ in range(2):  # DEL is idempotent
        gone = run(ours, "DEL", conf, node_ns, pod)
        assert gone.code == 0 and gone.out is None, gone.out
    assert sorted(os.listdir(os.path.join(data_dir, "kntc-net"))) == ["last_reserved_ip.0", "lock"]
    failed = run(ours, "CHECK", dict(conf, prevResult=add.out), node_ns, pod)
    assert failed.code == 1 and failed.out["code"] >= 100
    version = exec_plugin(ours, "VERSION", {"cniVersion": "1.1.0"})
    assert version.code == 0 and "1.1.0" in version.out["supportedVersions"]


def test_the_launcher_runs_isolated_and_python_m_cni_works_too(node, ours):
    with open(ours[0], encoding="utf-8") as f:
        assert f.readline() == f"#!{sys.executable} -IS\n"  # no site, no .pth hooks, no PYTHON* variables
    node_ns, (pod, _), data_dir = node
    # A PYTHONPATH pointing elsewhere does not change what the launcher runs (-I ignores it).
    add = run(ours, "ADD", bridge_conf(data_dir), node_ns, pod, extra_env={"PYTHONPATH": "/nonexistent"})
    assert add.code == 0, (add.out, add.stderr)
    module = [sys.executable, "-m", "cni"]
    assert run(module, "DEL", bridge_conf(data_dir), node_ns, pod).code == 0
    assert "1.1.0" in exec_plugin(module, "VERSION", {"cniVersion": "1.1.0"}).out["supportedVersions"]


def test_add_and_del_run_without_ctypes_ipaddress_or_os(node, ours):
    # What a run imports while it works, not only at start-up (tests/unit/test_cni_startup.py): each of these
    # once cost an ADD a millisecond or so (cni/ipnet.py, cni/netns.py, cni/main.py say why).
    node_ns, (pod, _), data_dir = node
    conf = dict(bridge_conf(data_dir), ipMasq=False, hairpinMode=False)
    traced = [sys.executable, "-IS", "-X", "importtime", ours[0]]
    for command in ("ADD", "DEL"):
        done = run(traced, command, conf, node_ns, pod)
        assert done.code == 0, (done.out, done.stderr)
        imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
        assert "cni.bridge" in imported and "cni.netlink" in imported
        assert not imported & {"ctypes", "ipaddress", "functools", "collections", "os", "threading", "subprocess",
                               "struct", "cni.iptables"}, \
            (command, sorted(imported))


def test_errors_come_as_json_with_spec_codes(node, ours):
    node_ns, (pod, _), data_dir = node
    conf = bridge_conf(data_dir)
    bad_id = run(ours, "ADD", conf, node_ns, pod, cid="-no")
    assert bad_id.code == 1 and bad_id.out["code"] == 4 and bad_id.out["cniVersion"] == "1.0.0"
    assert run(ours, "ADD", conf, node_ns, pod, ifname="bad name").out["code"] == 4
    assert run(ours, "ADD", b"{oops", node_ns, pod).out["code"] == 6
    assert run(ours, "ADD", dict(conf, mtu="big"), node_ns, pod).out["code"] == 7
    assert not os.path.exists(os.path.join(data_dir, "kntc-net", "10.250.1.2"))


def test_status_and_gc_release_leases_not_listed(node, ours):
    node_ns, pods, data_dir = node
    conf = bridge_conf(data_dir, "1.1.0")
    for i, pod in enumerate(pods):
        assert run(ours, "ADD", conf, node_ns, pod, cid=f"c{i}").code == 0
    assert run(ours, "STATUS", conf, node_ns, cid="", ifname="").code == 0
    gc_conf = dict(conf, **{"cni.dev/valid-attachments": [{"containerID": "c1", "ifname": "eth0"}]})
    gc = run(ours, "GC", gc_conf, node_ns, cid="", ifname="")
    assert gc.code == 0, gc.out
    leases = sorted(f for f in os.listdir(os.path.join(data_dir, "kntc-net")) if f[0].isdigit())
    assert leases == ["10.250.1.3"]
    nat = iptables_nat(node_ns)
    assert 'id: \\"c1\\"' in nat and 'id: \\"c0\\"' not in nat
    one_address = [[{"subnet": "10.250.1.0/24", "rangeStart": "10.250.1.3", "rangeEnd": "10.250.1.3"}]]
    full = dict(conf, ipam=dict(conf["ipam"], ranges=one_address))  # and c1 holds it
    status = run(ours, "STATUS", full, node_ns, cid="", ifname="")
    assert status.code == 1 and status.out["code"] == 50


def test_same_result_files_and_rules_as_the_reference(node, ours):
    node_ns, (pod, _), data_dir = node
    ref_node, ref_pod = new_netns("node"), new_netns("pod")
    ref_dir = tempfile.mkdtemp(prefix="kntc-ipam-")
    try:
        mine = run(ours, "ADD", bridge_conf(data_dir), node_ns, pod, cid="1234")
        theirs = run(REFERENCE, "ADD", bridge_conf(ref_dir), ref_node, ref_pod, cid="1234")
        assert mine.code == 0 and theirs.code == 0, (mine.out, theirs.out)
        assert masked(mine.out) == masked(theirs.out)
        ours_files = sorted(os.listdir(os.path.join(data_dir, "kntc-net")))
        assert ours_files == sorted(os.listdir(os.path.join(ref_dir, "kntc-net")))
        for name in ours_files:
            with open(os.path.join(data_dir, "kntc-net", name), "rb") as a, \
                    open(os.path.join(ref_dir, "kntc-net", name), "rb") as b:
                assert a.read() == b.read(), name
        assert iptables_nat(node_ns) == iptables_nat(ref_node)
        # Each DELs what the other made: the on-disk and in-kernel state really is interchangeable.
        assert run(REFERENCE, "DEL", bridge_conf(data_dir), node_ns, pod, cid="1234").code == 0
        assert run(ours, "DEL", bridge_conf(ref_dir), ref_node, ref_pod, cid="1234").code == 0
        assert iptables_nat(node_ns) == iptables_nat(ref_node)
        assert "CNI-" not in iptables_nat(node_ns)
        assert sorted(os.listdir(os.path.join(ref_dir, "kntc-net"))) == ["last_reserved_ip.0", "lock"]
    finally:
        delete_netns(ref_pod)
        delete_netns(ref_node)
        shutil.rmtree(ref_dir, ignore_errors=True)


def test_two_pods_reach_gateway_and_each_other(node, ours):
    node_ns, pods, data_dir = node
    conf = bridge_conf(data_dir)
    addrs = []
    for i, pod in enumerate(pods):
        add = run(ours, "ADD", conf, node_ns, pod, cid=f"p{i}")
        assert add.code == 0, add.out
        addrs.append(add.out["ips"][0]["address"].split("/")[0])
    assert addrs == ["10.250.1.2", "10.250.1.3"]
    assert ping(pods[0], "10.250.1.1") and ping(pods[1], "10.250.1.1")
    assert ping(pods[0], addrs[1]) and ping(pods[1], addrs[0])


def test_del_with_netns_gone_still_releases_the_lease(node, ours):
    node_ns, _, data_dir = node
    pod = new_netns("pod")
    try:
        assert run(ours, "ADD", bridge_conf(data_dir), node_ns, pod).code == 0
    finally:
        delete_netns(pod)
    assert os.path.exists(os.path.join(data_dir, "kntc-net", "10.250.1.2"))
    gone = run(ours, "DEL", bridge_conf(data_dir), node_ns, pod)
    assert gone.code == 0, gone.out
    assert not os.path.exists(os.path.join(data_dir, "kntc-net", "10.250.1.2"))
    assert "CNI-" not in iptables_nat(node_ns)

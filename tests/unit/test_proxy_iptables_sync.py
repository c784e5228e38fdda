"""When the iptables backend syncs fully or partially, and what it asks the kernel tools to do (no kernel here)."""

import subprocess

import pytest

from kubenet.kernel.netns_exec import CommandError, NetnsExec
from kubenet.proxy.backend import ProxyConfig
from kubenet.proxy.iptables import JUMP_RULES, SyncError
from kubenet.proxy.kube_proxy import Proxier
from tests.unit.test_proxy_objects import endpoint, endpoint_slice, port, service

BASE_SAVE = """*mangle
:KUBE-PROXY-CANARY - [0:0]
COMMIT
*filter
:KUBE-PROXY-CANARY - [0:0]
COMMIT
*nat
:KUBE-PROXY-CANARY - [0:0]
COMMIT
"""


class FakeTools(NetnsExec):
    """Answers iptables-save from `saved`, records every restore input, fails restores on demand."""

    def __init__(self) -> None:
        super().__init__("kntp-fake")
        object.__setattr__(self, "calls", [])
        object.__setattr__(self, "saved", "")
        object.__setattr__(self, "fail_restore", False)

    def run(self, args, input_text=None, ok_codes=(0,)):
        self.calls.append((args, input_text))
        if args[0] == "iptables-save":
            return subprocess.CompletedProcess(args, 0, self.saved, "")
        if args[0] == "iptables" and "-S" in args:  # `iptables -t T -S CHAIN`: 1 when the chain is not there
            table, chain = args[args.index("-t") + 1], args[-1]
            there = f"*{table}\n:{chain} " in self.saved
            return subprocess.CompletedProcess(args, 0 if there else 1, "", "" if there else "No chain")
        if args[0] == "iptables-restore" and self.fail_restore:
            raise CommandError(self.argv(args), 2, "", "iptables-restore: line 9 failed")
        return subprocess.CompletedProcess(args, 0, "", "")

    def restores(self) -> list[str]:
        return [text for args, text in self.calls if args[0] == "iptables-restore"]

    def saves(self) -> int:
        return sum(1 for args, _ in self.calls if args[0] == "iptables-save")


@pytest.fixture
def proxier() -> Proxier:
    p = Proxier(ProxyConfig("node-a", ("172.18.0.2",), "10.244.0.0/16", "kntp-fake"), FakeTools())
    p.on_service("ADDED", service("default", "web", "10.96.0.50", [port("http", 80)]))
    p.on_endpoint_slice("ADDED", endpoint_slice("default", "web", [endpoint("10.244.1.2")], [port("http", 8080)]))
    return p


def test_first_sync_is_full_and_creates_canaries_chains_and_jumps(proxier):
    proxier.sync()
    setup, rules = proxier.netns.restores()
    assert proxier.last_result.full
    for table in ("mangle", "filter", "nat"):
        assert f"*{table}\n:KUBE-PROXY-CANARY - [0:0]" in setup
    for jump in JUMP_RULES:
        assert f"-I {jump.src_chain} 1 {jump.spec}" in setup
    assert rules.startswith("*filter") and "KUBE-SVC-" in rules


def test_later_syncs_are_partial_and_skip_unchanged_services(proxier):
    proxier.sync()
    proxier.netns.saved = BASE_SAVE  # canaries exist now
    proxier.netns.calls.clear()
    proxier.sync()
    (rules,) = proxier.netns.restores()  # no set-up restore on a partial sync
    assert not proxier.last_result.full
    assert "KUBE-SVC-" not in rules.split("*nat")[1].split("-A KUBE-SERVICES")[0]
    assert "-j KUBE-SVC-" in rules  # KUBE-SERVICES still points at the untouched chain


def test_failed_restore_raises_and_forces_a_full_sync(proxier):
    proxier.sync()
    proxier.netns.saved = BASE_SAVE
    proxier.netns.fail_restore = True
    with pytest.raises(SyncError):
        proxier.sync()
    proxier.netns.fail_restore = False
    proxier.sync()
    assert proxier.last_result.full


def test_missing_canary_forces_a_full_sync(proxier):
    proxier.sync()
    proxier.netns.saved = BASE_SAVE.replace("*mangle\n:KUBE-PROXY-CANARY - [0:0]\n", "*mangle\n")
    proxier.sync()
    assert proxier.last_result.full


def test_stale_service_chains_found_in_the_kernel_are_deleted(proxier):
    proxier.sync()
    proxier.netns.saved = BASE_SAVE.replace("*nat\n", "*nat\n:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]\n:KUBE-OTHER - [0:0]\n")
    proxier.sync()
    assert proxier.last_result.deleted_chains == ["KUBE-SVC-AAAAAAAAAAAAAAAA"]  # not chains that are not ours


def test_commands_run_inside_the_named_netns():
    assert NetnsExec("kntp-x").argv(["iptables-save"]) == ["ip", "netns", "exec", "kntp-x", "iptables-save"]
    assert NetnsExec(None).argv(["iptables-save"]) == ["iptables-save"]


@pytest.fixture
def large_proxier(proxier) -> Proxier:
    """Over 1000 endpoints: kube-proxy's large-cluster mode."""
    proxier.on_service("ADDED", service("default", "big", "10.96.0.60", [port("http", 80)]))
    ips = [f"10.244.{i // 250 + 10}.{i % 250 + 1}" for i in range(1001)]
    proxier.on_endpoint_slice("ADDED", endpoint_slice("default", "big", [endpoint(ip) for ip in ips],
                                                      [port("http", 8080)]))
    proxier.sync()
    proxier.netns.saved = BASE_SAVE
    proxier.netns.calls.clear()
    return proxier


def test_a_large_cluster_partial_sync_reads_only_the_canaries(large_proxier):
    large_proxier.on_endpoint_slice("MODIFIED", endpoint_slice("default", "web", [endpoint("10.244.1.3")],
                                                               [port("http", 8080)]))
    large_proxier.sync()
    assert not large_proxier.last_result.full and large_proxier.netns.saves() == 0
    canaries = [args for args, _ in large_proxier.netns.calls if args[0] == "iptables"]
    assert sorted(a[a.index("-t") + 1] for a in canaries) == ["filter", "mangle", "nat"]
    assert "10.244.1.3:8080" in large_proxier.netns.restores()[0]


def test_a_large_cluster_notices_a_lost_canary_and_syncs_fully(large_proxier):
    large_proxier.netns.saved = BASE_SAVE.replace("*nat\n:KUBE-PROXY-CANARY - [0:0]\n", "*nat\n")
    large_proxier.sync()
    assert large_proxier.last_result.full and large_proxier.netns.saves() == 1


def test_a_large_cluster_deletes_the_chains_of_a_deleted_service_it_synced(large_proxier):
    web = service("default", "web", "10.96.0.50", [port("http", 80)])
    chains = {c for c in large_proxier.backend._known_chains if c.startswith("KUBE-SVC-")}
    large_proxier.on_service("DELETED", web)
    large_proxier.sync()
    gone = set(large_proxier.last_result.deleted_chains)
    assert large_proxier.netns.saves() == 0 and len(chains - set(large_proxier.backend._known_chains)) == 1
    assert chains - set(large_proxier.backend._known_chains) <= gone


def test_a_large_cluster_reads_the_tables_again_after_the_cleanup_period(large_proxier):
    large_proxier.backend.cleanup_period = 0.0
    large_proxier.netns.saved = BASE_SAVE.replace("*nat\n", "*nat\n:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]\n")
    large_proxier.sync()
    assert large_proxier.netns.saves() == 1 and not large_proxier.last_result.full
    assert "KUBE-SVC-AAAAAAAAAAAAAAAA" in large_proxier.last_result.deleted_chains


def test_a_small_cluster_reads_the_tables_on_every_sync(proxier):
    proxier.sync()
    proxier.netns.saved = BASE_SAVE
    proxier.sync()
    proxier.sync()
    assert proxier.netns.saves() == 3

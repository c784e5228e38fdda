"""When IPTablesProxier syncs fully or partially, and what it asks the kernel tools to do (no kernel here)."""

import subprocess

import pytest

from kubenet.proxy.iptables import JUMP_RULES, IPTablesProxier, SyncError
from kubenet.proxy.netns_exec import CommandError, NetnsExec
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
        if args[0] == "iptables-restore" and self.fail_restore:
            raise CommandError(self.argv(args), 2, "", "iptables-restore: line 9 failed")
        return subprocess.CompletedProcess(args, 0, "", "")

    def restores(self) -> list[str]:
        return [text for args, text in self.calls if args[0] == "iptables-restore"]


@pytest.fixture
def proxier() -> IPTablesProxier:
    p = IPTablesProxier("node-a", ["172.18.0.2"], "10.244.0.0/16", "kntp-fake")
    p.netns = FakeTools()
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

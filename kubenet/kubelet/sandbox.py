"""The Pod sandbox: a network namespace wired by CNI, plus a "pause" process that holds the Pod's UTS
namespace (hostname = Pod name) and its mount namespace (with the Pod's /etc/resolv.conf and /etc/hosts).

Containers and `kubectl exec` join the pause process's namespaces with nsenter, as containers join the pause
container on a real node.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
from dataclasses import dataclass, field
from pathlib import Path

from cni import api as cni_api
from kubenet import kernel
from kubenet.kubelet import spawn

# The pause process: hostname; a Pod-private /run (tmpfs), then each projected volume bound read-only at its
# mountPath (kube-api-access-* at /var/run/secrets/kubernetes.io/serviceaccount, i.e. inside that tmpfs; a path
# outside /run only over a directory that exists, never creating one on the node's filesystem); the Pod's
# resolv.conf, hosts and hostname bound over the node's (re-made inside the tmpfs when /etc/resolv.conf links into
# /run); then it sleeps, holding the namespaces.
PAUSE_SCRIPT = r"""
set -e
hostname "$1"
files="$2"; shift 2
mount -t tmpfs -o mode=0755,size=4m kubenet-pod-run /run
for pair in "$@"; do
  src="${pair%%=*}"; target=$(readlink -m "${pair#*=}")
  case "$target" in /run/*) mkdir -p "$target" ;; esac
  if [ -d "$target" ]; then mount --bind -o ro "$src" "$target"; else echo "skipped mount at $target" >&2; fi
done
for f in resolv.conf hosts hostname; do
  target=$(readlink -m "/etc/$f")
  [ -e "$target" ] || { mkdir -p "$(dirname "$target")"; : > "$target"; }
  mount --bind "$files/$f" "$target"
done
exec sleep infinity
"""


@dataclass
class PodSandbox:
    netns: str                 # kn-<cluster>-pod-<uid12>
    node_netns: str            # the node's netns, where cni0 and the host veth live
    hostname: str
    conflist: dict
    container_id: str
    host_network: bool = False
    pause_pid: int | None = None
    ip: str = ""
    result: dict = field(default_factory=dict)

    @property
    def etc_dir(self) -> Path:
        return Path("/etc/netns") / self.netns

    def _runtime_conf(self, capability_args: dict | None = None) -> cni_api.RuntimeConf:
        return cni_api.RuntimeConf(container_id=self.container_id, netns=f"/run/netns/{self.netns}",
                                   ifname="eth0", args={"K8S_POD_INFRA_CONTAINER_ID": self.container_id},
                                   capability_args=capability_args or {})

    async def create_network(self, port_mappings: list[dict]) -> str:
        """netns + CNI ADD; returns the Pod IP. On failure nothing is left behind."""
        if self.host_network:
            return self.ip  # the node's own network: no netns, no CNI (the kubelet set ip to the node IP)
        await asyncio.to_thread(kernel.netns_add, self.netns)
        try:
            caps = {"portMappings": port_mappings} if port_mappings else {}
            self.result = await asyncio.to_thread(cni_api.add_network_list, self.conflist, self._runtime_conf(caps),
                                                  f"/run/netns/{self.node_netns}")
        except BaseException:
            await self.delete_network()
            raise
        ips = self.result.get("ips") or []
        self.ip = ips[0]["address"].split("/")[0] if ips else ""
        return self.ip

    def write_files(self, resolv_conf: str, hosts: str) -> None:
        # World-readable like the /etc files they stand for (the kubelet runs under a 077 umask): a program in the
        # Pod that drops root must still resolve names.
        self.etc_dir.mkdir(parents=True, exist_ok=True)
        self.etc_dir.chmod(0o755)
        for name, text in (("resolv.conf", resolv_conf), ("hosts", hosts), ("hostname", self.hostname + "\n")):
            (self.etc_dir / name).write_text(text)
            (self.etc_dir / name).chmod(0o644)

    async def start_pause(self, volume_mounts: list[tuple[Path, str]] | None = None) -> int:
        """Start the pause process in the Pod's netns (the node's, for hostNetwork Pods) with its own UTS and
        mount namespaces: hostname, the Pod's /etc files, and its projected volumes as (directory, mountPath)."""
        netns = self.node_netns if self.host_network else self.netns
        mounts = [f"{directory}={path}" for directory, path in volume_mounts or []]
        proc = await spawn.spawn(
            "ip", "netns", "exec", netns, "unshare", "--uts", "--", "sh", "-c", PAUSE_SCRIPT, "pause",
            self.hostname, str(self.etc_dir), *mounts,
            stdin=spawn.DEVNULL, stdout=spawn.DEVNULL, stderr=spawn.PIPE, start_new_session=True)
        self.pause_pid = proc.pid
        self._pause = proc
        await self._wait_pause_ready(proc)
        return proc.pid

    async def _wait_pause_ready(self, proc, timeout: float = 5.0) -> None:
        """Return once the pause process has become `sleep`: by then it is in the Pod's netns, mount and UTS
        namespaces with its hostname set. Entering it earlier would put a container in the kubelet's netns."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        comm = Path(f"/proc/{proc.pid}/comm")
        while True:
            try:
                if comm.read_text().strip() == "sleep":
                    return
            except OSError:
                pass
            if proc.returncode is not None or loop.time() > deadline:
                why = (await proc.stderr.read()).decode(errors="replace").strip() if proc.returncode is not None \
                    else "timed out"
                raise RuntimeError(f"pod sandbox {self.netns}: the pause process did not start: {why}")
            await asyncio.sleep(0.001)

    def enter_argv(self) -> list[str]:
        """The prefix that runs a program inside this Pod's namespaces."""
        return ["nsenter", "-t", str(self.pause_pid), "-n", "-u", "-m", "--"]

    async def stop_pause(self) -> None:
        if self.pause_pid:
            try:
                os.kill(self.pause_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc = getattr(self, "_pause", None)
            if proc is not None:
                await proc.wait()
            self.pause_pid = None

    async def delete_network(self) -> None:
        # CNI DEL is idempotent and works with the netns gone; the IP lease is released either way.
        if self.host_network:
            shutil.rmtree(self.etc_dir, ignore_errors=True)
            return
        try:
            await asyncio.to_thread(cni_api.del_network_list, self.conflist, self._runtime_conf(),
                                    f"/run/netns/{self.node_netns}")
        finally:
            await asyncio.to_thread(kernel.netns_delete, self.netns)
            shutil.rmtree(self.etc_dir, ignore_errors=True)

    async def delete(self) -> None:
        await self.stop_pause()
        await self.delete_network()

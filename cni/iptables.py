"""nat-table rules for ipMasq (bridge) and hostPort (portmap), written in one iptables-restore each.

Chain names, comments and rule text are the reference plugins' (containernetworking/plugins v1.1.1
utils.FormatChainName / FormatComment, ip.SetupIPMasq, portmap), so `iptables-save` reads the same
whichever plugin made them. Functions here only render and parse text; `restore`/`save` run the
binaries in the caller's netns (the node netns thread, see netns.py).
"""
from __future__ import annotations

from .errors import IPTABLES_FAILURE, CNIError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .ipnet import IPPrefix

MULTICAST_NET = "224.0.0.0/4"
HOSTPORT_DNAT = "CNI-HOSTPORT-DNAT"
HOSTPORT_SETMARK = "CNI-HOSTPORT-SETMARK"
HOSTPORT_MASQ = "CNI-HOSTPORT-MASQ"
MASQ_MARK = "0x2000/0x2000"
_COMMENT_PATTERN = r'--comment "(dnat )?name: \\"(.*?)\\" id: \\"(.*?)\\""'  # compiled in owners() (GC)


def chain_name(prefix: str, network: str, container_id: str, hex_len: int) -> str:
    import hashlib  # lazily: OpenSSL's start-up is paid only by ipMasq/portmap

    return prefix + hashlib.sha512((network + container_id).encode()).hexdigest()[:hex_len]


def masq_chain(network: str, container_id: str) -> str:
    return chain_name("CNI-", network, container_id, 24)


def dnat_chain(network: str, container_id: str) -> str:
    # The reference truncates names to iptables' 28-char limit: 7 + 21 hex (cni.md says 22; the binary says 21).
    return chain_name("CNI-DN-", network, container_id, 21)


def comment(network: str, container_id: str) -> str:
    return f'name: "{network}" id: "{container_id}"'


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class NatTable:
    """The parsed `*nat` section of iptables-save: chain names and `-A` rules in order."""
    __slots__ = ("chains", "rules")

    def __init__(self, chains: set[str], rules: list[tuple[str, str]]) -> None:
        self.chains = chains
        self.rules = rules  # (chain, the rest of the line after "-A CHAIN ")

    @classmethod
    def parse(cls, save_text: str) -> NatTable:
        chains: set[str] = set()
        rules: list[tuple[str, str]] = []
        in_nat = False
        for line in save_text.splitlines():
            if line.startswith("*"):
                in_nat = line == "*nat"
            elif not in_nat:
                continue
            elif line.startswith(":"):
                chains.add(line[1:].split()[0])
            elif line.startswith("-A "):
                chain, _, rest = line[3:].partition(" ")
                rules.append((chain, rest))
        return cls(chains, rules)

    def jumps_to(self, target: str) -> list[tuple[str, str]]:
        return [(c, r) for c, r in self.rules if r.endswith(f"-j {target}") and c != target]

    def owners(self) -> dict[str, tuple[str, str, str]]:
        """Per-container chains from the comments on their jumps: {chain: (hook chain, network, containerID)}."""
        import re  # only GC needs it: ADD and DEL start without re (cni/jsonio.py says why that matters)

        comment = re.compile(_COMMENT_PATTERN)
        out: dict[str, tuple[str, str, str]] = {}
        for chain, rest in self.rules:
            m = comment.search(rest)
            if m and chain in ("POSTROUTING", HOSTPORT_DNAT) and " -j CNI-" in rest:
                out[rest.rsplit("-j ", 1)[1].strip()] = (chain, m.group(2), m.group(3))
        return out


def masq_add_rules(pod_ip: IPPrefix, chain: str, note: str) -> list[str]:
    # ip.SetupIPMasq: leave traffic to the pod network alone, masquerade the rest but multicast.
    c = f"-m comment --comment {quote(note)}"
    return [f":{chain} - [0:0]",
            f"-A {chain} -d {pod_ip.network} {c} -j ACCEPT",
            f"-A {chain} ! -d {MULTICAST_NET} {c} -j MASQUERADE",
            f"-A POSTROUTING -s {pod_ip.ip}/32 {c} -j {chain}"]


def teardown_rules(nat: NatTable, chains: set[str]) -> list[str]:
    """Delete every jump to `chains`, then flush and remove them; [] when none exists (idempotent DEL)."""
    lines = [f"-D {c} {r}" for target in sorted(chains) for c, r in nat.jumps_to(target) if c not in chains]
    present = sorted(chains & nat.chains)
    lines += [f"-F {c}" for c in present] + [f"-X {c}" for c in present]
    return lines


class PortMapping:
    __slots__ = ("container_port", "host_ip", "host_port", "protocol")

    def __init__(self, host_port: int, container_port: int, protocol: str = "tcp", host_ip: str = "") -> None:
        self.host_port = host_port
        self.container_port = container_port
        self.protocol = protocol
        self.host_ip = host_ip

    @classmethod
    def from_dict(cls, raw: dict) -> PortMapping:
        return cls(int(raw["hostPort"]), int(raw["containerPort"]), str(raw.get("protocol") or "tcp").lower(),
                   str(raw.get("hostIP") or ""))


def portmap_add_rules(nat: NatTable, network: str, container_id: str, pod_ip: IPPrefix,
                      mappings: list[PortMapping], snat: bool = True) -> list[str]:
    """Top-level hostport chains (made once per node) and this pod's CNI-DN chain, as in portmap v1.1.1."""
    lines: list[str] = []
    if HOSTPORT_DNAT not in nat.chains:
        lines.append(f":{HOSTPORT_DNAT} - [0:0]")
    for hook in ("PREROUTING", "OUTPUT"):
        jump = f"-m addrtype --dst-type LOCAL -j {HOSTPORT_DNAT}"
        if (hook, jump) not in nat.rules:
            lines.append(f"-I {hook} 1 {jump}")
    if snat:
        if HOSTPORT_SETMARK not in nat.chains:
            lines += [f":{HOSTPORT_SETMARK} - [0:0]",
                      (f'-A {HOSTPORT_SETMARK} -m comment --comment "CNI portfwd masquerade mark" '
                       f"-j MARK --set-xmark {MASQ_MARK}")]
        if HOSTPORT_MASQ not in nat.chains:
            lines += [f":{HOSTPORT_MASQ} - [0:0]", f"-A {HOSTPORT_MASQ} -m mark --mark {MASQ_MARK} -j MASQUERADE"]
        jump = f'-m comment --comment "CNI portfwd requiring masquerade" -j {HOSTPORT_MASQ}'
        if ("POSTROUTING", jump) not in nat.rules:
            lines.append(f"-I POSTROUTING 1 {jump}")
    chain = dnat_chain(network, container_id)
    lines.append(f":{chain} - [0:0]")
    by_proto: dict[str, list[int]] = {}
    for m in mappings:
        by_proto.setdefault(m.protocol, []).append(m.host_port)
        dst = f"-d {m.host_ip}/32 " if m.host_ip and m.host_ip not in ("0.0.0.0", "::") else ""
        match = f"-p {m.protocol} -m {m.protocol} --dport {m.host_port}"
        if snat:  # hairpin (pod to its own hostPort) and localhost traffic need masquerading
            lines.append(f"-A {chain} -s {pod_ip.network} {dst}{match} -j {HOSTPORT_SETMARK}")
            lines.append(f"-A {chain} -s 127.0.0.1/32 {dst}{match} -j {HOSTPORT_SETMARK}")
        lines.append(f"-A {chain} {dst}{match} -j DNAT --to-destination {pod_ip.ip}:{m.container_port}")
    note = quote("dnat " + comment(network, container_id))
    for proto, ports in by_proto.items():
        for i in range(0, len(ports), 15):  # multiport takes at most 15 ports
            dports = ",".join(str(p) for p in ports[i:i + 15])
            lines.append(f"-A {HOSTPORT_DNAT} -p {proto} -m comment --comment {note} "
                         f"-m multiport --dports {dports} -j {chain}")
    return lines


def save() -> NatTable:
    import subprocess

    try:
        out = subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise CNIError(IPTABLES_FAILURE, "iptables-save failed", getattr(e, "stderr", "") or str(e)) from None
    return NatTable.parse(out)


def restore(lines: list[str]) -> None:
    """Apply nat-table lines atomically, keeping everything else (iptables-restore --noflush)."""
    if not lines:
        return
    import subprocess

    text = "*nat\n" + "\n".join(lines) + "\nCOMMIT\n"
    try:
        subprocess.run(["iptables-restore", "--noflush"], input=text, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise CNIError(IPTABLES_FAILURE, "iptables-restore failed",
                       (getattr(e, "stderr", "") or str(e)).strip() + "\n" + text) from None

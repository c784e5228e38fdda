"""A Pod's /etc/resolv.conf and /etc/hosts, as the kubelet writes them (pkg/kubelet/network/dns, dns.md)."""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_NAMESERVERS = 3
MAX_SEARCH = 32
MAX_SEARCH_CHARS = 2048


@dataclass
class ResolvConf:
    nameservers: list[str] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = []
        if self.searches:
            lines.append("search " + " ".join(self.searches))
        lines += [f"nameserver {ns}" for ns in self.nameservers]
        if self.options:
            lines.append("options " + " ".join(self.options))
        return "\n".join(lines) + "\n"


def parse_resolv_conf(text: str) -> ResolvConf:
    conf = ResolvConf()
    for line in text.splitlines():
        parts = line.split("#")[0].split()
        if not parts:
            continue
        if parts[0] == "nameserver" and len(parts) > 1:
            conf.nameservers.append(parts[1])
        elif parts[0] in ("search", "domain"):
            conf.searches = parts[1:]
        elif parts[0] == "options":
            conf.options += parts[1:]
    return conf


def _dedup(items: list[str]) -> list[str]:
    seen, out = set(), []
    for i in items:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out


def _merge_options(base: list[str], extra: list[dict]) -> list[str]:
    """dnsConfig options merge by name; dnsConfig wins (kubelet mergeDNSOptions)."""
    merged: dict[str, str | None] = {}
    for opt in base:
        name, _, value = opt.partition(":")
        merged[name] = value or None
    for opt in extra:
        merged[opt["name"]] = opt.get("value")
    return [f"{k}:{v}" if v is not None else k for k, v in merged.items()]


def pod_resolv_conf(pod: dict, node_resolv: ResolvConf, cluster_dns: str, cluster_domain: str) -> ResolvConf:
    spec = pod.get("spec", {})
    policy = spec.get("dnsPolicy", "ClusterFirst")
    if spec.get("hostNetwork") and policy == "ClusterFirst":
        policy = "Default"  # hostNetwork Pods silently get the node's resolv.conf
    namespace = pod["metadata"].get("namespace", "default")
    if policy in ("ClusterFirst", "ClusterFirstWithHostNet"):
        conf = ResolvConf([cluster_dns],
                          [f"{namespace}.svc.{cluster_domain}", f"svc.{cluster_domain}", cluster_domain]
                          + node_resolv.searches, ["ndots:5"])
    elif policy == "Default":
        conf = ResolvConf(list(node_resolv.nameservers), list(node_resolv.searches), list(node_resolv.options))
    else:  # None: everything from dnsConfig
        conf = ResolvConf()
    dns_config = spec.get("dnsConfig") or {}
    conf.nameservers = _dedup(conf.nameservers + list(dns_config.get("nameservers") or []))[:MAX_NAMESERVERS]
    conf.searches = _dedup(conf.searches + list(dns_config.get("searches") or []))
    conf.searches = _limit_searches(conf.searches)
    conf.options = _merge_options(conf.options, dns_config.get("options") or [])
    return conf


def _limit_searches(searches: list[str]) -> list[str]:
    out, chars = [], 0
    for s in searches[:MAX_SEARCH]:
        if chars + len(s) + 1 > MAX_SEARCH_CHARS:
            break
        out.append(s)
        chars += len(s) + 1
    return out


def pod_hosts_file(pod: dict, pod_ip: str, cluster_domain: str) -> str:
    """kubelet's managed /etc/hosts: localhost entries, the Pod's own name (FQDN with a subdomain), hostAliases."""
    spec, meta = pod.get("spec", {}), pod["metadata"]
    hostname = spec.get("hostname") or meta["name"]
    lines = ["# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
             "fe00::0\tip6-localnet", "fe00::0\tip6-mcastprefix", "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"]
    if pod_ip:
        if spec.get("subdomain"):
            fqdn = f"{hostname}.{spec['subdomain']}.{meta.get('namespace', 'default')}.svc.{cluster_domain}"
            lines.append(f"{pod_ip}\t{fqdn}\t{hostname}")
        else:
            lines.append(f"{pod_ip}\t{hostname}")
    aliases = spec.get("hostAliases") or []
    if aliases:
        lines.append("\n# Entries added by HostAliases.")
        for alias in aliases:
            lines.append(f"{alias['ip']}\t" + "\t".join(alias.get("hostnames") or []))
    return "\n".join(lines) + "\n"

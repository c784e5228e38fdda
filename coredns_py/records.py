"""KubernetesPlugin: answers `cluster.local` and the cluster's reverse names from a ClusterZone.

Record shapes follow the Kubernetes DNS-Based Service Discovery specification (schema 1.1.0, section
numbers below) and CoreDNS's kubernetes plugin where the spec is silent (see shared/reference/dns.md).
Names outside the zone go to the next handler (forward.py), as `fallthrough` does in a Corefile.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from dnslib import AAAA, CNAME, NS, PTR, QTYPE, RCODE, RR, SOA, SRV, TXT, A, DNSQuestion, DNSRecord

from coredns_py.chain import Handler, Reply, Request
from coredns_py.model import PortSpec, Service, ip_from_dashed
from coredns_py.zone import ClusterZone, ReadyEndpoint

SCHEMA_VERSION = "1.1.0"  # spec 2.2: dns-version TXT
DNS_VERSION_TTL = 28800  # what CoreDNS uses for dns-version
MAX_CNAME_CHAIN = 8
REVERSE_ZONES = ("in-addr.arpa.", "ip6.arpa.")


class _Answer:
    """What one lookup found: rcode, answer and additional records, and which zone's SOA goes in
    Authority for a negative answer."""

    __slots__ = ("additional", "answer", "cacheable", "rcode", "soa_zone")

    def __init__(self, rcode: int = RCODE.NOERROR, answer: list[RR] | None = None,
                 additional: list[RR] | None = None, soa_zone: str | None = None) -> None:
        self.rcode = rcode
        self.answer = answer or []
        self.additional = additional or []
        self.soa_zone = soa_zone
        self.cacheable = True


class KubernetesPlugin:
    def __init__(self, zone: ClusterZone, next_handler: Handler | None = None, ttl: int = 5) -> None:
        self.zone = zone
        self.next = next_handler
        self.ttl = ttl

    async def serve(self, request: Request) -> Reply:
        name = request.qname.lower()
        qtype = request.qtype
        in_zone = name == self.zone.origin or name.endswith("." + self.zone.origin)
        if qtype in (QTYPE.AXFR, QTYPE.IXFR) and (in_zone or name.endswith(REVERSE_ZONES)):
            # Zone transfers of a cluster's service list are refused, as CoreDNS does without `transfer`.
            return Reply(self._message(request, _Answer(RCODE.REFUSED)), cacheable=True)
        if in_zone:
            found = await self._lookup(request, request.qname, qtype, depth=0)
        elif name.endswith(REVERSE_ZONES) and (found := self._reverse(request.qname, qtype)) is not None:
            pass
        elif self.next is not None:
            return await self.next.serve(request)
        else:
            return Reply(self._message(request, _Answer(RCODE.REFUSED)), cacheable=True)
        return Reply(self._message(request, found), cacheable=found.cacheable)

    # ---- forward zone ----

    async def _lookup(self, request: Request, owner: str, qtype: int, depth: int) -> _Answer:
        origin = self.zone.origin
        relative = owner.lower()[: -len(origin)].rstrip(".")
        labels = relative.split(".") if relative else []
        found = self._lookup_labels(owner, labels, qtype)
        if isinstance(found, str):  # an ExternalName: CNAME, then chase the target (spec 2.4.3 / RFC 1034 3.6.2)
            return await self._chase(request, owner, found, qtype, depth)
        return found

    def _lookup_labels(self, owner: str, labels: list[str], qtype: int) -> _Answer | str:
        zone = self.zone
        if any("*" in label for label in labels):
            return self._nxdomain()  # wildcards were removed from the spec (and from CoreDNS 1.9)
        if not labels:
            return self._apex(owner, qtype)
        if labels == ["dns-version"]:
            if qtype in (QTYPE.TXT, QTYPE.ANY):
                return _Answer(answer=[RR(owner, QTYPE.TXT, rdata=TXT(SCHEMA_VERSION), ttl=DNS_VERSION_TTL)])
            return self._nodata()
        if labels == ["ns", "dns"]:  # the SOA's MNAME: the cluster DNS service's own address
            dns_service = zone.service("kube-system", "kube-dns")
            return self._addresses(owner, dns_service.cluster_ips if dns_service else (), qtype)
        if labels in (["svc"], ["pod"], ["dns"]):
            return self._nodata()  # empty non-terminals: the name exists, no data (RFC 8020)
        kind = labels[-1]
        if kind not in ("svc", "pod"):
            return self._nxdomain()
        namespace = labels[-2]
        if not zone.namespace_exists(namespace):
            return self._nxdomain()
        if len(labels) == 2:
            return self._nodata()
        if kind == "pod":
            return self._pod(owner, labels[:-2], qtype)
        service = zone.service(namespace, labels[-3])
        if service is None:
            return self._nxdomain()
        if service.external_name is not None:
            return service.external_name if len(labels) == 3 else self._nxdomain()
        if len(labels) == 3:
            return self._service(owner, service, qtype)
        if len(labels) == 4:
            return self._endpoint(owner, service, labels[0], qtype)
        if len(labels) == 5 and labels[0].startswith("_") and labels[1].startswith("_"):
            return self._srv(owner, service, labels[0][1:], labels[1][1:], qtype)
        return self._nxdomain()

    def _apex(self, owner: str, qtype: int) -> _Answer:
        if qtype == QTYPE.SOA:
            return _Answer(answer=[self._soa_rr(self.zone.origin, owner)])
        if qtype == QTYPE.NS:
            ns_name = "ns.dns." + self.zone.origin
            dns_service = self.zone.service("kube-system", "kube-dns")
            glue = self._addresses(ns_name, dns_service.cluster_ips if dns_service else (), QTYPE.ANY).answer
            return _Answer(answer=[RR(owner, QTYPE.NS, rdata=NS(ns_name), ttl=self.ttl)], additional=glue)
        return self._nodata()

    def _service(self, owner: str, service: Service, qtype: int) -> _Answer:
        if service.headless:
            endpoints = self.zone.ready_endpoints(service.namespace, service.name)
            if not endpoints:
                return self._nxdomain()  # spec 2.4.1: a headless service without ready endpoints has no records
            if qtype == QTYPE.SRV:
                return self._srv(owner, service, None, None, qtype)
            return self._addresses(owner, [e.address for e in endpoints], qtype)
        if qtype == QTYPE.SRV:
            return self._srv(owner, service, None, None, qtype)
        return self._addresses(owner, service.cluster_ips, qtype)

    def _endpoint(self, owner: str, service: Service, label: str, qtype: int) -> _Answer:
        # Spec 2.4.1 (headless) and CoreDNS for ClusterIP services: <hostname or dashed-ip>.<svc>.<ns>.svc.<zone>
        addresses = [e.address for e in self.zone.ready_endpoints(service.namespace, service.name) if e.label == label]
        if not addresses:
            return self._nxdomain()
        return self._addresses(owner, addresses, qtype)

    def _srv(self, owner: str, service: Service, port_name: str | None, protocol: str | None, qtype: int) -> _Answer:
        """Spec 2.3.2 / 2.4.2: one SRV per named port (per ready endpoint for headless services); a bare
        service name (port_name None) lists all ports, as CoreDNS does."""

        def matches(port: PortSpec) -> bool:
            if port_name is None:
                return True
            return port.name != "" and port.name.lower() == port_name and port.protocol == protocol

        fqdn = self.zone.service_fqdn(service)
        entries: list[tuple[str, int, list[str]]] = []  # (target, port, target addresses)
        if service.headless:
            endpoints: tuple[ReadyEndpoint, ...] = self.zone.ready_endpoints(service.namespace, service.name)
            for endpoint in endpoints:
                for port in endpoint.ports:
                    if matches(port):
                        entries.append((f"{endpoint.label}.{fqdn}", port.port, [endpoint.address]))
        else:
            for port in service.ports:
                if matches(port):
                    entries.append((fqdn, port.port, list(service.cluster_ips)))
        if not entries:
            return self._nxdomain()  # unknown port or protocol label
        if qtype not in (QTYPE.SRV, QTYPE.ANY):
            return self._nodata()
        weight = 100 // len(entries)
        answer, additional, glued = [], [], set()
        for target, port, addresses in entries:
            answer.append(RR(owner, QTYPE.SRV, rdata=SRV(0, weight, port, target), ttl=self.ttl))
            if target not in glued:
                glued.add(target)
                additional.extend(self._addresses(target, addresses, QTYPE.ANY).answer)
        return _Answer(answer=answer, additional=additional)

    def _pod(self, owner: str, labels: list[str], qtype: int) -> _Answer:
        # `pods insecure` (kubeadm's default): any IP-shaped label in an existing namespace answers that IP.
        address = ip_from_dashed(labels[0]) if len(labels) == 1 else None
        if address is None:
            return self._nxdomain()
        return self._addresses(owner, [address], qtype)

    def _addresses(self, owner: str, addresses: Iterable[str], qtype: int) -> _Answer:
        """A and AAAA at a name that exists: the wrong family (or another type) is NODATA, not NXDOMAIN."""
        records = []
        for address in addresses:
            ip = ipaddress.ip_address(address)
            if ip.version == 4 and qtype in (QTYPE.A, QTYPE.ANY):
                records.append(RR(owner, QTYPE.A, rdata=A(str(ip)), ttl=self.ttl))
            elif ip.version == 6 and qtype in (QTYPE.AAAA, QTYPE.ANY):
                records.append(RR(owner, QTYPE.AAAA, rdata=AAAA(str(ip)), ttl=self.ttl))
        return _Answer(answer=records) if records else self._nodata()

    async def _chase(self, request: Request, owner: str, target: str, qtype: int, depth: int) -> _Answer:
        cname = RR(owner, QTYPE.CNAME, rdata=CNAME(target), ttl=self.ttl)
        if qtype == QTYPE.CNAME or depth >= MAX_CNAME_CHAIN:
            return _Answer(answer=[cname])
        origin = self.zone.origin
        if target == origin or target.endswith("." + origin):
            chased = await self._lookup(request, target, qtype, depth + 1)
        elif self.next is not None:
            upstream = await self.next.serve(Request(DNSRecord(q=DNSQuestion(target, qtype)), request.transport))
            chased = _Answer(upstream.message.header.rcode, list(upstream.message.rr))
            chased.cacheable = False  # the upstream part has its own TTLs; forward.py caches it
        else:
            return _Answer(answer=[cname])
        # RFC 6604 2.1: the rcode is that of the last name in the chain; the CNAME itself stays in Answer.
        chased.answer.insert(0, cname)
        return chased

    # ---- reverse zones ----

    def _reverse(self, owner: str, qtype: int) -> _Answer | None:
        """PTR for cluster IPs and ready endpoint IPs (spec 2.3.3, 2.4.3); None lets the query fall through
        to the next handler, except inside the cluster's own ranges where the zone is authoritative."""
        address = _ip_from_reverse(owner.lower())
        if address is None:
            return None
        names = self.zone.names_for_ip(address)
        soa_zone = REVERSE_ZONES[0] if ":" not in address else REVERSE_ZONES[1]
        if not names:
            if not self.zone.in_cluster_networks(address):
                return None
            found = self._nxdomain()
        elif qtype in (QTYPE.PTR, QTYPE.ANY):
            found = _Answer(answer=[RR(owner, QTYPE.PTR, rdata=PTR(n), ttl=self.ttl) for n in names])
        else:
            found = self._nodata()
        found.soa_zone = soa_zone
        return found

    # ---- messages ----

    def _nxdomain(self) -> _Answer:
        return _Answer(RCODE.NXDOMAIN, soa_zone=self.zone.origin)

    def _nodata(self) -> _Answer:
        return _Answer(RCODE.NOERROR, soa_zone=self.zone.origin)

    def _soa_rr(self, zone: str, owner: str | None = None) -> RR:
        # dns.md: <zone> 5 IN SOA ns.dns.<zone> hostmaster.<zone> <serial> 7200 1800 86400 5
        soa = SOA("ns.dns." + zone, "hostmaster." + zone, (self.zone.serial, 7200, 1800, 86400, self.ttl))
        return RR(owner or zone, QTYPE.SOA, rdata=soa, ttl=self.ttl)

    def _message(self, request: Request, found: _Answer) -> DNSRecord:
        rcode = found.rcode
        if rcode == RCODE.NXDOMAIN and not self.zone.synced:
            rcode = RCODE.SERVFAIL  # before the watch caches synced, "no such name" is not yet known
        reply = request.message.reply(ra=1, aa=1 if rcode != RCODE.REFUSED else 0)
        reply.header.rcode = rcode
        for record in found.answer:
            reply.add_answer(record)
        if rcode != RCODE.SERVFAIL and not found.answer and found.soa_zone is not None:
            reply.add_auth(self._soa_rr(found.soa_zone))  # RFC 2308: negative answers carry the SOA
        for record in found.additional:
            reply.add_ar(record)
        return reply


def _ip_from_reverse(name: str) -> str | None:
    """1.0.96.10.in-addr.arpa. -> 10.96.0.1; 32 nibbles under ip6.arpa. -> the IPv6 address."""
    if name.endswith(".in-addr.arpa."):
        parts = name[: -len(".in-addr.arpa.")].split(".")
        if len(parts) != 4:
            return None
        text = ".".join(reversed(parts))
    elif name.endswith(".ip6.arpa."):
        nibbles = name[: -len(".ip6.arpa.")].split(".")
        if len(nibbles) != 32 or any(len(n) != 1 for n in nibbles):
            return None
        digits = "".join(reversed(nibbles))
        text = ":".join(digits[i : i + 4] for i in range(0, 32, 4))
    else:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None

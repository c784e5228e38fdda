"""Chain names exactly as kube-proxy derives them, so a learner sees the same names as on a real node.

kube-proxy hashes a service port's name (plus the endpoint for SEP chains) with SHA-256, encodes it in
base32 (RFC 4648 alphabet) and keeps 16 characters: iptables chain names must stay within 28 characters.

The hash is shared by the modes; each mode's names are its own and belong here beside the iptables ones (the
KUBE-SVC-/SEP-/... prefixes below). kube-proxy's nftables mode, for one, keeps 8 characters and appends the
readable name, as in `service-NWBZK7IH-kube-system/kube-dns/udp/dns`, since nftables names may be long.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from kubenet.proxy.serviceport import ServicePortName

SVC_PREFIX = "KUBE-SVC-"
SVL_PREFIX = "KUBE-SVL-"
EXT_PREFIX = "KUBE-EXT-"
FW_PREFIX = "KUBE-FW-"
SEP_PREFIX = "KUBE-SEP-"
# Every per-service chain starts with one of these; stale-chain clean-up only ever touches these.
SERVICE_CHAIN_PREFIXES = (SVC_PREFIX, SVL_PREFIX, EXT_PREFIX, FW_PREFIX, SEP_PREFIX)


@functools.lru_cache(maxsize=16384)
def hash16(text: str) -> str:
    """First 16 base32 characters of SHA-256(text). Cached: every sync names the chains of every Service (the
    top-level chains jump to them), so at 1,000 Services hashing alone was ~40% of a partial sync's rendering."""
    digest = hashlib.sha256(text.encode()).digest()
    return base64.b32encode(digest).decode()[:16]


def port_chain_suffix(name: ServicePortName) -> str:
    # "<ns>/<svc>:<portname><proto>", proto in lower case; the ":<portname>" part is absent for an
    # unnamed port (ServicePortName.String() in kube-proxy).
    return hash16(f"{name}{name.protocol.lower()}")


def service_chain(name: ServicePortName) -> str:
    return SVC_PREFIX + port_chain_suffix(name)


def local_service_chain(name: ServicePortName) -> str:
    return SVL_PREFIX + port_chain_suffix(name)


def external_chain(name: ServicePortName) -> str:
    return EXT_PREFIX + port_chain_suffix(name)


def firewall_chain(name: ServicePortName) -> str:
    return FW_PREFIX + port_chain_suffix(name)


def endpoint_chain(name: ServicePortName, endpoint: str) -> str:
    """KUBE-SEP chain for one endpoint given as "ip:port"."""
    return SEP_PREFIX + hash16(f"{name}{name.protocol.lower()}{endpoint}")


def is_service_chain(chain: str) -> bool:
    return chain.startswith(SERVICE_CHAIN_PREFIXES)

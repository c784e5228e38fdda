"""The plugin chain's contract: a request goes through small objects that each have one `serve` method.

As in CoreDNS, a handler either answers or hands the request to the next handler (kubernetes zone →
forward); the server in front keeps the cache of packed answers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from dnslib import DNSRecord


@dataclass
class Request:
    message: DNSRecord  # the parsed query (exactly one question; server.py rejects anything else)
    transport: str = "udp"  # "udp" or "tcp"

    @property
    def qname(self) -> str:
        """The question name as sent (case kept for the echo), with the trailing dot."""
        return str(self.message.q.qname)

    @property
    def qtype(self) -> int:
        return self.message.q.qtype


@dataclass
class Reply:
    message: DNSRecord
    # True when the answer depends only on zone data, so the server may cache its packed bytes until the
    # next zone change; forwarded answers have their own TTL-keeping cache in forward.py.
    cacheable: bool = False


class Handler(Protocol):
    async def serve(self, request: Request) -> Reply: ...

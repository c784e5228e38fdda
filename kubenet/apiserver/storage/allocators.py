"""Service ClusterIP and NodePort allocation (pkg/registry/core/service/ipallocator, portallocator).

The allocation state is the set of Services in the store, rebuilt at start-up, so allocations survive
restarts and are released by deleting the Service. Random picks come from the upper part of each range; the
lower band is left for static requests, as the real allocators do since KEP-3070/3668.
"""
from __future__ import annotations

import ipaddress
import random


class AllocationError(Exception):
    pass


class ClusterIPAllocator:
    def __init__(self, cidr: str = "10.96.0.0/12", reserved: tuple[str, ...] = ()):
        self.network = ipaddress.ip_network(cidr)
        self.used: set[str] = set()
        self.reserved = set(reserved)
        size = self.network.num_addresses
        self._static_band = min(max(16, size // 16), 256)


    def contains(self, ip: str) -> bool:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return addr in self.network and addr not in (self.network.network_address, self.network.broadcast_address)

    def allocate(self, ip: str | None = None, commit: bool = True) -> str:
        if ip:
            if not self.contains(ip):
                raise AllocationError(f"the provided IP ({ip}) is not in the valid range. The range of valid IPs "
                                      f"is {self.network}")
            if ip in self.used:
                raise AllocationError(f"the provided IP ({ip}) is already allocated")
        else:
            base = int(self.network.network_address)
            size = self.network.num_addresses
            for _ in range(4096):
                candidate = str(ipaddress.ip_address(base + random.randrange(self._static_band, size - 1)))
                if candidate not in self.used and candidate not in self.reserved:
                    ip = candidate
                    break
            else:
                raise AllocationError("range is full")
        if commit:
            self.used.add(ip)
        return ip

    def release(self, ip: str | None) -> None:
        if ip:
            self.used.discard(ip)


class NodePortAllocator:
    def __init__(self, low: int = 30000, high: int = 32767):
        self.low, self.high = low, high
        self.used: set[tuple[int, str]] = set()  # (port, protocol)
        size = high - low + 1
        self._static_band = min(max(16, size // 32), 128)


    def allocate(self, protocol: str, port: int | None = None, commit: bool = True) -> int:
        if port:
            if not self.low <= port <= self.high:
                raise AllocationError(f"provided port is not in the valid range. The range of valid ports is "
                                      f"{self.low}-{self.high}")
            if (port, protocol) in self.used:
                raise AllocationError("provided port is already allocated")
        else:
            for _ in range(4096):
                candidate = random.randint(self.low + self._static_band, self.high)
                if (candidate, protocol) not in self.used:
                    port = candidate
                    break
            else:
                raise AllocationError("range is full")
        if commit:
            self.used.add((port, protocol))
        return port

    def release(self, protocol: str, port: int | None) -> None:
        if port:
            self.used.discard((port, protocol))

"""ResponseCache: packed answers keyed by the query's bytes after the ID.

The key (flags, counts, question with its case, EDNS OPT) fixes the whole answer except the 2-byte ID, so a
hit costs one dict lookup and one concatenation, with no DNS parsing (ARCHITECTURE.md, DNS performance
notes). Only zone answers are stored, and the zone clears the cache on every change, so a hit is never
stale; `generation` lets a miss that raced with a change avoid storing what it computed from old data.
"""
from __future__ import annotations


class ResponseCache:
    def __init__(self, max_entries: int = 20000) -> None:
        self.max_entries = max_entries
        self.udp: dict[bytes, bytes] = {}
        self.tcp: dict[bytes, bytes] = {}
        self.generation = 0

    def table(self, transport: str) -> dict[bytes, bytes]:
        return self.udp if transport == "udp" else self.tcp

    def put(self, transport: str, key: bytes, value: bytes, generation: int) -> None:
        if generation != self.generation:
            return  # the zone changed while this answer was computed
        table = self.table(transport)
        if len(table) >= self.max_entries:
            # Random names (typos, probes) must not grow memory without bound; a full cache simply starts over.
            table.clear()
        table[key] = value

    def clear(self) -> None:
        self.generation += 1
        self.udp.clear()
        self.tcp.clear()

    def __len__(self) -> int:
        return len(self.udp) + len(self.tcp)

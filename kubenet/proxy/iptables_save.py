"""Reading iptables-save (and iptables-restore input) text: per table, the chains declared, each chain's `-A` rules
in order, and the chains a restore deletes (`-X`).

kube-proxy reads the kernel's tables with it each sync (canaries, stale chains; pkg/util/iptables' GetChainsFromTable
reads the same `:CHAIN` lines), and the tests read rendered rules and the kernel's answer with it, as upstream's
assertIPTablesRulesEqual compares rules in order within a chain only.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SavedTable:
    chains: set[str] = field(default_factory=set)  # declared with `:CHAIN POLICY [packets:bytes]`
    rules: dict[str, list[str]] = field(default_factory=dict)  # chain → its whole `-A CHAIN ...` lines, in order
    deleted: set[str] = field(default_factory=set)  # `-X CHAIN` (only in restore input)

    def rule_lines(self) -> set[str]:
        return {line for lines in self.rules.values() for line in lines}


def parse_save(text: str) -> dict[str, SavedTable]:
    """{table: SavedTable} for every `*table` section; lines outside a section are ignored."""
    tables: dict[str, SavedTable] = {}
    table: SavedTable | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("*"):
            table = tables.setdefault(line[1:], SavedTable())
        elif table is None:
            continue
        elif line.startswith(":"):
            table.chains.add(line[1:].split()[0])
        elif line.startswith("-A "):
            table.rules.setdefault(line.split()[1], []).append(line)
        elif line.startswith("-X "):
            table.deleted.add(line.split()[1])
    return tables

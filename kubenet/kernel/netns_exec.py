"""Running the iptables / conntrack tools inside a node's network namespace.

A node netns is entered with `ip netns exec NAME ...`, the same way an operator would do it by hand, so a
command in a log can be pasted into a shell. netns=None means the current namespace (a node that is a VM).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from kubenet.kernel import KernelError


class CommandError(KernelError):
    """A tool exited non-zero; carries what it printed so the cause reaches the log."""

    def __init__(self, argv: list[str], returncode: int, stdout: str, stderr: str) -> None:
        super().__init__(f"{' '.join(argv)} exited {returncode}: {stderr.strip() or stdout.strip()}")
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


@dataclass(frozen=True)
class NetnsExec:
    netns: str | None = None
    timeout: float = 30.0

    def argv(self, args: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *args] if self.netns else list(args)

    def run(
        self, args: list[str], input_text: str | None = None, ok_codes: tuple[int, ...] = (0,)
    ) -> subprocess.CompletedProcess[str]:
        argv = self.argv(args)
        try:
            proc = subprocess.run(
                argv, check=False, input=input_text, capture_output=True, text=True, timeout=self.timeout
            )
        except (OSError, subprocess.TimeoutExpired) as err:  # tool missing, or hung on the xtables lock
            raise CommandError(argv, -1, "", str(err)) from err
        if proc.returncode not in ok_codes:
            raise CommandError(argv, proc.returncode, proc.stdout, proc.stderr)
        return proc

"""Typed CNI errors; turned into the spec's error JSON only at the edge (main.py, api.py).

Codes follow CNI SPEC "Error" section (1.0.0 / 1.1.0); 100+ are ours.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


# CNI SPEC, section "Error": well-known codes 1-99 are reserved for the spec.
INCOMPATIBLE_VERSION = 1
UNSUPPORTED_FIELD = 2
UNKNOWN_CONTAINER = 3
INVALID_ENV = 4
IO_FAILURE = 5
DECODE_FAILURE = 6
INVALID_CONFIG = 7
TRY_AGAIN_LATER = 11
# SPEC 1.1 STATUS: 50 = cannot service ADD; 51 = not available and existing pods may be degraded.
NOT_AVAILABLE = 50
NOT_AVAILABLE_DEGRADED = 51

# Plugin-specific codes (SPEC: "Error codes 100+ can be freely used for plugin specific errors").
INTERFACE_EXISTS = 100
IPAM_EXHAUSTED = 101
IPAM_DUPLICATE = 102
NETLINK_FAILURE = 103
IPTABLES_FAILURE = 104
CHECK_FAILED = 105
PLUGIN_EXEC_FAILURE = 106


class CNIError(Exception):
    """An error a CNI plugin reports: `code`, `msg`, `details` (CNI SPEC "Error")."""

    def __init__(self, code: int, msg: str, details: str = "") -> None:
        super().__init__(f"[{code}] {msg}" + (f": {details}" if details else ""))
        self.code = code
        self.msg = msg
        self.details = details

    def to_json(self, cni_version: str = "1.1.0") -> dict[str, Any]:
        out: dict[str, Any] = {"cniVersion": cni_version, "code": self.code, "msg": self.msg}
        if self.details:
            out["details"] = self.details
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> CNIError:
        return cls(int(obj.get("code", PLUGIN_EXEC_FAILURE)), str(obj.get("msg", "")), str(obj.get("details", "")))

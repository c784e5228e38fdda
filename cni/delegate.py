"""Running another CNI plugin binary (a type we do not implement in-process), as libcni does.

SPEC section 2 ("Execution protocol") and section 4 ("Plugin delegation"): find the type in CNI_PATH,
pass the same environment with the config on stdin, read a result or an error from stdout.
"""
from __future__ import annotations

import json
import os

from .errors import INVALID_CONFIG, PLUGIN_EXEC_FAILURE, CNIError
from .spec import Invocation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_PATH = ["/opt/cni/bin", "/usr/libexec/cni", "/usr/lib/cni"]


def find_plugin(plugin_type: str, path: list[str]) -> str:
    if "/" in plugin_type:
        raise CNIError(INVALID_CONFIG, f"invalid plugin type {plugin_type!r}")
    for d in path or DEFAULT_PATH:
        candidate = os.path.join(d, plugin_type)
        if os.access(candidate, os.X_OK):
            return candidate
    raise CNIError(INVALID_CONFIG, f"failed to find plugin {plugin_type!r} in path", ":".join(path or DEFAULT_PATH))


def exec_plugin(conf: dict[str, Any], inv: Invocation) -> dict[str, Any] | None:
    """Run the binary for conf["type"]; returns its parsed stdout (None when empty); raises its CNIError."""
    import subprocess

    binary = find_plugin(conf["type"], inv.path)
    env = dict(os.environ)
    env.update(inv.env())
    if not inv.path:
        env["CNI_PATH"] = ":".join(DEFAULT_PATH)
    proc = subprocess.run([binary], input=json.dumps(conf).encode(), env=env, capture_output=True, check=False)
    out = proc.stdout.strip()
    parsed: Any = None
    if out:
        try:
            parsed = json.loads(out)
        except ValueError:
            raise CNIError(PLUGIN_EXEC_FAILURE, f"plugin {conf['type']} wrote invalid JSON",
                           out.decode(errors="replace")[:500]) from None
    if proc.returncode != 0:
        if isinstance(parsed, dict) and "code" in parsed:
            raise CNIError.from_json(parsed)
        raise CNIError(PLUGIN_EXEC_FAILURE, f"plugin {conf['type']} failed (exit {proc.returncode})",
                       proc.stderr.decode(errors="replace")[-500:])
    return parsed

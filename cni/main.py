"""The executable door: a CNI plugin binary (`kubenet-cni`, `python -m cni`) for one plugin config.

SPEC section 2: parameters from the environment, the config on stdin, the result or an error JSON on
stdout, logs on stderr. The type in the config picks the plugin, so one executable can be installed
under the names kubenet-bridge, bridge, host-local, portmap and loopback. Start-up stays light: no
pyroute2, only the standard library and our own netlink module, and not even the os module: importing it
(with the _collections_abc classes behind os.environ) is ~0.9 ms of CPU, so the modules an ADD or DEL runs
call its C half, posix, which os re-exports (os.open is posix.open).
"""
from __future__ import annotations

import posix
import sys

from . import jsonio
from .errors import INVALID_CONFIG, CNIError
from .spec import LATEST, convert_result, decode_config, invocation_from_env, validate_plugin_config, version_result

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import BinaryIO, TextIO

INTERNAL_ERROR = 199  # an unexpected exception; the traceback goes to stderr


def log(text: str, env: Mapping[str, str]) -> None:
    # Logs go to stderr (SPEC section 2: stdout is only for the result or the error).
    if env.get("KUBENET_CNI_LOG", "").upper() != "SILENT":
        sys.stderr.write(f"kubenet-cni: {text}\n")


def _requested_version(raw: bytes) -> str:
    """The config's cniVersion if it can be read at all, for the error JSON of early failures."""
    try:
        version = jsonio.loads(raw).get("cniVersion")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return LATEST
    return version if isinstance(version, str) and version else LATEST


def run(env: Mapping[str, str], stdin: BinaryIO, stdout: TextIO) -> int:
    raw = stdin.read()
    version = _requested_version(raw)
    try:
        if env.get("CNI_COMMAND") == "VERSION":
            # SPEC "VERSION": stdin holds only {"cniVersion": ...}; answer with what we support.
            stdout.write(jsonio.dumps(version_result(version)))
            return 0
        inv = invocation_from_env(env)
        conf = decode_config(raw)
        version = validate_plugin_config(conf, inv.command)
        from .plugins import PLUGINS, run_plugin  # after validation: bad input never pays for imports

        if conf["type"] not in PLUGINS:  # this door runs only our own types, never execs others
            raise CNIError(INVALID_CONFIG, f"unknown plugin type {conf['type']!r}",
                           "this executable implements " + ", ".join(sorted(PLUGINS)))
        result = run_plugin(conf, inv)
        if inv.command == "ADD":
            stdout.write(jsonio.dumps(convert_result(result or {}, version)))
        return 0
    except CNIError as e:
        log(str(e), env)
        stdout.write(jsonio.dumps(e.to_json(version)))
        return 1
    except Exception as e:  # noqa: BLE001 - still answer in the protocol, never with a bare traceback on stdout
        import traceback

        log("unexpected failure\n" + traceback.format_exc(), env)
        stdout.write(jsonio.dumps(CNIError(INTERNAL_ERROR, "internal error", repr(e)).to_json(version)))
        return 1


def environ() -> dict[str, str]:
    """The process environment as os.environ decodes it (the filesystem encoding, surrogateescape)."""
    encoding, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
    return {k.decode(encoding, errors): v.decode(encoding, errors) for k, v in posix.environ.items()}


def main(argv: list[str] | None = None) -> int:
    return run(environ(), sys.stdin.buffer, sys.stdout)


def exit_now(code: int) -> None:
    """Flush the answer and end the process without the interpreter's finalization (module teardown, GC):
    a run is one command, so there is nothing to clean up, and skipping it saves ~10% of a run's CPU."""
    sys.stdout.flush()
    sys.stderr.flush()
    posix._exit(code)



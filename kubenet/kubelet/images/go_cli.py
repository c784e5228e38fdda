"""What the Go programs in our images look like from the command line: flags like Go's `flag`/pflag, log lines
like Go's `log`, durations, encoding/json, and the texts of Go's net errors ("dial tcp 10.0.0.1:80: connect:
connection refused"). Light on purpose: `agnhost pause` and friends import only this.
"""
from __future__ import annotations

import errno
import json
import re
import signal
import socket
import sys
import time
from typing import NoReturn


# --- log ----------------------------------------------------------------------------------------------
def go_log(message: str) -> None:
    """A line as Go's log.Printf writes it: `2006/01/02 15:04:05 message` on stderr."""
    sys.stderr.write(time.strftime("%Y/%m/%d %H:%M:%S ") + message.rstrip("\n") + "\n")
    sys.stderr.flush()


def go_fatal(message: str) -> NoReturn:
    go_log(message)
    sys.exit(1)


# --- flags --------------------------------------------------------------------------------------------
class FlagError(Exception):
    pass


def parse_flags(argv: list[str], defaults: dict[str, object]) -> tuple[dict[str, object], list[str]]:
    """Go-style flags: `-name value`, `--name=value`; a bool default makes `-name` alone mean true.

    Returns (values, positional arguments). Types follow the defaults (bool, int, float, str).
    """
    values = dict(defaults)
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            rest += argv[i:]
            break
        if not arg.startswith("-") or arg == "-":
            rest.append(arg)
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        if name not in defaults:
            raise FlagError(f"unknown flag: {arg.split('=', 1)[0]}")
        kind = type(defaults[name])
        if kind is bool:
            if eq and value.lower() not in ("1", "t", "true", "0", "f", "false"):
                raise FlagError(f'invalid argument "{value}" for "{arg.split("=", 1)[0]}" flag')
            values[name] = not eq or value.lower() in ("1", "t", "true")
            continue
        if not eq:
            if i >= len(argv):
                raise FlagError(f"flag needs an argument: {arg}")
            value = argv[i]
            i += 1
        try:
            values[name] = kind(value)
        except ValueError:
            raise FlagError(f'invalid argument "{value}" for "{arg.split("=", 1)[0]}" flag') from None
    return values, rest


_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go's time.ParseDuration ("1.5s", "1m30s", "100ms", "0") in seconds; ValueError when it is not one."""
    if text in ("0", "+0", "-0"):
        return 0.0
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", text.lstrip("+-"))
    if not parts or "".join(n + u for n, u in parts) != text.lstrip("+-"):
        raise ValueError(f'time: invalid duration "{text}"')
    total = sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    return -total if text.startswith("-") else total


def format_duration(seconds: float) -> str:
    """Go's Duration.String() for the values our programs print ("0s", "1s", "1.5s", "100ms", "1m30s")."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        for unit, scale in (("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
            if seconds >= scale:
                return f"{seconds / scale:.9g}{unit}"
    hours, rem = divmod(seconds, 3600)
    minutes, secs = divmod(rem, 60)
    out = f"{int(hours)}h" if hours else ""
    out += f"{int(minutes)}m" if hours or minutes else ""
    return out + f"{secs:.9f}".rstrip("0").rstrip(".") + "s"



def canonical_header_key(key: str) -> str:
    """textproto.CanonicalMIMEHeaderKey: "x-forwarded-for" → "X-Forwarded-For"."""
    return "-".join(p[:1].upper() + p[1:].lower() for p in key.split("-"))


def join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def go_json(value, sort_keys: bool = True) -> str:
    """encoding/json.Marshal: compact, map keys sorted, <, > and & escaped as \\u003c, \\u003e, \\u0026."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def exit_on(signals: tuple[int, ...], code: int = 0) -> None:
    for sig in signals:
        signal.signal(sig, lambda *_: sys.exit(code))


def hostname() -> str:
    """os.Hostname(): the Pod's UTS hostname (the Pod name)."""
    return socket.gethostname()


# --- net errors ------------------------------------------------------------------------------------------
def os_error_text(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower() if exc.errno != errno.ETIMEDOUT else "i/o timeout"


def dial_error(op: str, network: str, address: str, exc: BaseException) -> str:
    """Go's *net.OpError text: `dial tcp 10.0.0.1:80: connect: connection refused`, `... i/o timeout`."""
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"{op} {network} {address}: i/o timeout"
    syscall = "connect: " if op == "dial" else ""
    return f"{op} {network} {address}: {syscall}{os_error_text(exc)}"


def resolve(host: str, port: str, network: str) -> tuple[str, int]:
    """net.ResolveTCPAddr / ResolveUDPAddr: the first address of host, and the port; ValueError with Go's text."""
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(f"lookup {network}/{port}: unknown port" if not port.isdigit() else
                         f"address {port}: invalid port")
    try:
        sockaddr = socket.getaddrinfo(host or None, int(port), type=socket.SOCK_STREAM)[0][4]
    except (OSError, UnicodeError):
        raise ValueError(f"lookup {host}: no such host") from None
    return sockaddr[0], sockaddr[1]

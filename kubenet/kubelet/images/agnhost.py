"""agnhost, the Kubernetes e2e test image (registry.k8s.io/e2e-test-images/agnhost), as kubenet runs it.

`python -m kubenet.kubelet.images.agnhost <subcommand> [flags]`: the same subcommands, flags, endpoints, log
lines and exit codes as the real test/images/agnhost for the ones networking e2e tests and tutorials use:
netexec (agnhost_netexec.py); serve-hostname, porter, liveness (agnhost_servers.py); pause, dns-suffix,
dns-server-list, etc-hosts, connect (here). Stdlib only; a subcommand imports only what it needs, so `pause`,
the image's default, stays a small process.
"""
from __future__ import annotations

import importlib
import signal
import socket
import sys
import time

from kubenet.kubelet.images.go_cli import (
    FlagError,
    dial_error,
    join_host_port,
    os_error_text,
    parse_duration,
    parse_flags,
    resolve,
)

# subcommand → (module with its code, function, flag defaults as the real one declares them)
SUBCOMMANDS: dict[str, tuple[str, str, dict]] = {
    "netexec": ("agnhost_netexec", "run", {
        "http-port": 8080, "udp-port": 8081, "sctp-port": -1, "tls-cert-file": "", "tls-private-key-file": "",
        "http-override": "", "udp-listen-addresses": "", "delay-shutdown": 0}),
    "serve-hostname": ("agnhost_servers", "serve_hostname", {"tcp": False, "udp": False, "http": True,
                                                            "close": False, "port": 9376}),
    "porter": ("agnhost_servers", "porter", {"json-response": False}),
    # The real liveness server always listens on :8080; --port is kubenet's, for tests that cannot own 8080.
    "liveness": ("agnhost_servers", "liveness", {"port": 8080}),
    "pause": ("agnhost", "pause", {"delay-shutdown": 0}),
    "dns-suffix": ("agnhost", "dns_suffix", {}),
    "dns-server-list": ("agnhost", "dns_server_list", {}),
    "etc-hosts": ("agnhost", "etc_hosts", {}),
    "connect": ("agnhost", "connect", {"timeout": "0s", "protocol": "tcp", "udp-data": "hostname",
                                       "sctp-data": "hostname"}),
}


# --- pause ------------------------------------------------------------------------------------------------
def pause(flags: dict, args: list[str]) -> None:
    print("Paused", flush=True)
    result: list[int] = []
    signal.signal(signal.SIGINT, lambda *_: result.append(1))
    signal.signal(signal.SIGTERM, lambda *_: result.append(2))
    while not result:
        signal.pause()
    if flags["delay-shutdown"] > 0:
        print(f"Sleeping {flags['delay-shutdown']} seconds before exit ...", end="", flush=True)
        time.sleep(flags["delay-shutdown"])
    print(f"exiting {result[0]}", flush=True)
    sys.exit(result[0])


# --- DNS helpers ----------------------------------------------------------------------------------------
def _resolv_conf_line(keyword: str) -> list[str]:
    with open("/etc/resolv.conf") as resolv_conf:
        lines = resolv_conf.read().split("\n")
    for line in lines:
        if line.startswith(keyword):
            return line.split(" ")[1:]
    sys.stderr.write("panic: Could not find DNS search list!\n\ngoroutine 1 [running]:\nmain.main()\n")
    sys.exit(2)


def dns_suffix(flags: dict, args: list[str]) -> None:
    print(",".join(_resolv_conf_line("search")))


def dns_server_list(flags: dict, args: list[str]) -> None:
    print(",".join(_resolv_conf_line("nameserver")))


def etc_hosts(flags: dict, args: list[str]) -> None:
    with open("/etc/hosts") as hosts:
        print(hosts.read())


# --- connect --------------------------------------------------------------------------------------------
def connect(flags: dict, args: list[str]) -> None:
    if len(args) != 1:
        _usage_error("connect", f"accepts 1 arg(s), received {len(args)}")
    dest = args[0]
    try:
        timeout = parse_duration(flags["timeout"]) or None
    except ValueError as exc:
        _usage_error("connect", f'invalid argument "{flags["timeout"]}" for "--timeout" flag: {exc}')
    if flags["protocol"] not in ("", "tcp", "udp"):
        sys.stderr.write("Unsupported protocol\n%!(EXTRA string=" + flags["protocol"] + ")")
        sys.exit(1)
    host, sep, port = dest.rpartition(":")
    if not sep:
        _fail(f"UNKNOWN: address {dest}: missing port in address")
    try:
        address = resolve(host.strip("[]"), port, flags["protocol"] or "tcp")
    except ValueError as exc:
        _fail(f"DNS: {exc}")
    if flags["protocol"] == "udp":
        _connect_udp(address, timeout, flags["udp-data"])
    network_address = join_host_port(*address)
    try:
        socket.create_connection(address, timeout=timeout).close()
    except TimeoutError:
        _fail("TIMEOUT")
    except ConnectionRefusedError:
        _fail("REFUSED")
    except OSError as exc:
        _fail(f"OTHER: {dial_error('dial', 'tcp', network_address, exc)}")
    sys.exit(0)


def _connect_udp(address: tuple, timeout: float | None, data: str) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.connect(address[:2])
    pair = f"{join_host_port(*sock.getsockname()[:2])}->{join_host_port(address[0], address[1])}"
    sock.settimeout(timeout)
    try:
        sock.send((data + "\n").encode())
        if not sock.recv(1024):
            _fail("OTHER: No data received from the server. Cannot guarantee the server received the request.")
    except TimeoutError:
        _fail(f"TIMEOUT: read udp {pair}: i/o timeout")
    except ConnectionRefusedError:
        _fail(f"REFUSED: read udp {pair}: read: connection refused")
    except OSError as exc:
        _fail(f"UNKNOWN: read udp {pair}: {os_error_text(exc)}")
    sys.exit(0)


def _fail(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.exit(1)


# --- the command line -------------------------------------------------------------------------------------
def _usage_error(command: str, message: str) -> None:
    sys.stderr.write(f"Error: {message}\nUsage:\n  agnhost {command} [flags]\n\n"
                     "Run 'agnhost --help' for usage.\n")
    sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print("agnhost: a test image with many test subcommands (kubenet implements: "
              f"{', '.join(sorted(SUBCOMMANDS))})\n\nUsage:\n  agnhost [command]")
        return
    name = argv[0]
    if name not in SUBCOMMANDS:
        sys.stderr.write(f'Error: unknown command "{name}" for "agnhost"\nRun \'agnhost --help\' for usage.\n')
        sys.exit(1)
    module, function, defaults = SUBCOMMANDS[name]
    run = getattr(importlib.import_module(f"kubenet.kubelet.images.{module}") if module != "agnhost"
                  else sys.modules[__name__], function)
    try:
        flags, args = parse_flags(argv[1:], defaults)
    except FlagError as exc:
        _usage_error(name, str(exc))
    if name not in ("connect",) and args:
        _usage_error(name, f"accepts at most 0 arg(s), received {len(args)}")
    run(flags, args)


if __name__ == "__main__":
    main()

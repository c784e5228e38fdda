"""Entering network namespaces per thread, without forking.

Python 3.11 has no os.setns, so libc's setns(2) through the ctypes C module (os.setns from 3.12 on).
A netns is a property of the thread (task), so an operation that must run in the node netns runs on a
short-lived thread of its own: the
caller's thread is never moved, and there is nothing to restore if something fails half-way.
Sockets keep the netns they were opened in, and children forked from a thread start in that
thread's netns, so a thread in the node netns can also run iptables-restore there.
"""
from __future__ import annotations

import posix  # not os: cni/main.py says why; os.setns (3.12+) is posix.setns

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar
    T = TypeVar("T")

CLONE_NEWNET = 0x40000000
_libc_setns = None  # _ctypes and threading are imported on first use: the plugin executable starts without them


def _libc_function(name: str) -> Callable[..., int]:
    """A libc function returning a C int, errno kept, from the C module alone: ctypes' Python layer (struct,
    ctypes._endian, types and the class machinery of its simple types) is ~1 ms of a plugin run that needs one
    call. This is what ctypes.CDLL(None, use_errno=True).<name> builds (ctypes/__init__.py CDLL._FuncPtr)."""
    import _ctypes

    class Function(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO  # no _restype_: the C int is returned

    class Libc:
        _handle = _ctypes.dlopen(None)  # the process itself, which has libc loaded

    return Function((name, Libc))


def setns(fd: int) -> None:
    global _libc_setns
    if hasattr(posix, "setns"):  # Python 3.12+
        posix.setns(fd, CLONE_NEWNET)
        return
    if _libc_setns is None:
        _libc_setns = _libc_function("setns")
    if _libc_setns(fd, CLONE_NEWNET) != 0:
        import _ctypes

        err = _ctypes.get_errno()
        raise OSError(err, f"setns: {posix.strerror(err)}")


def open_netns(path: str) -> int:
    """Open a netns file (e.g. /run/netns/NAME) read-only; raises FileNotFoundError if gone."""
    return posix.open(path, posix.O_RDONLY | posix.O_CLOEXEC)


def netns_exists(path: str) -> bool:
    try:
        fd = open_netns(path)
    except OSError:
        return False
    posix.close(fd)
    return True


class _Entered:
    # A class rather than @contextlib.contextmanager: contextlib is one more module in every executable start.
    def __init__(self, netns_fd: int) -> None:
        self.netns_fd = netns_fd
        self.own = -1

    def __enter__(self) -> None:
        self.own = posix.open("/proc/thread-self/ns/net", posix.O_RDONLY | posix.O_CLOEXEC)
        try:
            setns(self.netns_fd)
        except BaseException:
            posix.close(self.own)
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            setns(self.own)
        finally:
            posix.close(self.own)


def entered(netns_fd: int) -> _Entered:
    """`with entered(fd):` enters a netns on this thread and comes back to the thread's current one afterwards."""
    return _Entered(netns_fd)


def run_in_netns(path: str | None, fn: Callable[[], T]) -> T:
    """Run fn on a fresh thread that lives in netns `path` (None: the caller's netns, same thread)."""
    if path is None:
        return fn()
    box: dict[str, object] = {}

    def worker() -> None:
        try:
            fd = open_netns(path)
        except OSError as e:
            box["error"] = e
            return
        try:
            setns(fd)
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed back to the caller's thread below
            box["error"] = e
        finally:
            posix.close(fd)

    import threading

    t = threading.Thread(target=worker, name="kubenet-cni-netns")
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


"""host-local IPAM: address leases on disk in the reference plugin's layout.

`<dataDir>/<network>/` holds one file per leased IP, named by the IP, containing
`<containerID>\\r\\n<ifname>`; `last_reserved_ip.<rangeset index>` remembers where round-robin
allocation stopped; `lock` is flock-ed around every change (CNI SPEC "Execution protocol": plugins
must serialise access to shared state). Same files as containernetworking/plugins host-local, so
either implementation can take over a node's leases.
"""
from __future__ import annotations

import fcntl
import posix  # not os: cni/main.py says why

from .errors import INVALID_CONFIG, IO_FAILURE, IPAM_DUPLICATE, IPAM_EXHAUSTED, CNIError
from .ipnet import IPAddress, IPPrefix, parse_network

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, Self

DEFAULT_DATA_DIR = "/var/lib/cni/networks"
LINE_BREAK = "\r\n"
S_IFMT, S_IFDIR = 0o170000, 0o040000  # stat.S_ISDIR without the stat module


def _join(directory: str, name: str) -> str:
    """posixpath.join for a relative name."""
    return directory + name if directory.endswith("/") else f"{directory}/{name}"


def _is_dir(path: str) -> bool:
    try:
        return posix.stat(path).st_mode & S_IFMT == S_IFDIR
    except OSError:
        return False


def _make_dir(path: str) -> None:
    """os.makedirs(path, 0o755, exist_ok=True): one mkdir once the store exists, os only to make parents."""
    try:
        posix.mkdir(path, 0o755)
    except FileExistsError:
        pass  # a file in its place fails at the lock's open below, as os.makedirs would fail
    except FileNotFoundError:
        import os

        os.makedirs(path, mode=0o755, exist_ok=True)


def _write_file(path: str, text: str, exclusive: bool = False) -> None:
    """The whole file is `text` (made 0644; with `exclusive` only if it is new, else FileExistsError).

    Rewritten in place and then cut to length, not opened with O_TRUNC: ext4 writes back a file truncated to
    zero when it is closed (auto_da_alloc), 0.1-0.5 ms of wall time in every ADD for last_reserved_ip. Readers hold the
    store's flock; a crash between the write and the cut can leave a longer address there, which only moves
    where the next round-robin search starts.
    """
    fd = posix.open(path, posix.O_WRONLY | posix.O_CREAT | posix.O_CLOEXEC | (posix.O_EXCL if exclusive else 0), 0o644)
    try:
        data = rest = text.encode()
        while rest:
            rest = rest[posix.write(fd, rest):]
        posix.ftruncate(fd, len(data))
    finally:
        posix.close(fd)


class IPRange:
    __slots__ = ("gateway", "range_end", "range_start", "subnet")

    def __init__(self, subnet: IPPrefix, range_start: IPAddress, range_end: IPAddress,
                 gateway: IPAddress | None) -> None:
        self.subnet = subnet
        self.range_start = range_start
        self.range_end = range_end
        self.gateway = gateway

    def __contains__(self, ip: IPAddress) -> bool:
        return ip.version == self.subnet.version and self.range_start <= ip <= self.range_end


class IPAMConfig:
    __slots__ = ("data_dir", "network", "range_sets", "routes")

    def __init__(self, network: str, range_sets: list[list[IPRange]], routes: list[dict[str, str]] | None = None,
                 data_dir: str = DEFAULT_DATA_DIR) -> None:
        self.network = network
        self.range_sets = range_sets
        self.routes = [] if routes is None else routes
        self.data_dir = data_dir

    @property
    def store_dir(self) -> str:
        return _join(self.data_dir, self.network)


class Lease:
    __slots__ = ("container_id", "ifname", "ip", "range_set")

    def __init__(self, ip: IPAddress, container_id: str, ifname: str, range_set: int = 0) -> None:
        self.ip = ip
        self.container_id = container_id
        self.ifname = ifname
        self.range_set = range_set


def _parse_range(raw: dict[str, Any]) -> IPRange:
    try:
        subnet = parse_network(raw["subnet"])
        first, last = subnet.network_address, subnet.broadcast_address
        if subnet.prefixlen < first.bits - 1:  # the network and broadcast addresses are not handed out
            first, last = first + 1, last - 1
        start = IPAddress.parse(raw["rangeStart"]) if raw.get("rangeStart") else first
        end = IPAddress.parse(raw["rangeEnd"]) if raw.get("rangeEnd") else last
        gw = IPAddress.parse(raw["gateway"]) if raw.get("gateway") else subnet.network_address + 1
    except (KeyError, ValueError, TypeError) as e:
        raise CNIError(INVALID_CONFIG, "invalid host-local range", repr(e)) from None
    if start not in subnet or end not in subnet or start > end:
        raise CNIError(INVALID_CONFIG, "invalid host-local range", f"{start}-{end} not inside {subnet}")
    return IPRange(subnet, start, end, gw)


def parse_ipam_config(network: str, ipam: dict[str, Any]) -> IPAMConfig:
    """Read the `ipam` object of a network config (host-local README: ranges or the legacy subnet form)."""
    if not isinstance(ipam, dict):
        raise CNIError(INVALID_CONFIG, "ipam must be an object")
    raw_sets = ipam.get("ranges")
    if raw_sets is None and ipam.get("subnet"):
        raw_sets = [[{k: ipam[k] for k in ("subnet", "rangeStart", "rangeEnd", "gateway") if k in ipam}]]
    if not raw_sets or not isinstance(raw_sets, list) or not all(isinstance(s, list) and s for s in raw_sets):
        raise CNIError(INVALID_CONFIG, "host-local: no IP ranges specified")
    routes = ipam.get("routes") or []
    if not isinstance(routes, list) or not all(isinstance(r, dict) and "dst" in r for r in routes):
        raise CNIError(INVALID_CONFIG, "host-local: routes must be a list of {dst, gw}")
    return IPAMConfig(network, [[_parse_range(r) for r in s] for s in raw_sets], routes,
                      ipam.get("dataDir") or DEFAULT_DATA_DIR)


class LeaseStore:
    """The on-disk store of one network; use `with store.locked():` around reads-then-writes."""

    def __init__(self, directory: str) -> None:
        self.dir = directory

    def locked(self) -> LeaseStore:
        """The store as a context manager holding its flock (a class, not contextlib: see cni/netns.py)."""
        return self

    def __enter__(self) -> Self:
        try:
            _make_dir(self.dir)
            fd = posix.open(_join(self.dir, "lock"), posix.O_RDWR | posix.O_CREAT | posix.O_CLOEXEC, 0o600)
        except OSError as e:
            raise CNIError(IO_FAILURE, "host-local: cannot open lease store", str(e)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            posix.close(fd)
            raise
        self._lock_fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        posix.close(self._lock_fd)  # closing drops the flock

    def _read(self, name: str) -> str:
        # posix.read rather than open(): no buffered text layer for a file of a few bytes, read once per lease.
        fd = posix.open(_join(self.dir, name), posix.O_RDONLY | posix.O_CLOEXEC)
        try:
            return posix.read(fd, 4096).decode("utf-8").strip()
        finally:
            posix.close(fd)

    def leases(self) -> list[Lease]:
        out: list[Lease] = []
        try:
            names = posix.listdir(self.dir)
        except FileNotFoundError:
            return out
        for name in names:
            try:
                ip = IPAddress.parse(name)
            except ValueError:
                continue  # lock, last_reserved_ip.N
            try:
                content = self._read(name)
            except FileNotFoundError:
                continue
            cid, _, ifname = content.partition(LINE_BREAK)
            out.append(Lease(ip, cid.strip(), ifname.strip()))
        return out

    def by_id(self, container_id: str, ifname: str) -> list[Lease]:
        return held_by(self.leases(), container_id, ifname)

    def reserve(self, ip: IPAddress, container_id: str, ifname: str, range_set: int) -> bool:
        try:
            _write_file(_join(self.dir, str(ip)), f"{container_id}{LINE_BREAK}{ifname}", exclusive=True)
        except FileExistsError:
            return False
        _write_file(_join(self.dir, f"last_reserved_ip.{range_set}"), str(ip))
        return True

    def last_reserved(self, range_set: int) -> IPAddress | None:
        try:
            return IPAddress.parse(self._read(f"last_reserved_ip.{range_set}"))
        except (FileNotFoundError, ValueError):
            return None

    def release(self, lease: Lease) -> None:
        try:
            posix.remove(_join(self.dir, str(lease.ip)))
        except FileNotFoundError:
            pass


def held_by(leases: list[Lease], container_id: str, ifname: str) -> list[Lease]:
    # A lease without ifname is the reference's older format (ID only): it belongs to any ifname.
    return [le for le in leases if le.container_id == container_id and le.ifname in (ifname, "")]


def _candidates(ranges: list[IPRange], last: IPAddress | None) -> Iterator[tuple[IPAddress, IPRange]]:
    """Every address of a range set once, starting after the last reserved one (round robin)."""
    start_r, start_ip = 0, ranges[0].range_start
    for i, r in enumerate(ranges):
        if last is not None and last in r:
            if last < r.range_end:
                start_r, start_ip = i, last + 1
            else:
                start_r = (i + 1) % len(ranges)
                start_ip = ranges[start_r].range_start
            break
    order = [(ranges[start_r], start_ip, None)]
    order += [(ranges[(start_r + k) % len(ranges)], None, None) for k in range(1, len(ranges))]
    order.append((ranges[start_r], None, start_ip))  # the part of the first range before where we began
    for r, first, stop in order:
        # Counted as ints: the end of a range may be the last address there is (255.255.255.255).
        end = r.range_end.value if stop is None else min(r.range_end.value, stop.value - 1)
        for value in range((r.range_start if first is None else first).value, end + 1):
            yield IPAddress(value, r.range_start.version), r


def allocate(cfg: IPAMConfig, container_id: str, ifname: str) -> dict[str, Any]:
    """ADD: one address per range set; returns the IPAM part of a result (ips, routes)."""
    store = LeaseStore(cfg.store_dir)
    with store.locked():
        leases = store.leases()  # read once: for the duplicate check and for the addresses taken
        if held_by(leases, container_id, ifname):
            raise CNIError(IPAM_DUPLICATE, f"{container_id} has been allocated to {ifname}",
                           "duplicate allocation is not allowed")
        taken = {le.ip for le in leases}
        ips: list[dict[str, Any]] = []
        for n, ranges in enumerate(cfg.range_sets):
            chosen = None
            for ip, r in _candidates(ranges, store.last_reserved(n)):
                if ip == r.gateway or ip in taken:
                    continue
                if store.reserve(ip, container_id, ifname, n):
                    chosen = (ip, r)
                    break
            if chosen is None:
                for got in ips:  # keep ADD all-or-nothing
                    store.release(Lease(IPPrefix.parse(got["address"]).ip, container_id, ifname))
                raise CNIError(IPAM_EXHAUSTED, f"no IP addresses available in range set {n}",
                               ", ".join(f"{r.range_start}-{r.range_end}" for r in ranges))
            ip, r = chosen
            entry: dict[str, Any] = {"address": f"{ip}/{r.subnet.prefixlen}"}
            if r.gateway is not None:
                entry["gateway"] = str(r.gateway)
            ips.append(entry)
    return {"ips": ips, "routes": [dict(rt) for rt in cfg.routes], "dns": {}}


def release(cfg: IPAMConfig, container_id: str, ifname: str) -> list[IPAddress]:
    """DEL: free every lease of (containerID, ifname); unknown IDs are fine (CNI SPEC "DEL")."""
    store = LeaseStore(cfg.store_dir)
    if not _is_dir(store.dir):
        return []
    with store.locked():
        mine = store.by_id(container_id, ifname)
        for le in mine:
            store.release(le)
    return [le.ip for le in mine]


def leased(cfg: IPAMConfig, container_id: str, ifname: str) -> list[IPAddress]:
    """CHECK: the addresses held by (containerID, ifname)."""
    return [le.ip for le in LeaseStore(cfg.store_dir).by_id(container_id, ifname)]


def gc(cfg: IPAMConfig, valid: set[tuple[str, str]]) -> list[Lease]:
    """GC (CNI SPEC 1.1 "GC"): free leases whose (containerID, ifname) is not a valid attachment."""
    store = LeaseStore(cfg.store_dir)
    if not _is_dir(store.dir):
        return []
    with store.locked():
        stale = [le for le in store.leases() if (le.container_id, le.ifname) not in valid]
        for le in stale:
            store.release(le)
    return stale


def free_count(cfg: IPAMConfig) -> int:
    """STATUS: how many addresses ADD could still hand out from the fullest range set."""
    taken = {le.ip for le in LeaseStore(cfg.store_dir).leases()}
    counts = []
    for ranges in cfg.range_sets:
        n = 0
        for r in ranges:
            size = r.range_end.value - r.range_start.value + 1
            n += size - sum(1 for ip in taken if ip in r) - (1 if r.gateway is not None and r.gateway in r else 0)
        counts.append(n)
    return min(counts)

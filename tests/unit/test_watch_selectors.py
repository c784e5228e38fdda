"""Watches with selectors, as kubectl get -w -l and selector informers use them: an object that starts or stops
matching comes in as ADDED and leaves as DELETED, also when the watch resumes from a resourceVersion or is
replayed from the event log after a restart. And a watcher that stops reading is dropped, not buffered forever."""
from __future__ import annotations

import asyncio
import socket
import sqlite3

import pytest

from kubenet.apiserver.registry import Registry
from kubenet.apiserver.server import APIServer
from kubenet.client.base import resolve
from kubenet.client.local import LocalClient
from kubenet.store import MemoryStore, SQLiteStore, Watcher
from tests.waiting import eventually

CONFIGMAPS = resolve("configmaps")


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else SQLiteStore(str(tmp_path / "store.db"))
    yield s
    s.close()


def run(coro):
    return asyncio.run(coro)


def configmap(name: str, **labels) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels},
            "data": {"k": name}}


def relabel(registry: Registry, name: str, **labels) -> dict:
    current = registry.get(CONFIGMAPS, "default", name)
    current["metadata"]["labels"] = labels
    return registry.update(CONFIGMAPS, "default", name, current)


def drain(watch) -> list[tuple[str, str, dict, str]]:
    """What the watch has for us now: (type, name, labels, resourceVersion) per event."""
    async def collect():
        seen = []
        while (item := await watch.next(0.05)) is not None:
            etype, obj = item
            meta = obj["metadata"]
            seen.append((etype, meta["name"], meta.get("labels", {}), meta["resourceVersion"]))
        return seen
    return run(collect())


def new_registry(store) -> Registry:
    registry = Registry(store)
    registry.create(resolve("namespaces"), None, {"metadata": {"name": "default"}})
    return registry


def test_a_resumed_selector_watch_sees_objects_move_in_and_out(store):
    registry = new_registry(store)
    registry.create(CONFIGMAPS, "default", configmap("web", app="web"))
    registry.create(CONFIGMAPS, "default", configmap("db", app="db"))
    resume_from = str(store.revision)
    watch = registry.watch(CONFIGMAPS, "default", "app=web", None, resume_from)

    touched = relabel(registry, "web", app="web", tier="front")  # still matches
    left = relabel(registry, "web", app="db")                      # label changed: leaves the selection
    relabel(registry, "db", app="db", tier="back")                 # never matched: nothing
    came_back = relabel(registry, "web", app="web")                # comes back
    registry.delete(CONFIGMAPS, "default", "web", {})
    deleted_rv = str(store.revision)

    assert drain(watch) == [
        ("MODIFIED", "web", {"app": "web", "tier": "front"}, touched["metadata"]["resourceVersion"]),
        # As the real watch cache sends it: the object as it last matched, at the event's resourceVersion.
        ("DELETED", "web", {"app": "web", "tier": "front"}, left["metadata"]["resourceVersion"]),
        ("ADDED", "web", {"app": "web"}, came_back["metadata"]["resourceVersion"]),
        ("DELETED", "web", {"app": "web"}, deleted_rv),
    ]
    watch.close()


def test_a_field_selector_watch_follows_the_field(store):
    registry = new_registry(store)
    registry.create(CONFIGMAPS, "default", configmap("a"))
    watch = registry.watch(CONFIGMAPS, "default", None, "metadata.name=a", str(store.revision))
    relabel(registry, "a", x="1")
    registry.create(CONFIGMAPS, "default", configmap("b"))
    assert [(t, n) for t, n, _, _ in drain(watch)] == [("MODIFIED", "a")]
    watch.close()


def test_a_selector_watch_replayed_after_a_restart_still_tells_the_changes_apart(tmp_path):
    path = str(tmp_path / "store.db")
    first = SQLiteStore(path)
    registry = new_registry(first)
    registry.create(CONFIGMAPS, "default", configmap("web", app="web"))
    resume_from = str(first.revision)
    relabel(registry, "web", app="web", v="2")
    relabel(registry, "web", app="none")
    relabel(registry, "web", app="web")
    first.close()

    again = SQLiteStore(path)
    watch = Registry(again).watch(CONFIGMAPS, "default", "app=web", None, resume_from)
    assert [(t, labels) for t, _, labels, _ in drain(watch)] == [
        ("MODIFIED", {"app": "web", "v": "2"}), ("DELETED", {"app": "web", "v": "2"}), ("ADDED", {"app": "web"})]
    watch.close()
    again.close()


def test_a_store_from_before_prev_objects_opens_and_replays(tmp_path):
    """An event log written before events kept the previous object: readable, judged by the new object."""
    path = str(tmp_path / "old.db")
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE objects (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE events (rev INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL);
        CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO events VALUES (1, 'ADDED', '/core/configmaps/default/a',
            '{"metadata":{"name":"a","namespace":"default","labels":{"app":"web"},"resourceVersion":"1"}}');
        INSERT INTO events VALUES (2, 'MODIFIED', '/core/configmaps/default/a',
            '{"metadata":{"name":"a","namespace":"default","labels":{"app":"web"},"resourceVersion":"2"}}');
        INSERT INTO objects VALUES ('/core/configmaps/default/a',
            '{"metadata":{"name":"a","namespace":"default","labels":{"app":"web"},"resourceVersion":"2"}}');
        INSERT INTO meta VALUES ('revision', 2);
    """)
    db.commit()
    db.close()
    store = SQLiteStore(path)
    watch = Registry(store).watch(CONFIGMAPS, "default", "app=web", None, "1")
    assert [(t, rv) for t, _, _, rv in drain(watch)] == [("MODIFIED", "2")]
    store.update("/core/configmaps/default/a", {"metadata": {"name": "a", "namespace": "default"}})
    assert store.watch("/core/", from_revision=2).get_nowait().prev_object["metadata"]["labels"] == {"app": "web"}
    watch.close()
    store.close()


# --- slow watchers over HTTP ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def open_watch(port: int, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    return reader, writer


async def read_to_end(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.read()
    except ConnectionResetError:
        return b""


def test_a_watch_stream_that_falls_behind_is_ended(monkeypatch):
    monkeypatch.setattr(Watcher, "max_queue", 20)

    async def story():
        store = MemoryStore()
        client = LocalClient(new_registry(store))
        server = APIServer(client.registry)
        port = free_port()
        await server.start(["127.0.0.1"], port, tls=False)
        try:
            reader, writer = await open_watch(port, "/api/v1/namespaces/default/configmaps?watch=1")
            keeps_up = client.registry.watch(CONFIGMAPS, "default")
            await eventually(lambda: len(store._watchers) >= 2)
            # 50 writes in one go, with no chance for the stream to send any: it is 20 behind, then dropped;
            # a watcher that keeps up is not.
            kept_up = []
            for i in range(50):
                await client.create("configmaps", configmap(f"c{i}"), "default")
                kept_up.append(keeps_up.inner.get_nowait())
            body = await asyncio.wait_for(read_to_end(reader), 5)
            writer.close()
            assert body.endswith(b"0\r\n\r\n")  # the chunked response ended properly
            assert list(store._watchers) == [keeps_up.inner]
            assert [e.object["metadata"]["name"] for e in kept_up] == [f"c{i}" for i in range(50)]
        finally:
            await server.stop()

    run(story())


def test_a_watch_stream_whose_client_stops_reading_is_cut(monkeypatch):
    monkeypatch.setattr(Watcher, "max_queue", 20)
    big = "x" * 200_000

    async def story():
        store = MemoryStore()
        client = LocalClient(new_registry(store))
        server = APIServer(client.registry)
        port = free_port()
        await server.start(["127.0.0.1"], port, tls=False)
        try:
            _, writer = await open_watch(port, "/api/v1/namespaces/default/configmaps?watch=1")
            await eventually(lambda: store._watchers)
            # The client reads nothing: socket buffers fill, the stream waits on them, events pile up.
            for i in range(400):
                await client.create("configmaps", {**configmap(f"c{i}"), "data": {"big": big}}, "default")
                await asyncio.sleep(0)  # paces the writer: lets the stream run between writes (no condition)
                if not store._watchers:
                    break
            assert not store._watchers, "the watcher was never dropped"
            # Still without reading a byte, the server lets go of the connection: it does not wait forever.
            http_server = server._runners[0].server
            await eventually(lambda: not http_server.connections, timeout=2, what="the connection let go")
            writer.close()
        finally:
            await server.stop()

    run(story())

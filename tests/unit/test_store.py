"""The store contract, run against both backends: revisions, preconditions, paging, watch and compaction."""
from __future__ import annotations

import pytest

from kubenet.store import AlreadyExists, Conflict, Gone, MemoryStore, NotFound, SQLiteStore, Watcher


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    s = MemoryStore() if request.param == "memory" else SQLiteStore(str(tmp_path / "store.db"))
    yield s
    s.close()


def pod(name: str, **labels) -> dict:
    return {"metadata": {"name": name, "namespace": "default", "labels": labels}}


def test_every_write_takes_the_next_revision(store):
    a = store.create("/core/pods/default/a", pod("a"))
    b = store.create("/core/pods/default/b", pod("b"))
    assert (a["metadata"]["resourceVersion"], b["metadata"]["resourceVersion"]) == ("1", "2")
    updated = store.update("/core/pods/default/a", pod("a", app="x"), expected_rv="1")
    assert updated["metadata"]["resourceVersion"] == "3" and store.revision == 3
    with pytest.raises(AlreadyExists):
        store.create("/core/pods/default/a", pod("a"))


def test_update_and_delete_check_the_resource_version(store):
    store.create("/core/pods/default/a", pod("a"))
    store.update("/core/pods/default/a", pod("a"), expected_rv="1")
    with pytest.raises(Conflict):
        store.update("/core/pods/default/a", pod("a"), expected_rv="1")
    with pytest.raises(Conflict):
        store.delete("/core/pods/default/a", expected_rv="1")
    gone = store.delete("/core/pods/default/a", expected_rv="2")
    assert gone["metadata"]["resourceVersion"] == "3"
    with pytest.raises(NotFound):
        store.get("/core/pods/default/a")


def test_list_filters_by_prefix_and_predicate_and_pages(store):
    for i in range(5):
        store.create(f"/core/pods/default/p{i}", pod(f"p{i}", app="web" if i % 2 == 0 else "db"))
    store.create("/core/pods/other/q", pod("q", app="web"))
    items, rev, token = store.list("/core/pods/default/", lambda o: o["metadata"]["labels"]["app"] == "web")
    assert [o["metadata"]["name"] for o in items] == ["p0", "p2", "p4"] and rev == 6 and token is None
    page1, _, token = store.list("/core/pods/", limit=4)
    page2, _, end = store.list("/core/pods/", limit=4, continue_token=token)
    assert [o["metadata"]["name"] for o in page1 + page2] == ["p0", "p1", "p2", "p3", "p4", "q"] and end is None


def test_watch_replays_from_a_revision_then_follows(store):
    store.create("/core/pods/default/a", pod("a"))
    store.create("/core/pods/default/b", pod("b"))
    watcher = store.watch("/core/pods/", from_revision=1)
    store.delete("/core/pods/default/a")
    events = [watcher.get_nowait(), watcher.get_nowait()]
    assert [(e.type, e.object["metadata"]["name"], e.revision) for e in events] == [("ADDED", "b", 2),
                                                                                    ("DELETED", "a", 3)]
    assert watcher.get_nowait() is None
    watcher.close()


def test_watch_from_a_compacted_revision_is_gone(store):
    for i in range(4):
        store.create(f"/core/configmaps/default/c{i}", pod(f"c{i}"))
    store.compact(3)
    with pytest.raises(Gone):
        store.watch("/core/configmaps/", from_revision=2)
    watcher = store.watch("/core/configmaps/", from_revision=3)
    assert watcher.get_nowait().revision == 4


def test_sqlite_reopens_with_objects_revision_and_event_log(tmp_path):
    path = str(tmp_path / "s.db")
    first = SQLiteStore(path)
    first.create("/core/pods/default/a", pod("a"))
    first.create("/core/pods/default/b", pod("b"))
    first.close()
    again = SQLiteStore(path)
    assert again.revision == 2 and again.get("/core/pods/default/b")["metadata"]["resourceVersion"] == "2"
    assert [e.object["metadata"]["name"] for e in again.watch("/core/", from_revision=1)._queue] == ["b"]
    assert again.create("/core/pods/default/c", pod("c"))["metadata"]["resourceVersion"] == "3"
    again.close()


def test_events_carry_the_previous_object_live_and_replayed(store):
    watcher = store.watch("/core/pods/")
    store.create("/core/pods/default/a", pod("a", app="web"))
    store.update("/core/pods/default/a", pod("a", app="db"))
    store.delete("/core/pods/default/a")
    added, *live = (watcher.get_nowait() for _ in range(3))
    assert added.prev_object is None
    replay = store.watch("/core/pods/", from_revision=1)
    for modified, deleted in (live, (replay.get_nowait(), replay.get_nowait())):
        assert modified.prev_object["metadata"] == {"name": "a", "namespace": "default", "labels": {"app": "web"},
                                                    "resourceVersion": "1"}
        assert modified.object["metadata"]["labels"] == {"app": "db"}
        assert deleted.prev_object["metadata"]["labels"] == {"app": "db"}
        assert deleted.object["metadata"]["resourceVersion"] == "3"


def test_a_watcher_nobody_reads_is_dropped_and_the_others_go_on(store, monkeypatch):
    assert Watcher.max_queue == 10000
    monkeypatch.setattr(Watcher, "max_queue", 10)
    abandoned = store.watch("/core/configmaps/")
    reader = store.watch("/core/configmaps/")
    elsewhere = store.watch("/core/secrets/")
    closed = []
    abandoned.add_close_callback(lambda: closed.append("abandoned"))
    names = []
    for i in range(15):
        store.create(f"/core/configmaps/default/c{i}", pod(f"c{i}"))
        names.append(reader.get_nowait().object["metadata"]["name"])
    assert abandoned.closed and abandoned.overflowed and closed == ["abandoned"]
    assert abandoned.get_nowait() is None  # its backlog is freed: the client re-watches from where it was
    assert names == [f"c{i}" for i in range(15)] and not reader.closed and not elsewhere.closed
    store.create("/core/secrets/default/s", pod("s"))
    assert elsewhere.get_nowait().object["metadata"]["name"] == "s"


def test_events_replayed_at_the_start_do_not_count_against_the_cap(store, monkeypatch):
    monkeypatch.setattr(Watcher, "max_queue", 5)
    for i in range(12):
        store.create(f"/core/configmaps/default/c{i}", pod(f"c{i}"))
    watcher = store.watch("/core/configmaps/", from_revision=1)
    store.create("/core/configmaps/default/last", pod("last"))
    assert not watcher.closed and len(watcher._queue) == 12


def test_store_files_are_private_whatever_the_umask(tmp_path):
    """store.db holds Secrets: it and its -wal/-shm files are 0600 under a permissive umask, and a database made
    before files were private is tightened on open."""
    import os
    import stat

    from kubenet.store import SQLiteStore
    old = os.umask(0o022)
    try:
        (tmp_path / "old.db").touch(mode=0o644)
        for name in ("new.db", "old.db"):
            store = SQLiteStore(str(tmp_path / name))
            store.db.execute("CREATE TABLE IF NOT EXISTS t (x)")  # WAL and shm exist once something is written
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.glob(f"{name}*")}
            store.close()
            assert set(modes) >= {name, f"{name}-wal", f"{name}-shm"}
            assert set(modes.values()) == {0o600}, modes
    finally:
        os.umask(old)

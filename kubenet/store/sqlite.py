"""The default store: one SQLite file in WAL mode holding objects and the event log.

Objects and events are written in one transaction, so a crash never leaves an object without its event.
On open, the revision counter and the compaction point are read back, so watches resume across restarts.
Each event row keeps the previous object too (`prev`, NULL for ADDED), so a selector watch replayed after a
restart still tells a label change apart; a database from before that column gains it on open (its older
rows have no previous object).
The database holds Secrets: it is made 0600 before SQLite opens it, whatever the umask, and SQLite gives its
-wal and -shm files the database file's mode (os_unix.c findCreateFileMode).
"""
from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable

from kubenet.store.base import Event, Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (rev INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL,
                                   value TEXT NOT NULL, prev TEXT);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
"""


class SQLiteStore(Store):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        _make_private(path)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(events)")}
        if "prev" not in columns:
            self.db.execute("ALTER TABLE events ADD COLUMN prev TEXT")  # cheap: no table rewrite
        row = self.db.execute("SELECT value FROM meta WHERE name='revision'").fetchone()
        self.revision = row[0] if row else 0
        row = self.db.execute("SELECT value FROM meta WHERE name='compacted'").fetchone()
        self.compacted = row[0] if row else 0

    def close(self) -> None:
        super().close()
        self.db.close()

    def _read_encoded(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM objects WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def _scan(self, prefix: str, start_after: str) -> Iterable[tuple[str, dict]]:
        # Keys under a prefix sort between prefix and prefix + U+FFFF.
        low = max(prefix, start_after)
        op = ">" if start_after and start_after >= prefix else ">="
        rows = self.db.execute(f"SELECT key, value FROM objects WHERE key {op} ? AND key < ? ORDER BY key",
                               (low, prefix + "\uffff")).fetchall()
        for key, value in rows:
            yield key, json.loads(value)

    def _commit(self, event: Event, encoded: str) -> None:
        db = self.db
        db.execute("BEGIN")
        try:
            if event.type == "DELETED":
                db.execute("DELETE FROM objects WHERE key=?", (event.key,))
            else:
                db.execute("INSERT OR REPLACE INTO objects(key, value) VALUES (?, ?)", (event.key, encoded))
            db.execute("INSERT INTO events(rev, type, key, value, prev) VALUES (?, ?, ?, ?, ?)",
                       (event.revision, event.type, event.key, encoded, event.prev_encoded))
            db.execute("INSERT OR REPLACE INTO meta(name, value) VALUES ('revision', ?)", (event.revision,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            self.revision -= 1
            raise

    def _events_after(self, revision: int) -> Iterable[Event]:
        rows = self.db.execute("SELECT rev, type, key, value, prev FROM events WHERE rev > ? ORDER BY rev",
                               (revision,))
        return [Event(t, k, json.loads(v), r, p) for r, t, k, v, p in rows.fetchall()]

    def _compact_before(self, revision: int) -> None:
        self.db.execute("DELETE FROM events WHERE rev <= ?", (revision,))
        self.db.execute("INSERT OR REPLACE INTO meta(name, value) VALUES ('compacted', ?)", (revision,))


def _make_private(path: str) -> None:
    if path == ":memory:" or path.startswith("file:"):
        return
    os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
    for name in (path, path + "-wal", path + "-shm"):  # a database from before files were private
        try:
            os.chmod(name, 0o600)
        except FileNotFoundError:
            pass

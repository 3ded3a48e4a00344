"""Collections kept in one SQLite file: each document as BSON in a row, each unique index as a
table of keys whose primary key refuses a duplicate. WAL and a commit per write: a write that was
acknowledged survives the process being killed.

Every change is also appended to the oplog, in the same transaction: an entry per document
inserted, replaced or deleted (by its row number, so that a replay lands on the same rows) and per
collection, index or database created or dropped. A secondary of a replica set reads the primary's
entries after its last one and applies them (`apply`): its tables, and its oplog, become the
primary's."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import bson
from bson import Int64

from dotcloud_emulator.mongoserver import values
from dotcloud_emulator.mongoserver.values import Document

DUPLICATE_KEY = 11000
ID_INDEX = "_id_"

SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (
    db TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (db, name));
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, db TEXT NOT NULL, coll TEXT NOT NULL,
    body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS documents_by_collection ON documents (db, coll, seq);
CREATE TABLE IF NOT EXISTS indexes (
    db TEXT NOT NULL, coll TEXT NOT NULL, name TEXT NOT NULL, spec BLOB NOT NULL,
    PRIMARY KEY (db, coll, name));
CREATE TABLE IF NOT EXISTS unique_keys (
    db TEXT NOT NULL, coll TEXT NOT NULL, idx TEXT NOT NULL, key BLOB NOT NULL,
    seq INTEGER NOT NULL, PRIMARY KEY (db, coll, idx, key));
CREATE INDEX IF NOT EXISTS unique_keys_by_document ON unique_keys (seq);
CREATE TABLE IF NOT EXISTS oplog (ts INTEGER PRIMARY KEY AUTOINCREMENT, entry BLOB NOT NULL);
"""
TABLES = ("collections", "documents", "indexes", "unique_keys")


class OplogError(Exception):
    """An entry that does not apply: the secondary's data is not the primary's."""


class DuplicateKey(Exception):
    code = DUPLICATE_KEY

    def __init__(self, namespace: str, index: str, key: Mapping[str, Any]) -> None:
        shown = ", ".join(f"{field}: {value!r}" for field, value in key.items())
        super().__init__(
            f"E11000 duplicate key error collection: {namespace} index: {index} "
            f"dup key: {{ {shown} }}"
        )


def index_name(keys: Mapping[str, Any]) -> str:
    """The name MongoDB gives an index: `a_1_b_-1`."""
    return "_".join(f"{field}_{direction}" for field, direction in keys.items())


def index_key(document: Mapping[str, Any], keys: Mapping[str, Any]) -> dict[str, object]:
    """The value of each indexed field (null when missing, as MongoDB indexes it)."""
    return {field: values.get_path(document, field)[1] for field in keys}


OPEN_TIMEOUT = 10.0  # seconds another connection may hold the file while this one opens it


def _use_wal(connection: sqlite3.Connection) -> None:
    """Switch to write-ahead logging. A secondary's server and its oplog puller open the same file
    at once; SQLite answers "database is locked" to a journal-mode switch without waiting for the
    other connection's lock, so the switch is tried again until OPEN_TIMEOUT."""
    deadline = time.monotonic() + OPEN_TIMEOUT
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Store:
    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=OPEN_TIMEOUT)
        _use_wal(self.connection)
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.executescript(SCHEMA)
        self.replaying = False  # applying a primary's entries: they are copied, not written anew
        self.term = 0  # the replica set's term while this member is its primary (0: none)

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        """One transaction, committed when the block ends and rolled back when it raises."""
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """A savepoint: a document refused by an index leaves nothing of itself behind."""
        self.connection.execute("SAVEPOINT document")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK TO document")
            self.connection.execute("RELEASE document")
            raise
        self.connection.execute("RELEASE document")

    def _rows(self, sql: str, *parameters: object) -> list[Any]:
        return self.connection.execute(sql, parameters).fetchall()

    # --- databases and collections ---------------------------------------------------------------

    def databases(self) -> list[str]:
        return [row[0] for row in self._rows("SELECT DISTINCT db FROM collections ORDER BY db")]

    def collections(self, db: str) -> list[str]:
        rows = self._rows("SELECT name FROM collections WHERE db = ? ORDER BY name", db)
        return [row[0] for row in rows]

    def exists(self, db: str, coll: str) -> bool:
        return bool(self._rows("SELECT 1 FROM collections WHERE db = ? AND name = ?", db, coll))

    def create_collection(self, db: str, coll: str) -> bool:
        """Make the collection (with its _id index) if it is missing; True when it was."""
        if self.exists(db, coll):
            return False
        self.connection.execute("INSERT INTO collections VALUES (?, ?)", (db, coll))
        self._save_index(db, coll, {"v": 1, "key": {"_id": 1}, "name": ID_INDEX})
        self._log({"op": "c", "ns": f"{db}.$cmd", "o": {"create": coll}})
        return True

    def drop_collection(self, db: str, coll: str) -> bool:
        existed = self.exists(db, coll)
        for table, column in (
            ("collections", "name"),
            ("documents", "coll"),
            ("indexes", "coll"),
            ("unique_keys", "coll"),
        ):
            self.connection.execute(
                f"DELETE FROM {table} WHERE db = ? AND {column} = ?",  # noqa: S608 (our names)
                (db, coll),
            )
        if existed:
            self._log({"op": "c", "ns": f"{db}.$cmd", "o": {"drop": coll}})
        return existed

    def drop_database(self, db: str) -> None:
        for table in TABLES:
            self.connection.execute(f"DELETE FROM {table} WHERE db = ?", (db,))  # noqa: S608
        self._log({"op": "c", "ns": f"{db}.$cmd", "o": {"dropDatabase": 1}})

    def size(self, db: str) -> int:
        rows = self._rows("SELECT COALESCE(SUM(LENGTH(body)), 0) FROM documents WHERE db = ?", db)
        return int(rows[0][0])

    # --- documents -----------------------------------------------------------------------------

    def documents(self, db: str, coll: str) -> list[tuple[int, Document]]:
        return list(self.scan(db, coll))

    def scan(self, db: str, coll: str) -> Iterator[tuple[int, Document]]:
        """The collection's documents in insertion order, each decoded when it is reached (a
        query with a limit and no sort stops early)."""
        rows = self.connection.execute(
            "SELECT seq, body FROM documents WHERE db = ? AND coll = ? ORDER BY seq", (db, coll)
        )
        for seq, body in rows:
            yield seq, bson.decode(body)

    def count(self, db: str, coll: str) -> int:
        return int(
            self._rows("SELECT COUNT(*) FROM documents WHERE db = ? AND coll = ?", db, coll)[0][0]
        )

    def insert(self, db: str, coll: str, document: Document, seq: int | None = None) -> int:
        """Store a new document (it has an _id), as row `seq` when given (a replay); DuplicateKey
        when a unique index has its key."""
        self.create_collection(db, coll)
        with self._atomic():
            cursor = self.connection.execute(
                "INSERT INTO documents (seq, db, coll, body) VALUES (?, ?, ?, ?)",
                (seq, db, coll, bson.encode(document)),
            )
            seq = int(cursor.lastrowid or 0)
            self._add_keys(db, coll, seq, document)
            self._log({"op": "i", "ns": f"{db}.{coll}", "seq": seq, "o": document})
        return seq

    def replace(self, db: str, coll: str, seq: int, document: Document) -> None:
        with self._atomic():
            self.connection.execute("DELETE FROM unique_keys WHERE seq = ?", (seq,))
            self._add_keys(db, coll, seq, document)
            self.connection.execute(
                "UPDATE documents SET body = ? WHERE seq = ?", (bson.encode(document), seq)
            )
            self._log({"op": "u", "ns": f"{db}.{coll}", "seq": seq, "o": document})

    def delete(self, seq: int) -> None:
        self.connection.execute("DELETE FROM unique_keys WHERE seq = ?", (seq,))
        self.connection.execute("DELETE FROM documents WHERE seq = ?", (seq,))
        self._log({"op": "d", "seq": seq})

    # --- indexes -------------------------------------------------------------------------------

    def indexes(self, db: str, coll: str) -> list[Document]:
        rows = self._rows(
            "SELECT spec FROM indexes WHERE db = ? AND coll = ? ORDER BY rowid", db, coll
        )
        return [bson.decode(row[0]) for row in rows]

    def create_index(self, db: str, coll: str, spec: Document) -> bool:
        """Add an index (a unique one is checked against the documents); False when it existed."""
        self.create_collection(db, coll)
        if any(present["name"] == spec["name"] for present in self.indexes(db, coll)):
            return False
        self._save_index(db, coll, spec)
        if spec.get("unique"):
            for seq, document in self.documents(db, coll):
                self._add_key(db, coll, seq, spec, document)
        self._log({"op": "c", "ns": f"{db}.$cmd", "o": {"createIndexes": coll, "spec": spec}})
        return True

    def drop_index(self, db: str, coll: str, name: str) -> bool:
        cursor = self.connection.execute(
            "DELETE FROM indexes WHERE db = ? AND coll = ? AND name = ?", (db, coll, name)
        )
        self.connection.execute(
            "DELETE FROM unique_keys WHERE db = ? AND coll = ? AND idx = ?", (db, coll, name)
        )
        if cursor.rowcount > 0:
            self._log({"op": "c", "ns": f"{db}.$cmd", "o": {"dropIndexes": coll, "index": name}})
        return cursor.rowcount > 0

    def _save_index(self, db: str, coll: str, spec: Document) -> None:
        self.connection.execute(
            "INSERT INTO indexes VALUES (?, ?, ?, ?)", (db, coll, spec["name"], bson.encode(spec))
        )

    def _add_keys(self, db: str, coll: str, seq: int, document: Document) -> None:
        for spec in self.indexes(db, coll):
            if spec["name"] == ID_INDEX or spec.get("unique"):
                self._add_key(db, coll, seq, spec, document)

    def _add_key(self, db: str, coll: str, seq: int, spec: Document, document: Document) -> None:
        key = index_key(document, spec["key"])
        if spec.get("sparse") and all(value is None for value in key.values()):
            return
        try:
            self.connection.execute(
                "INSERT INTO unique_keys VALUES (?, ?, ?, ?, ?)",
                (db, coll, spec["name"], values.canonical(list(key.values())), seq),
            )
        except sqlite3.IntegrityError as error:
            raise DuplicateKey(f"{db}.{coll}", spec["name"], key) from error

    # --- the oplog -----------------------------------------------------------------------------

    def _log(self, entry: Document) -> None:
        if not self.replaying:
            if self.term:  # the term of the primary that wrote it, as MongoDB's entries carry
                entry = {**entry, "t": Int64(self.term)}
            self.connection.execute("INSERT INTO oplog (entry) VALUES (?)", (bson.encode(entry),))

    def entry(self, ts: int) -> Document | None:
        """The entry at position `ts`, without it; None when there is none."""
        rows = self._rows("SELECT entry FROM oplog WHERE ts = ?", ts)
        return dict(bson.decode(rows[0][0])) if rows else None

    def last_optime(self) -> tuple[int, int]:
        """The (term, position) of the last entry, (0, 0) when there is none."""
        rows = self._rows("SELECT ts, entry FROM oplog ORDER BY ts DESC LIMIT 1")
        if not rows:
            return (0, 0)
        return (int(bson.decode(rows[0][1]).get("t", 0)), int(rows[0][0]))

    def last_ts(self) -> int:
        """The position of the last entry written or applied (0: none)."""
        return int(self._rows("SELECT COALESCE(MAX(ts), 0) FROM oplog")[0][0])

    def oplog(self, after: int = 0, limit: int = 0) -> Iterator[Document]:
        """The entries after position `after`, oldest first, each with its `ts`."""
        rows = self.connection.execute(
            "SELECT ts, entry FROM oplog WHERE ts > ? ORDER BY ts LIMIT ?",
            (after, limit if limit > 0 else -1),
        )
        for ts, entry in rows:
            yield {"ts": Int64(ts), **bson.decode(entry)}

    def seed_oplog(self) -> bool:
        """Give data written before the oplog existed its entries (on a primary, at start), so
        that a new secondary gets all of it; True when there was such data."""
        if self.last_ts() or not self.databases():
            return False
        with self.write():
            for db in self.databases():
                for coll in self.collections(db):
                    self._log({"op": "c", "ns": f"{db}.$cmd", "o": {"create": coll}})
                    for spec in self.indexes(db, coll):
                        if spec["name"] != ID_INDEX:
                            self._log(
                                {
                                    "op": "c",
                                    "ns": f"{db}.$cmd",
                                    "o": {"createIndexes": coll, "spec": spec},
                                }
                            )
                    for seq, document in self.scan(db, coll):
                        self._log({"op": "i", "ns": f"{db}.{coll}", "seq": seq, "o": document})
        return True

    def reset(self) -> None:
        """Forget every collection and entry (a secondary whose data is not its primary's)."""
        with self.write():
            for table in (*TABLES, "oplog"):
                self.connection.execute(f"DELETE FROM {table}")  # noqa: S608 (our names)
            self.connection.execute("DELETE FROM sqlite_sequence")

    def apply(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Apply a primary's entries in one transaction, each once (those at or before the last
        applied are skipped), keeping their positions; how many were applied."""
        applied = 0
        with self.write():
            last = self.last_ts()
            self.replaying = True
            try:
                for entry in entries:
                    ts = int(entry["ts"])
                    if ts <= last:
                        continue
                    self._apply_one(entry)
                    body = {key: value for key, value in entry.items() if key != "ts"}
                    self.connection.execute(
                        "INSERT INTO oplog (ts, entry) VALUES (?, ?)", (ts, bson.encode(body))
                    )
                    last, applied = ts, applied + 1
            except (DuplicateKey, KeyError, ValueError, TypeError, sqlite3.Error) as error:
                raise OplogError(f"oplog entry after {last} does not apply: {error}") from error
            finally:
                self.replaying = False
        return applied

    def _apply_one(self, entry: Mapping[str, Any]) -> None:
        op = entry["op"]
        if op == "d":
            self.delete(int(entry["seq"]))
            return
        db, _, coll = str(entry["ns"]).partition(".")
        if op == "i":
            self.insert(db, coll, dict(entry["o"]), seq=int(entry["seq"]))
        elif op == "u":
            self.replace(db, coll, int(entry["seq"]), dict(entry["o"]))
        elif op == "c":
            self._apply_command(db, dict(entry["o"]))
        else:
            raise ValueError(f"unknown op {op!r}")

    def _apply_command(self, db: str, command: Document) -> None:
        name = next(iter(command))
        target = command[name]
        if name == "create":
            self.create_collection(db, str(target))
        elif name == "drop":
            self.drop_collection(db, str(target))
        elif name == "dropDatabase":
            self.drop_database(db)
        elif name == "createIndexes":
            self.create_index(db, str(target), dict(command["spec"]))
        elif name == "dropIndexes":
            self.drop_index(db, str(target), str(command["index"]))
        else:
            raise ValueError(f"unknown command {name!r}")

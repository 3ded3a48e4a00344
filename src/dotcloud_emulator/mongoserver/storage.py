"""Collections kept in one SQLite file: each document as BSON in a row, each unique index as a
table of keys whose primary key refuses a duplicate. WAL and a commit per write: a write that was
acknowledged survives the process being killed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import bson

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
"""


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


class Store:
    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.executescript(SCHEMA)

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
        return existed

    def drop_database(self, db: str) -> None:
        for table in ("collections", "documents", "indexes", "unique_keys"):
            self.connection.execute(f"DELETE FROM {table} WHERE db = ?", (db,))  # noqa: S608

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

    def insert(self, db: str, coll: str, document: Document) -> int:
        """Store a new document (it has an _id); DuplicateKey when a unique index has its key."""
        self.create_collection(db, coll)
        with self._atomic():
            cursor = self.connection.execute(
                "INSERT INTO documents (db, coll, body) VALUES (?, ?, ?)",
                (db, coll, bson.encode(document)),
            )
            seq = int(cursor.lastrowid or 0)
            self._add_keys(db, coll, seq, document)
        return seq

    def replace(self, db: str, coll: str, seq: int, document: Document) -> None:
        with self._atomic():
            self.connection.execute("DELETE FROM unique_keys WHERE seq = ?", (seq,))
            self._add_keys(db, coll, seq, document)
            self.connection.execute(
                "UPDATE documents SET body = ? WHERE seq = ?", (bson.encode(document), seq)
            )

    def delete(self, seq: int) -> None:
        self.connection.execute("DELETE FROM unique_keys WHERE seq = ?", (seq,))
        self.connection.execute("DELETE FROM documents WHERE seq = ?", (seq,))

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
        return True

    def drop_index(self, db: str, coll: str, name: str) -> bool:
        cursor = self.connection.execute(
            "DELETE FROM indexes WHERE db = ? AND coll = ? AND name = ?", (db, coll, name)
        )
        self.connection.execute(
            "DELETE FROM unique_keys WHERE db = ? AND coll = ? AND idx = ?", (db, coll, name)
        )
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

"""Reads and writes on a collection, shared by the commands and by the 2012 drivers' opcodes."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from dotcloud_emulator.mongoserver import query, update
from dotcloud_emulator.mongoserver.storage import ID_INDEX, Store, index_name
from dotcloud_emulator.mongoserver.values import Document

INVALID_NAMESPACE = 73
OPLOG = ("local", "oplog.rs")


class CommandError(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def split_namespace(namespace: str) -> tuple[str, str]:
    db, _, coll = namespace.partition(".")
    if not db or not coll:
        raise CommandError(f"Invalid namespace specified '{namespace}'", INVALID_NAMESPACE)
    return db, coll


def check_collection_name(db: str, coll: str) -> None:
    if not coll or "$" in coll or "\0" in coll or coll.startswith(".") or not db:
        raise CommandError(f"Invalid collection name: {coll}", INVALID_NAMESPACE)


def oplog_start(selector: Mapping[str, Any]) -> int:
    """The position a `{ts: {$gt: N}}` (`$gte`, `N`) query on the oplog starts after; the query
    itself still filters what is read from there."""
    condition = selector.get("ts")
    if isinstance(condition, int) and not isinstance(condition, bool):
        return max(int(condition) - 1, 0)
    if isinstance(condition, Mapping):
        for operator, offset in (("$gt", 0), ("$gte", 1)):
            bound = condition.get(operator)
            if isinstance(bound, int) and not isinstance(bound, bool):
                return max(int(bound) - offset, 0)
    return 0


@dataclass
class UpdateResult:
    matched: int = 0
    modified: int = 0
    upserted: object = None
    has_upsert: bool = False


@dataclass
class Collection:
    store: Store
    db: str
    name: str

    @property
    def namespace(self) -> str:
        return f"{self.db}.{self.name}"

    def _all(self, selector: Mapping[str, Any]) -> Iterable[tuple[int, Document]]:
        if (self.db, self.name) == OPLOG:  # read by a replica set's secondaries
            return ((0, entry) for entry in self.store.oplog(after=oplog_start(selector)))
        if self.name == "system.indexes":  # the 2012 drivers' listIndexes
            return [
                (0, {**spec, "ns": f"{self.db}.{coll}"})
                for coll in self.store.collections(self.db)
                for spec in self.store.indexes(self.db, coll)
            ]
        if self.name == "system.namespaces":  # and their listCollections
            return [(0, {"name": f"{self.db}.{coll}"}) for coll in self.store.collections(self.db)]
        return self.store.scan(self.db, self.name)

    def _lazily_matching(self, selector: Mapping[str, Any]) -> Iterator[tuple[int, Document]]:
        try:
            for seq, doc in self._all(selector):
                if query.matches(doc, selector):
                    yield seq, doc
        except query.QueryError as error:
            raise CommandError(str(error), error.code) from error

    def _matching(self, selector: Mapping[str, Any]) -> list[tuple[int, Document]]:
        """Every match, read before the caller writes to the collection."""
        return list(self._lazily_matching(selector))

    def find(
        self,
        selector: Mapping[str, Any] | None = None,
        *,
        sort: Mapping[str, Any] | None = None,
        skip: int = 0,
        limit: int = 0,
        projection: Mapping[str, Any] | None = None,
    ) -> list[Document]:
        found: Iterator[Document] = (doc for _, doc in self._lazily_matching(selector or {}))
        if limit and not sort:
            found = itertools.islice(found, max(skip, 0) + abs(limit))
        documents = list(found)
        try:
            if sort:
                documents = query.sort_documents(documents, sort)
            documents = documents[max(skip, 0) :]
            if limit:
                documents = documents[: abs(limit)]
            return [query.project(doc, projection) for doc in documents]
        except query.QueryError as error:
            raise CommandError(str(error), error.code) from error

    def count(
        self, selector: Mapping[str, Any] | None = None, skip: int = 0, limit: int = 0
    ) -> int:
        if not selector and not skip and not limit:
            return self.store.count(self.db, self.name)
        return len(self.find(selector, skip=skip, limit=limit))

    # --- writes (each caller commits: store.write()) -------------------------------------------

    def insert(self, document: Document) -> Document:
        check_collection_name(self.db, self.name)
        if self.name == "system.indexes":
            self._create_legacy_index(document)
            return document
        if "_id" not in document:
            document = {"_id": ObjectId(), **document}
        elif next(iter(document)) != "_id":
            document = {"_id": document["_id"], **document}
        if isinstance(document["_id"], list):
            raise CommandError("can't use an array for _id", 2)
        self.store.insert(self.db, self.name, document)
        return document

    def _create_legacy_index(self, spec: Document) -> None:
        db, coll = split_namespace(str(spec.get("ns", "")))
        if db != self.db:
            raise CommandError("the ns of an index must be in this database", INVALID_NAMESPACE)
        Collection(self.store, db, coll).create_index(spec)

    def create_index(self, spec: Mapping[str, Any]) -> bool:
        keys = spec.get("key")
        if not isinstance(keys, Mapping) or not keys:
            raise CommandError("index specification needs a non-empty 'key' document", 67)
        check_collection_name(self.db, self.name)
        clean = {k: v for k, v in spec.items() if k not in ("ns", "key", "name")}
        name = str(spec.get("name") or index_name(keys))
        return self.store.create_index(
            self.db, self.name, {"v": 2, "key": dict(keys), "name": name, **clean}
        )

    def drop_index(self, which: object) -> int:
        """Drop one index by name or key document, or every index but _id ("*"); how many were."""
        before = len(self.store.indexes(self.db, self.name))
        if which == "*":
            for spec in self.store.indexes(self.db, self.name):
                if spec["name"] != ID_INDEX:
                    self.store.drop_index(self.db, self.name, spec["name"])
            return before
        name = index_name(which) if isinstance(which, Mapping) else str(which)
        if name == ID_INDEX:
            raise CommandError("cannot drop _id index", 72)
        if not self.store.drop_index(self.db, self.name, name):
            raise CommandError(f"index not found with name [{name}]", 27)
        return before

    def update(
        self,
        selector: Mapping[str, Any],
        change: Mapping[str, Any],
        *,
        upsert: bool = False,
        multi: bool = False,
    ) -> UpdateResult:
        if multi and not update.is_operator_update(change):
            raise CommandError("multi update is not supported for replacement-style update", 9)
        result = UpdateResult()
        try:
            for seq, document in self._matching(selector):
                positioned = update.resolve_positional(document, selector, change)
                new = update.apply_update(document, positioned)
                result.matched += 1
                if new != document:
                    self.store.replace(self.db, self.name, seq, new)
                    result.modified += 1
                if not multi:
                    break
            if result.matched == 0 and upsert:
                seed = update.upsert_seed(selector)
                new = update.apply_update(seed, change, inserting=True)
                if not update.is_operator_update(change) and "_id" in seed:
                    new = {"_id": seed["_id"], **new}
                stored = self.insert(new)
                result.upserted, result.has_upsert = stored["_id"], True
        except update.UpdateError as error:
            raise CommandError(str(error), error.code) from error
        return result

    def delete(self, selector: Mapping[str, Any], *, just_one: bool = False) -> int:
        removed = 0
        for seq, _ in self._matching(selector):
            self.store.delete(seq)
            removed += 1
            if just_one:
                break
        return removed

    def find_and_modify(self, command: Mapping[str, Any]) -> tuple[Document | None, Document]:
        """findAndModify: the document before (or after, `new`) the change, and lastErrorObject."""
        selector = command.get("query") or {}
        found = self.find(selector, sort=command.get("sort"), limit=1)
        fields = command.get("fields")
        if command.get("remove"):
            if found:
                self.delete({"_id": found[0]["_id"]}, just_one=True)
            return (query.project(found[0], fields) if found else None), {"n": len(found)}
        change = command.get("update")
        if not isinstance(change, Mapping):
            raise CommandError("Either an update or remove=true must be specified", 9)
        if found:
            try:
                change = update.resolve_positional(found[0], selector, change)
            except update.UpdateError as error:
                raise CommandError(str(error), error.code) from error
            self.update({"_id": found[0]["_id"]}, change)
            after = self.find({"_id": found[0]["_id"]}, limit=1)[0]
            value = after if command.get("new") else found[0]
            return query.project(value, fields), {"n": 1, "updatedExisting": True}
        if not command.get("upsert"):
            return None, {"n": 0, "updatedExisting": False}
        result = self.update(selector, change, upsert=True)
        after = self.find({"_id": result.upserted}, limit=1)[0]
        error_object = {"n": 1, "updatedExisting": False, "upserted": result.upserted}
        return (query.project(after, fields) if command.get("new") else None), error_object

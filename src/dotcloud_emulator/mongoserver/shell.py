"""`mongo`: a small shell in the style of MongoDB's, for `run APP.SERVICE`.

It understands one statement per line (or `;`-separated, with `--eval`): `show dbs`,
`show collections`, `use DB`, `db.runCommand({...})`, `db.dropDatabase()` and
`db.COLLECTION.METHOD(args)` for find / findOne (with `.sort()`, `.skip()`, `.limit()`,
`.count()`), insert / insertOne / insertMany, update / updateOne / updateMany, remove /
deleteOne / deleteMany, count / countDocuments, distinct, ensureIndex / createIndex, getIndexes,
dropIndex, drop. Arguments are the shell's object literals (bare keys, 'single quotes',
ObjectId("..."), ISODate("...")); it is no JavaScript interpreter.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from collections.abc import Callable
from typing import Any

from bson import Int64, ObjectId

from dotcloud_emulator.mongoserver import client as mongo_client
from dotcloud_emulator.mongoserver import wire
from dotcloud_emulator.mongoserver.storage import index_name
from dotcloud_emulator.mongoserver.values import Document

SECONDARY_OK = {"mode": "primaryPreferred"}


class ShellError(Exception):
    pass


# --- literals ------------------------------------------------------------------------------------

_CONSTRUCTORS = {
    "ObjectId": "$oid",
    "ISODate": "$date",
    "Date": "$date",
    "NumberLong": "$numberLong",
}
_CONSTRUCTOR = re.compile(
    r"(?:new\s+)?(ObjectId|ISODate|Date|NumberLong)\(\s*([\"'])([^\"']*)\2\s*\)"
)
_NUMBER_INT = re.compile(r"NumberInt\(\s*[\"']?(-?\d+)[\"']?\s*\)")
_NUMBER_LONG = re.compile(r"NumberLong\(\s*(-?\d+)\s*\)")


def _constructor(match: re.Match[str]) -> str:
    return json.dumps({_CONSTRUCTORS[match.group(1)]: match.group(3)})


def to_json(text: str) -> str:
    """The shell's literal syntax as extended JSON: bare keys quoted, single quotes made double,
    ObjectId("x") as {"$oid": "x"}."""
    text = _NUMBER_INT.sub(r"\1", _CONSTRUCTOR.sub(_constructor, text))
    text = _NUMBER_LONG.sub(r'{"$numberLong": "\1"}', text)
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in "\"'":
            end = _string_end(text, i)
            body = text[i + 1 : end]
            if char == "'":
                body = body.replace("\\'", "'").replace('"', '\\"')
            out.append(f'"{body}"')
            i = end + 1
            continue
        match = re.match(r"[A-Za-z_$][\w$.]*", text[i:])
        if match:
            word = match.group(0)
            rest = text[i + len(word) :].lstrip()
            quoted = rest.startswith(":") and _in_object(out)
            out.append(json.dumps(word) if quoted else word)
            i += len(word)
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _string_end(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == text[start]:
            return i
        i += 1
    raise ShellError(f"unterminated string starting at column {start + 1}")


def _in_object(out: list[str]) -> bool:
    before = "".join(out).rstrip()
    return before.endswith(("{", ","))


def _extended(document: dict[str, Any]) -> Any:
    """Extended JSON's {"$oid": ...}, {"$date": ...}, {"$numberLong": ...} as BSON values
    (Debian's bson.json_util needs the whole driver)."""
    if len(document) == 1:
        key, value = next(iter(document.items()))
        if key == "$oid":
            return ObjectId(value)
        if key == "$date":
            text = str(value).removesuffix("Z")
            return datetime.datetime.fromisoformat(text) if text else datetime.datetime.now()
        if key == "$numberLong":
            return Int64(int(value))
    return document


def arguments(text: str) -> list[Any]:
    if not text.strip():
        return []
    try:
        parsed = json.loads(f"[{to_json(text)}]", object_hook=_extended)
    except ValueError as error:
        raise ShellError(f"cannot read the arguments ({text}): {error}") from error
    return list(parsed)


def split_calls(text: str) -> list[tuple[str, str | None]]:
    """`a.b(x).c(y)` as [("a", None), ("b", "x"), ("c", "y")], brackets and strings respected."""
    parts: list[tuple[str, str | None]] = []
    i = 0
    while i < len(text):
        match = re.match(r"\s*\.?\s*([A-Za-z_$][\w$-]*)", text[i:])
        if not match:
            raise ShellError(f"cannot read {text[i:]!r}")
        name = match.group(1)
        i += match.end()
        if i < len(text) and text[i] == "(":
            end = _closing(text, i)
            parts.append((name, text[i + 1 : end]))
            i = end + 1
        else:
            parts.append((name, None))
    return parts


def _closing(text: str, start: int) -> int:
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if char in "\"'":
            i = _string_end(text, i) + 1
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ShellError("unbalanced parentheses")


def statements(text: str) -> list[str]:
    """Statements separated by `;` or new lines, outside strings and brackets."""
    found, current, depth, i = [], "", 0, 0
    while i < len(text):
        char = text[i]
        if char in "\"'":
            end = _string_end(text, i)
            current += text[i : end + 1]
            i = end + 1
            continue
        depth += (char in "([{") - (char in ")]}")
        if char in ";\n" and depth == 0:
            found.append(current)
            current = ""
        else:
            current += char
        i += 1
    found.append(current)
    return [statement.strip() for statement in found if statement.strip()]


# --- printing ------------------------------------------------------------------------------------


def shown(value: Any) -> str:
    """A value as the mongo shell printed it: ObjectId("..."), ISODate("..."), JSON otherwise."""
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k))} : {shown(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{ }"
    if isinstance(value, list | tuple):
        return "[ " + ", ".join(shown(item) for item in value) + " ]" if value else "[ ]"
    if isinstance(value, ObjectId):
        return f'ObjectId("{value}")'
    if isinstance(value, datetime.datetime):
        return f'ISODate("{value.isoformat(timespec="milliseconds")}Z")'
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float | str):
        return json.dumps(value)
    return repr(value)


# --- running -------------------------------------------------------------------------------------


class Shell:
    def __init__(self, connection: mongo_client.Client, db: str = "test", out: Any = None) -> None:
        self.client = connection
        self.db = db
        self.out = out or sys.stdout

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def run(self, statement: str) -> None:
        words = statement.split()
        if words[:1] == ["use"] and len(words) == 2:
            self.db = words[1]
            self.say(f"switched to db {self.db}")
        elif words == ["show", "dbs"] or words == ["show", "databases"]:
            for entry in self.command("admin", {"listDatabases": 1})["databases"]:
                self.say(f"{entry['name']}\t{entry.get('sizeOnDisk', 0) / 1e9:.3f}GB")
        elif words == ["show", "collections"]:
            for name in self.collection_names():
                self.say(name)
        elif statement == "db":
            self.say(self.db)
        elif words[:1] in (["exit"], ["quit"], ["quit()"]):
            raise EOFError
        elif statement.startswith("db."):
            self.call(split_calls(statement[3:]))
        else:
            raise ShellError(f"not understood: {statement} (see `mongo --help`)")

    def command(self, db: str, command: Document) -> Document:
        # On a secondary of a replica set it reads (as MongoDB's shell after rs.slaveOk()); a
        # write there is refused with the server's `not master`.
        try:
            return self.client.command(db, {**command, "$readPreference": SECONDARY_OK})
        except mongo_client.ClientError as error:
            raise ShellError(str(error)) from error

    def collection_names(self) -> list[str]:
        answer = self.command(self.db, {"listCollections": 1, "nameOnly": True})
        return sorted(entry["name"] for entry in answer["cursor"]["firstBatch"])

    def call(self, calls: list[tuple[str, str | None]]) -> None:
        if calls and calls[0][1] is not None:
            name, args = calls[0]
            database_method = DATABASE_METHODS.get(name)
            if database_method is None:
                raise ShellError(f"db.{name}() is not a method this shell knows")
            self.say(shown(database_method(self, *arguments(args or ""))))
            return
        names = [name for name, args in calls if args is None]
        methods = [(name, args or "") for name, args in calls if args is not None]
        if not names or not methods:
            raise ShellError("expected db.COLLECTION.METHOD(...)")
        collection = ".".join(names)
        method, args = methods[0]
        modifiers = [(name, arguments(text)) for name, text in methods[1:]]
        handler = COLLECTION_METHODS.get(method)
        if handler is None:
            raise ShellError(f"db.{collection}.{method}() is not a method this shell knows")
        result = handler(self, collection, arguments(args), modifiers)
        if isinstance(result, list):
            for document in result:
                self.say(shown(document))
        elif result is not None:
            self.say(shown(result))


def _find(shell: Shell, coll: str, args: list[Any], modifiers: list[tuple[str, list[Any]]]) -> Any:
    command: Document = {"find": coll, "filter": args[0] if args else {}}
    if len(args) > 1:
        command["projection"] = args[1]
    counting = False
    for name, values in modifiers:
        if name in ("sort", "skip", "limit") and values:
            command[name] = values[0]
        elif name in ("count", "size", "itcount"):
            counting = True
        elif name not in ("pretty", "toArray"):
            raise ShellError(f".{name}() is not a cursor method this shell knows")
    documents = _all(shell, command)
    return len(documents) if counting else documents


def _all(shell: Shell, command: Document) -> list[Document]:
    answer = shell.command(shell.db, command)
    documents = list(answer["cursor"]["firstBatch"])
    cursor_id = answer["cursor"]["id"]
    while cursor_id:
        more = shell.command(shell.db, {"getMore": cursor_id, "collection": command["find"]})
        documents += more["cursor"]["nextBatch"]
        cursor_id = more["cursor"]["id"]
    return documents


def _find_one(shell: Shell, coll: str, args: list[Any], _mods: list[Any]) -> Any:
    command: Document = {"find": coll, "filter": args[0] if args else {}, "limit": 1}
    if len(args) > 1:
        command["projection"] = args[1]
    found = _all(shell, command)
    return found[0] if found else None


def _insert(shell: Shell, coll: str, args: list[Any], _mods: list[Any]) -> Any:
    documents = args[0] if args and isinstance(args[0], list) else args[:1]
    answer = shell.command(shell.db, {"insert": coll, "documents": documents})
    return _write_result(answer, "nInserted")


def _write_result(answer: Document, counted: str) -> Document:
    if answer.get("writeErrors"):
        raise ShellError(answer["writeErrors"][0]["errmsg"])
    result = {counted: answer.get("n", 0)}
    if "nModified" in answer:
        result = {"nMatched": answer["n"], "nModified": answer["nModified"]}
        if answer.get("upserted"):
            result["nUpserted"] = len(answer["upserted"])
    return {"WriteResult": result}


def _updater(multi: bool | None) -> Callable[[Shell, str, list[Any], list[Any]], Any]:
    def update(shell: Shell, coll: str, args: list[Any], _mods: list[Any]) -> Any:
        if len(args) < 2:
            raise ShellError("update needs a query and an update document")
        options = args[2] if len(args) > 2 and isinstance(args[2], dict) else {}
        statement = {
            "q": args[0],
            "u": args[1],
            "upsert": bool(options.get("upsert")),
            "multi": bool(options.get("multi")) if multi is None else multi,
        }
        answer = shell.command(shell.db, {"update": coll, "updates": [statement]})
        return _write_result(answer, "nMatched")

    return update


def _remover(limit: int | None) -> Callable[[Shell, str, list[Any], list[Any]], Any]:
    def remove(shell: Shell, coll: str, args: list[Any], _mods: list[Any]) -> Any:
        one = limit if limit is not None else int(len(args) > 1 and bool(args[1]))
        statement = {"q": args[0] if args else {}, "limit": one}
        answer = shell.command(shell.db, {"delete": coll, "deletes": [statement]})
        return {"WriteResult": {"nRemoved": answer["n"]}}

    return remove


def _count(shell: Shell, coll: str, args: list[Any], _mods: list[Any]) -> Any:
    return shell.command(shell.db, {"count": coll, "query": args[0] if args else {}})["n"]


def _distinct(shell: Shell, coll: str, args: list[Any], _mods: list[Any]) -> Any:
    if not args:
        raise ShellError("distinct needs a field name")
    command = {"distinct": coll, "key": args[0], "query": args[1] if len(args) > 1 else {}}
    return shell.command(shell.db, command)["values"]


def _create_index(shell: Shell, coll: str, args: list[Any], _mods: list[Any]) -> Any:
    if not args or not isinstance(args[0], dict):
        raise ShellError("createIndex needs a key document")
    spec = {"key": args[0], "name": index_name(args[0])}
    if len(args) > 1 and isinstance(args[1], dict):
        spec.update(args[1])
    answer = shell.command(shell.db, {"createIndexes": coll, "indexes": [spec]})
    return {key: value for key, value in answer.items() if key != "ok"} | {"ok": 1}


def _get_indexes(shell: Shell, coll: str, _args: list[Any], _mods: list[Any]) -> Any:
    return [shell.command(shell.db, {"listIndexes": coll})["cursor"]["firstBatch"]]


def _drop_index(shell: Shell, coll: str, args: list[Any], _mods: list[Any]) -> Any:
    return shell.command(shell.db, {"dropIndexes": coll, "index": args[0] if args else ""})


def _drop(shell: Shell, coll: str, _args: list[Any], _mods: list[Any]) -> Any:
    try:
        shell.command(shell.db, {"drop": coll})
    except ShellError:
        return False
    return True


COLLECTION_METHODS: dict[str, Callable[[Shell, str, list[Any], list[Any]], Any]] = {
    "find": _find,
    "findOne": _find_one,
    "insert": _insert,
    "insertOne": _insert,
    "insertMany": _insert,
    "save": _insert,
    "update": _updater(None),
    "updateOne": _updater(False),
    "updateMany": _updater(True),
    "remove": _remover(None),
    "deleteOne": _remover(1),
    "deleteMany": _remover(0),
    "count": _count,
    "countDocuments": _count,
    "distinct": _distinct,
    "ensureIndex": _create_index,
    "createIndex": _create_index,
    "getIndexes": _get_indexes,
    "dropIndex": _drop_index,
    "drop": _drop,
}
DATABASE_METHODS: dict[str, Callable[..., Any]] = {
    "runCommand": lambda shell, command=None: shell.command(shell.db, command or {}),
    "adminCommand": lambda shell, command=None: shell.command("admin", command or {}),
    "dropDatabase": lambda shell: shell.command(shell.db, {"dropDatabase": 1}),
    "stats": lambda shell: shell.command(shell.db, {"dbStats": 1}),
    "getCollectionNames": lambda shell: shell.collection_names(),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mongo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mongo_client.connection_arguments(parser)
    parser.add_argument("--eval", help="run these statements and exit")
    parser.add_argument("db", nargs="?", default="test", help="the database to use (test)")
    args = parser.parse_args(argv)
    try:
        shell = Shell(mongo_client.connect(args), args.db)
    except (OSError, mongo_client.ClientError, wire.ProtocolError) as error:
        print(f"mongo: cannot connect to {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    if args.eval is not None:
        return _run_all(shell, statements(args.eval))
    print(f"mongo-style shell of dotcloud-emulator, connected to {args.host}:{args.port}/{args.db}")
    while True:
        try:
            line = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        try:
            _run_all(shell, statements(line), stop=False)
        except EOFError:
            return 0


def _run_all(shell: Shell, found: list[str], *, stop: bool = True) -> int:
    for statement in found:
        try:
            shell.run(statement)
        except EOFError:
            if stop:
                return 0
            raise
        except (ShellError, mongo_client.ClientError) as error:
            print(f"error: {error}", file=sys.stderr)
            if stop:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

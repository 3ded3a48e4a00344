"""The commands (`{find: ...}` on `db.$cmd`, or an OP_MSG body) and the 2012 opcodes, on the
server's state and one connection's session."""

from __future__ import annotations

import datetime
import itertools
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bson import Binary, Int64

from dotcloud_emulator.mongoserver import auth, query, wire
from dotcloud_emulator.mongoserver.operations import (
    Collection,
    CommandError,
    check_collection_name,
    split_namespace,
)
from dotcloud_emulator.mongoserver.replset import Membership, ReplicaSet, SyncStatus, election_id
from dotcloud_emulator.mongoserver.storage import DuplicateKey, Store
from dotcloud_emulator.mongoserver.values import Document

BAD_VALUE = 2
UNAUTHORIZED = 13
CURSOR_NOT_FOUND = 43
COMMAND_NOT_FOUND = 59
NAMESPACE_NOT_FOUND = 26
NAMESPACE_EXISTS = 48
NO_REPLICATION_ENABLED = 76
# A secondary's refusals, in MongoDB 4.4's words (drivers of every era know the codes).
NOT_WRITABLE_PRIMARY = 10107  # "not master"
NOT_PRIMARY_NO_SECONDARY_OK = 13435  # "not master and slaveOk=false"
SLAVE_OK = 4  # OP_QUERY's flag: this read may be answered by a secondary
DEFAULT_BATCH = 101
MAX_BSON_SIZE = 16 * 1024 * 1024
# What a 2012 driver sees (MongoDB 2.2, the platform's, before write commands), and what a
# driver of today needs to speak to us at all (OP_MSG, the find and write commands).
LEGACY_VERSION = ("2.2.7", 0)
MODERN_VERSION = ("4.4.0", 9)
# The commands a connection may run before it authenticates.
OPEN_COMMANDS = frozenset(
    {
        "ismaster",
        "hello",
        "ping",
        "buildinfo",
        "getnonce",
        "authenticate",
        "saslstart",
        "saslcontinue",
        "logout",
        "whatsmyuri",
        "getlasterror",
        "endsessions",
        "getlog",
    }
)
# What a secondary refuses: every write; the reads unless the driver allows a secondary
# (slaveOk, or a read preference other than primary), as MongoDB does.
WRITE_COMMANDS = frozenset(
    {
        "insert",
        "update",
        "delete",
        "findandmodify",
        "create",
        "drop",
        "dropdatabase",
        "createindexes",
        "dropindexes",
        "deleteindexes",
    }
)
READ_COMMANDS = frozenset(
    {
        "find",
        "count",
        "distinct",
        "aggregate",
        "listcollections",
        "listindexes",
        "collstats",
        "dbstats",
    }
)


@dataclass
class Cursor:
    namespace: str
    documents: list[Document]
    position: int = 0

    def batch(self, size: int) -> list[Document]:
        size = size if size > 0 else DEFAULT_BATCH
        taken = self.documents[self.position : self.position + size]
        self.position += len(taken)
        return taken

    @property
    def exhausted(self) -> bool:
        return self.position >= len(self.documents)


@dataclass
class State:
    """What every connection shares: the data, the user, the open cursors."""

    store: Store
    user: auth.User | None  # None: no authentication asked
    cursors: dict[int, Cursor] = field(default_factory=dict)
    replica_set: ReplicaSet | None = None  # None: a standalone server
    sync: SyncStatus = field(default_factory=SyncStatus)  # a secondary's view of its primary
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    connection_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Who is the primary now, the term; made from `replica_set` when not given.
    membership: Membership | None = None

    def __post_init__(self) -> None:
        if self.membership is None and self.replica_set is not None:
            self.membership = Membership(self.replica_set)

    def open_cursor(
        self, namespace: str, documents: list[Document], first: int, *, single: bool = False
    ) -> tuple[int, list[Document]]:
        cursor = Cursor(namespace, documents)
        batch = cursor.batch(first)
        if single or cursor.exhausted:
            return 0, batch
        cursor_id = secrets.randbelow(2**62) + 1
        self.cursors[cursor_id] = cursor
        return cursor_id, batch

    @property
    def secondary(self) -> bool:
        return self.membership is not None and not self.membership.is_primary

    def more(self, cursor_id: int, size: int) -> tuple[int, Cursor, list[Document]]:
        cursor = self.cursors.get(cursor_id)
        if cursor is None:
            raise CommandError(f"cursor id {cursor_id} not found", CURSOR_NOT_FOUND)
        # No size: the rest (MongoDB sends up to 16 MB; an emulator's results are small).
        batch = cursor.batch(size if size > 0 else len(cursor.documents))
        if cursor.exhausted:
            del self.cursors[cursor_id]
            cursor_id = 0
        return cursor_id, cursor, batch


@dataclass
class Session:
    """One connection: who it authenticated as, which era its driver is, its last legacy error."""

    state: State
    peer: str = "127.0.0.1:0"
    connection_id: int = 0
    authenticated: bool = False
    modern: bool = False
    nonce: str = ""
    last_error: Document = field(default_factory=lambda: {"err": None, "n": 0})
    conversations: dict[int, auth.Scram] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.connection_id = next(self.state.connection_ids)

    @property
    def allowed(self) -> bool:
        return self.authenticated or self.state.user is None

    def collection(self, db: str, name: object) -> Collection:
        if not isinstance(name, str):
            raise CommandError(f"collection name has invalid type {type(name).__name__}", 73)
        return Collection(self.state.store, db, name)

    # --- the entry points ----------------------------------------------------------------------

    def command(self, db: str, command: Document, *, secondary_ok: bool = False) -> Document:
        """Run one command; a failure is an `ok: 0` answer, as MongoDB gives it. On a secondary
        a read needs `secondary_ok` (OP_QUERY's slaveOk) or a read preference that allows it."""
        if not command:
            return error_answer("no command given", COMMAND_NOT_FOUND)
        name = next(iter(command))
        handler = COMMANDS.get(name.lower())
        if handler is None:
            return error_answer(f"no such command: '{name}'", COMMAND_NOT_FOUND)
        if not self.allowed and name.lower() not in OPEN_COMMANDS:
            return error_answer(f"command {name} requires authentication", UNAUTHORIZED)
        if self.state.secondary:
            refusal = secondary_refusal(name.lower(), command, secondary_ok=secondary_ok)
            if refusal is not None:
                return refusal
        try:
            answer = handler(self, db, command)
        except CommandError as error:
            return error_answer(str(error), error.code)
        except DuplicateKey as error:
            return error_answer(str(error), error.code)
        except auth.AuthError as error:
            return error_answer(str(error), error.code)
        return {**answer, "ok": 1.0}

    def query(self, message: wire.Query) -> tuple[int, list[Document], int]:
        """An OP_QUERY: (cursor id, documents, reply flags)."""
        db, coll = split_namespace(message.collection)
        secondary_ok = bool(message.flags & SLAVE_OK)
        if coll == "$cmd":
            answer = self.command(db, unwrap_command(message.query), secondary_ok=secondary_ok)
            return 0, [answer], 0
        if not self.allowed:
            return (
                0,
                [{"$err": f"unauthorized db:{db} ns:{message.collection}", "code": 10057}],
                wire.QUERY_FAILURE,
            )
        if self.state.secondary and not secondary_ok:
            return (
                0,
                [{"$err": "not master and slaveOk=false", "code": NOT_PRIMARY_NO_SECONDARY_OK}],
                wire.QUERY_FAILURE,
            )
        filter_, options = split_legacy_query(message.query)
        try:
            documents = self.collection(db, coll).find(
                filter_, sort=options.get("orderby"), skip=message.skip, projection=message.fields
            )
        except CommandError as error:
            return 0, [{"$err": str(error), "code": error.code}], wire.QUERY_FAILURE
        if options.get("explain"):
            return (
                0,
                [{"cursor": "BasicCursor", "n": len(documents), "nscanned": len(documents)}],
                0,
            )
        single = message.limit < 0 or message.limit == 1
        cursor_id, batch = self.state.open_cursor(
            message.collection, documents, abs(message.limit), single=single
        )
        return cursor_id, batch, 0

    def get_more(self, message: wire.GetMore) -> tuple[int, list[Document], int, int]:
        """An OP_GET_MORE: (cursor id, documents, starting from, reply flags)."""
        try:
            cursor_id, cursor, batch = self.state.more(message.cursor_id, message.limit)
        except CommandError:
            return 0, [], 0, wire.CURSOR_NOT_FOUND
        return cursor_id, batch, cursor.position - len(batch), 0

    def kill_cursors(self, ids: list[int]) -> list[int]:
        return [cursor_id for cursor_id in ids if self.state.cursors.pop(cursor_id, None)]

    def legacy_write(self, message: wire.Insert | wire.Update | wire.Delete) -> None:
        """OP_INSERT, OP_UPDATE, OP_DELETE: no answer; the next getLastError tells how it went."""
        self.last_error = {"err": None, "n": 0}
        if not self.allowed:
            self.last_error = {"err": "unauthorized", "code": UNAUTHORIZED, "n": 0}
            return
        if self.state.secondary:
            self.last_error = {"err": "not master", "code": NOT_WRITABLE_PRIMARY, "n": 0}
            return
        try:
            db, coll = split_namespace(message.collection)
            collection = self.collection(db, coll)
            with self.state.store.write():
                self.last_error = _legacy(collection, message)
        except (CommandError, DuplicateKey) as error:
            self.last_error = {"err": str(error), "code": error.code, "n": 0}


def _legacy(collection: Collection, message: wire.Insert | wire.Update | wire.Delete) -> Document:
    if isinstance(message, wire.Insert):
        for document in message.documents:
            collection.insert(document)
        return {"err": None, "n": 0}
    if isinstance(message, wire.Update):
        result = collection.update(
            message.selector,
            message.update,
            upsert=bool(message.flags & 1),
            multi=bool(message.flags & 2),
        )
        answer: Document = {"err": None, "n": result.matched or int(result.has_upsert)}
        answer["updatedExisting"] = result.matched > 0
        if result.has_upsert:
            answer["upserted"] = result.upserted
        return answer
    return {"err": None, "n": collection.delete(message.selector, just_one=bool(message.flags & 1))}


def error_answer(message: str, code: int) -> Document:
    return {"ok": 0.0, "errmsg": message, "code": code}


def secondary_refusal(name: str, command: Document, *, secondary_ok: bool) -> Document | None:
    """A secondary's answer to a write, or to a read that did not allow a secondary; None when
    it runs the command."""
    if name in WRITE_COMMANDS:
        return error_answer("not master", NOT_WRITABLE_PRIMARY)
    if name in READ_COMMANDS and not (secondary_ok or allows_secondary(command)):
        return error_answer("not master and slaveOk=false", NOT_PRIMARY_NO_SECONDARY_OK)
    return None


def allows_secondary(command: Document) -> bool:
    """An OP_MSG's `$readPreference` other than primary (pymongo sends primaryPreferred on a
    direct connection)."""
    preference = command.get("$readPreference")
    return isinstance(preference, Mapping) and preference.get("mode", "primary") != "primary"


def unwrap_command(document: Document) -> Document:
    """A command sent as `{$query: {...}, $readPreference: ...}` by a driver behind mongos."""
    inner = document.get("$query", document.get("query")) if len(document) > 0 else None
    if isinstance(inner, Mapping) and next(iter(document)) in ("$query", "query"):
        return dict(inner)
    return document


def split_legacy_query(document: Document) -> tuple[Document, Document]:
    """An OP_QUERY's filter and its options: `{$query: F, $orderby: S}` (or without `$`)."""
    if "$query" in document or (
        "query" in document
        and isinstance(document["query"], Mapping)
        and ("orderby" in document or len(document) == 1)
    ):
        options = {key.lstrip("$"): value for key, value in document.items()}
        return dict(options.pop("query") or {}), options
    return document, {}


# --- the commands --------------------------------------------------------------------------------

Handler = Callable[[Session, str, Document], Document]
COMMANDS: dict[str, Handler] = {}


def command(*names: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for name in names:
            COMMANDS[name.lower()] = handler
        return handler

    return register


def _number(value: object, default: int = 0) -> int:
    if value is None or isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return int(value)
    raise CommandError(f"expected a number, found {type(value).__name__}", 14)


@command("isMaster", "hello")
def _hello(session: Session, _db: str, cmd: Document) -> Document:
    if "client" in cmd or "hello" in cmd or cmd.get("helloOk"):
        session.modern = True
    version, wire_version = MODERN_VERSION if session.modern else LEGACY_VERSION
    answer: Document = {
        "ismaster": True,
        "isWritablePrimary": True,
        "maxBsonObjectSize": MAX_BSON_SIZE,
        "maxMessageSizeBytes": wire.MAX_MESSAGE_SIZE,
        "maxWriteBatchSize": 100000,
        "localTime": datetime.datetime.now(datetime.UTC),
        "minWireVersion": 0,
        "maxWireVersion": wire_version,
        "readOnly": False,
        "connectionId": session.connection_id,
    }
    membership = session.state.membership
    if membership is not None:
        replica_set, primary = membership.replica_set, membership.is_primary
        answer.update(
            {
                "ismaster": primary,
                "isWritablePrimary": primary,
                "secondary": not primary,
                "setName": replica_set.name,
                "setVersion": 1,
                "hosts": list(replica_set.members),
                "me": replica_set.address,
                "term": Int64(membership.term),
            }
        )
        if membership.primary_address is not None:
            answer["primary"] = membership.primary_address
        if primary:
            answer["electionId"] = election_id(membership.term)
    if cmd.get("helloOk"):
        answer["helloOk"] = True
    mechanisms = cmd.get("saslSupportedMechs")
    if session.modern and isinstance(mechanisms, str) and session.state.user is not None:
        user = session.state.user
        if mechanisms == f"{user.database}.{user.name}":
            answer["saslSupportedMechs"] = sorted(auth.HASHES)
    del version
    return answer


@command("replSetGetStatus")
def _repl_set_get_status(session: Session, _db: str, _cmd: Document) -> Document:
    """Each member's role as this one knows it; a secondary knows whether it reaches its
    primary."""
    membership = session.state.membership
    if membership is None:
        raise CommandError("not running with --replSet", NO_REPLICATION_ENABLED)
    replica_set = membership.replica_set
    last = session.state.store.last_ts()
    sync = session.state.sync
    members: list[Document] = []
    for number, name in enumerate(replica_set.members):
        primary = number == membership.primary
        member: Document = {
            "_id": number,
            "name": name,
            "stateStr": "PRIMARY" if primary else "SECONDARY",
            "state": 1 if primary else 2,
        }
        if number == replica_set.me:
            member.update({"health": 1.0, "self": True, "optime": {"ts": Int64(last)}})
            if not primary:
                member["syncSourceHost"] = membership.primary_address if sync.reached else ""
                member["lastHeartbeatMessage"] = sync.last_error
        elif primary and session.state.secondary:
            member["health"] = 1.0 if sync.reached else 0.0
        members.append(member)
    return {
        "set": replica_set.name,
        "date": datetime.datetime.now(datetime.UTC),
        "term": Int64(membership.term),
        "myState": 1 if membership.is_primary else 2,
        "members": members,
    }


@command("replSetRequestVotes")
def _repl_set_request_votes(session: Session, _db: str, cmd: Document) -> Document:
    """Another member stands for election: this member's vote (root only)."""
    membership = session.state.membership
    if membership is None:
        raise CommandError("not running with --replSet", NO_REPLICATION_ENABLED)
    try:
        term, candidate = int(cmd["term"]), int(cmd["candidateIndex"])
        optime = (int(cmd["lastOptime"][0]), int(cmd["lastOptime"][1]))
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise CommandError(f"replSetRequestVotes: {error}", BAD_VALUE) from error
    if not 0 <= candidate < len(membership.replica_set.members):
        raise CommandError(f"replSetRequestVotes: no member {candidate}", BAD_VALUE)
    dry_run = bool(cmd.get("dryRun", False))
    reason = membership.vote(term, candidate, optime, session.state.store.last_optime(), dry_run)
    return {"term": Int64(membership.term), "voteGranted": not reason, "reason": reason}


@command("ping")
def _ping(_session: Session, _db: str, _cmd: Document) -> Document:
    return {}


@command("buildInfo")
def _build_info(session: Session, _db: str, _cmd: Document) -> Document:
    version, wire_version = MODERN_VERSION if session.modern else LEGACY_VERSION
    parts = [int(part) for part in version.split(".")]
    return {
        "version": version,
        "versionArray": [*parts, 0],
        "gitVersion": "dotcloud-emulator",
        "bits": 64,
        "maxBsonObjectSize": MAX_BSON_SIZE,
        "maxWireVersion": wire_version,
        "storageEngines": ["sqlite"],
        "modules": [],
        "javascriptEngine": "none",
    }


@command("whatsmyuri")
def _whats_my_uri(session: Session, _db: str, _cmd: Document) -> Document:
    return {"you": session.peer}


@command("getLog")
def _get_log(_session: Session, _db: str, cmd: Document) -> Document:
    if cmd.get("getLog") == "*":
        return {"names": ["startupWarnings"]}
    return {"totalLinesWritten": 0, "log": []}


@command("getCmdLineOpts")
def _cmd_line(_session: Session, _db: str, _cmd: Document) -> Document:
    return {"argv": ["mongod"], "parsed": {"security": {"authorization": "enabled"}}}


@command("getParameter")
def _get_parameter(_session: Session, _db: str, _cmd: Document) -> Document:
    return {"featureCompatibilityVersion": {"version": "4.4"}}


@command("hostInfo")
def _host_info(_session: Session, _db: str, _cmd: Document) -> Document:
    return {"system": {"hostname": "localhost"}, "os": {"type": "Linux"}, "extra": {}}


@command("serverStatus")
def _server_status(session: Session, _db: str, _cmd: Document) -> Document:
    version, _ = MODERN_VERSION if session.modern else LEGACY_VERSION
    return {
        "host": "localhost",
        "version": version,
        "process": "mongod",
        "uptime": 0.0,
        "localTime": datetime.datetime.now(datetime.UTC),
        "connections": {"current": 1},
    }


@command("endSessions", "refreshSessions", "startSession")
def _sessions(_session: Session, _db: str, _cmd: Document) -> Document:
    return {}


@command("connectionStatus")
def _connection_status(session: Session, _db: str, _cmd: Document) -> Document:
    user = session.state.user
    users = [{"user": user.name, "db": user.database}] if user and session.authenticated else []
    roles = [{"role": "root", "db": "admin"}] if users else []
    return {"authInfo": {"authenticatedUsers": users, "authenticatedUserRoles": roles}}


# --- authentication ------------------------------------------------------------------------------


def _user_for(session: Session, db: str) -> auth.User:
    user = session.state.user
    if user is None or db != user.database:
        raise auth.AuthError("Authentication failed.")
    return user


@command("getnonce")
def _getnonce(session: Session, _db: str, _cmd: Document) -> Document:
    session.nonce = secrets.token_hex(8)
    return {"nonce": session.nonce}


@command("authenticate")
def _authenticate(session: Session, db: str, cmd: Document) -> Document:
    user = _user_for(session, db)
    mechanism = cmd.get("mechanism", "MONGODB-CR")
    if mechanism != "MONGODB-CR" or not session.nonce or cmd.get("nonce") != session.nonce:
        raise auth.AuthError("auth fails")
    session.nonce = ""
    user.check_cr(str(cmd.get("nonce")), str(cmd.get("user")), str(cmd.get("key")))
    session.authenticated = True
    return {"dbname": db, "user": user.name}


def _payload(value: object) -> bytes:
    if isinstance(value, bytes | Binary):
        return bytes(value)
    return str(value).encode()


@command("saslStart")
def _sasl_start(session: Session, db: str, cmd: Document) -> Document:
    user = _user_for(session, db)
    conversation = auth.Scram(str(cmd.get("mechanism")), user, session.state.salt)
    answer = conversation.start(_payload(cmd.get("payload", b"")))
    conversation_id = len(session.conversations) + 1
    session.conversations[conversation_id] = conversation
    return {"conversationId": conversation_id, "done": False, "payload": Binary(answer)}


@command("saslContinue")
def _sasl_continue(session: Session, _db: str, cmd: Document) -> Document:
    conversation_id = _number(cmd.get("conversationId"))
    conversation = session.conversations.pop(conversation_id, None)
    if conversation is None:
        raise auth.AuthError("No SASL session state found")
    answer = conversation.finish(_payload(cmd.get("payload", b"")))
    session.authenticated = True
    return {"conversationId": conversation_id, "done": True, "payload": Binary(answer)}


@command("logout")
def _logout(session: Session, _db: str, _cmd: Document) -> Document:
    session.authenticated = False
    return {}


# --- errors of the 2012 writes -------------------------------------------------------------------


@command("getLastError", "getPrevError")
def _get_last_error(session: Session, _db: str, _cmd: Document) -> Document:
    return {"connectionId": session.connection_id, **session.last_error}


@command("resetError")
def _reset_error(session: Session, _db: str, _cmd: Document) -> Document:
    session.last_error = {"err": None, "n": 0}
    return {}


# --- databases and collections -------------------------------------------------------------------


@command("listDatabases")
def _list_databases(session: Session, _db: str, cmd: Document) -> Document:
    store = session.state.store
    entries = [
        {"name": db, "sizeOnDisk": float(store.size(db)), "empty": False}
        for db in store.databases()
    ]
    if cmd.get("nameOnly"):
        entries = [{"name": entry["name"]} for entry in entries]
    return {
        "databases": entries,
        "totalSize": float(sum(store.size(db) for db in store.databases())),
    }


@command("listCollections")
def _list_collections(session: Session, db: str, cmd: Document) -> Document:
    entries = [
        {
            "name": name,
            "type": "collection",
            "options": {},
            "info": {"readOnly": False},
            "idIndex": {"v": 2, "key": {"_id": 1}, "name": "_id_"},
        }
        for name in session.state.store.collections(db)
    ]
    wanted = cmd.get("filter") or {}
    entries = [entry for entry in entries if query.matches(entry, wanted)]
    if cmd.get("nameOnly"):
        entries = [{"name": entry["name"], "type": "collection"} for entry in entries]
    return _cursor_answer(session, f"{db}.$cmd.listCollections", entries, cmd)


def _cursor_answer(
    session: Session, namespace: str, documents: list[Document], cmd: Document
) -> Document:
    options = cmd.get("cursor") or {}
    size = _number(
        options.get("batchSize") if isinstance(options, Mapping) else None, DEFAULT_BATCH
    )
    cursor_id, batch = session.state.open_cursor(namespace, documents, size or DEFAULT_BATCH)
    if size == 0:
        cursor_id, batch = (
            session.state.open_cursor(namespace, documents, 0) if documents else (0, [])
        )
    return {"cursor": {"id": Int64(cursor_id), "ns": namespace, "firstBatch": batch}}


@command("create")
def _create(session: Session, db: str, cmd: Document) -> Document:
    name = cmd.get("create")
    check_collection_name(db, str(name))
    with session.state.store.write():
        if not session.state.store.create_collection(db, str(name)):
            raise CommandError(f"Collection {db}.{name} already exists.", NAMESPACE_EXISTS)
    return {}


@command("drop")
def _drop(session: Session, db: str, cmd: Document) -> Document:
    name = str(cmd.get("drop"))
    store = session.state.store
    indexes = len(store.indexes(db, name))
    with store.write():
        if not store.drop_collection(db, name):
            raise CommandError("ns not found", NAMESPACE_NOT_FOUND)
    return {"ns": f"{db}.{name}", "nIndexesWas": indexes}


@command("dropDatabase")
def _drop_database(session: Session, db: str, _cmd: Document) -> Document:
    with session.state.store.write():
        session.state.store.drop_database(db)
    return {"dropped": db}


@command("collStats", "dbStats")
def _stats(session: Session, db: str, cmd: Document) -> Document:
    store = session.state.store
    name = next(iter(cmd))
    if name.lower() == "dbstats":
        return {
            "db": db,
            "collections": len(store.collections(db)),
            "dataSize": float(store.size(db)),
        }
    coll = str(cmd[name])
    return {
        "ns": f"{db}.{coll}",
        "count": store.count(db, coll),
        "nindexes": len(store.indexes(db, coll)),
    }


# --- reads ---------------------------------------------------------------------------------------


@command("find")
def _find(session: Session, db: str, cmd: Document) -> Document:
    collection = session.collection(db, cmd.get("find"))
    limit = _number(cmd.get("limit"))
    documents = collection.find(
        cmd.get("filter") or {},
        sort=cmd.get("sort"),
        skip=_number(cmd.get("skip")),
        limit=limit,
        projection=cmd.get("projection"),
    )
    batch_size = _number(cmd.get("batchSize"), DEFAULT_BATCH)
    single = bool(cmd.get("singleBatch")) or limit < 0
    if batch_size == 0:
        cursor_id, batch = (
            session.state.open_cursor(collection.namespace, documents, 0) if documents else (0, [])
        )
    else:
        cursor_id, batch = session.state.open_cursor(
            collection.namespace, documents, batch_size, single=single
        )
    return {"cursor": {"id": Int64(cursor_id), "ns": collection.namespace, "firstBatch": batch}}


@command("getMore")
def _get_more(session: Session, db: str, cmd: Document) -> Document:
    cursor_id, cursor, batch = session.state.more(
        _number(cmd.get("getMore")), _number(cmd.get("batchSize"))
    )
    return {"cursor": {"id": Int64(cursor_id), "ns": cursor.namespace, "nextBatch": batch}}


@command("killCursors")
def _kill_cursors(session: Session, _db: str, cmd: Document) -> Document:
    ids = [_number(cursor_id) for cursor_id in cmd.get("cursors") or []]
    killed = session.kill_cursors(ids)
    return {
        "cursorsKilled": killed,
        "cursorsNotFound": [i for i in ids if i not in killed],
        "cursorsAlive": [],
        "cursorsUnknown": [],
    }


@command("count")
def _count(session: Session, db: str, cmd: Document) -> Document:
    collection = session.collection(db, cmd.get("count"))
    n = collection.count(
        cmd.get("query") or {}, _number(cmd.get("skip")), _number(cmd.get("limit"))
    )
    return {"n": n}


@command("distinct")
def _distinct(session: Session, db: str, cmd: Document) -> Document:
    from dotcloud_emulator.mongoserver import values

    collection = session.collection(db, cmd.get("distinct"))
    key = str(cmd.get("key"))
    found: list[object] = []
    for document in collection.find(cmd.get("query") or {}):
        for value in values.values_at(document, values.split(key)):
            for item in value if isinstance(value, list) else [value]:
                if not any(values.equal(item, present) for present in found):
                    found.append(item)
    return {"values": sorted(found, key=values.sort_key)}


@command("aggregate")
def _aggregate(session: Session, db: str, cmd: Document) -> Document:
    from dotcloud_emulator.mongoserver import pipeline

    collection = session.collection(db, cmd.get("aggregate"))
    stages = cmd.get("pipeline")
    if not isinstance(stages, list):
        raise CommandError("'pipeline' option must be specified as an array", 14)
    documents = pipeline.run(collection.find({}), stages)
    if "cursor" not in cmd:
        return {"result": documents}  # MongoDB 2.2's answer
    return _cursor_answer(session, collection.namespace, documents, cmd)


# --- writes --------------------------------------------------------------------------------------


def _write_errors(errors: list[Document]) -> Document:
    return {"writeErrors": errors} if errors else {}


@command("insert")
def _insert(session: Session, db: str, cmd: Document) -> Document:
    collection = session.collection(db, cmd.get("insert"))
    documents = cmd.get("documents") or []
    ordered = cmd.get("ordered", True)
    inserted, errors = 0, []
    with session.state.store.write():
        for index, document in enumerate(documents):
            try:
                collection.insert(document)
                inserted += 1
            except (CommandError, DuplicateKey) as error:
                errors.append({"index": index, "code": error.code, "errmsg": str(error)})
                if ordered:
                    break
    return {"n": inserted, **_write_errors(errors)}


@command("update")
def _update(session: Session, db: str, cmd: Document) -> Document:
    collection = session.collection(db, cmd.get("update"))
    matched = modified = 0
    upserted: list[Document] = []
    errors: list[Document] = []
    with session.state.store.write():
        for index, statement in enumerate(cmd.get("updates") or []):
            try:
                result = collection.update(
                    statement.get("q") or {},
                    statement.get("u") or {},
                    upsert=bool(statement.get("upsert")),
                    multi=bool(statement.get("multi")),
                )
            except (CommandError, DuplicateKey) as error:
                errors.append({"index": index, "code": error.code, "errmsg": str(error)})
                if cmd.get("ordered", True):
                    break
                continue
            matched += result.matched
            modified += result.modified
            if result.has_upsert:
                upserted.append({"index": index, "_id": result.upserted})
    answer: Document = {
        "n": matched + len(upserted),
        "nModified": modified,
        **_write_errors(errors),
    }
    if upserted:
        answer["upserted"] = upserted
    return answer


@command("delete")
def _delete(session: Session, db: str, cmd: Document) -> Document:
    collection = session.collection(db, cmd.get("delete"))
    removed = 0
    with session.state.store.write():
        for statement in cmd.get("deletes") or []:
            just_one = _number(statement.get("limit")) == 1
            removed += collection.delete(statement.get("q") or {}, just_one=just_one)
    return {"n": removed}


@command("findAndModify")
def _find_and_modify(session: Session, db: str, cmd: Document) -> Document:
    collection = session.collection(db, next(iter(cmd.values())))
    with session.state.store.write():
        value, error_object = collection.find_and_modify(cmd)
    return {"value": value, "lastErrorObject": error_object}


# --- indexes -------------------------------------------------------------------------------------


@command("createIndexes")
def _create_indexes(session: Session, db: str, cmd: Document) -> Document:
    collection = session.collection(db, cmd.get("createIndexes"))
    store = session.state.store
    specs = cmd.get("indexes")
    if not isinstance(specs, list) or not specs:
        raise CommandError("Must specify at least one index to create", 2)
    existed = store.exists(db, collection.name)
    before = len(store.indexes(db, collection.name)) if existed else 1
    with store.write():
        for spec in specs:
            collection.create_index(spec)
    return {
        "createdCollectionAutomatically": not existed,
        "numIndexesBefore": before,
        "numIndexesAfter": len(store.indexes(db, collection.name)),
    }


@command("listIndexes")
def _list_indexes(session: Session, db: str, cmd: Document) -> Document:
    collection = session.collection(db, cmd.get("listIndexes"))
    if not session.state.store.exists(db, collection.name):
        raise CommandError(f"ns does not exist: {collection.namespace}", NAMESPACE_NOT_FOUND)
    specs = session.state.store.indexes(db, collection.name)
    return _cursor_answer(session, collection.namespace, specs, cmd)


@command("dropIndexes", "deleteIndexes")
def _drop_indexes(session: Session, db: str, cmd: Document) -> Document:
    collection = session.collection(db, next(iter(cmd.values())))
    if not session.state.store.exists(db, collection.name):
        raise CommandError(f"ns not found {collection.namespace}", NAMESPACE_NOT_FOUND)
    with session.state.store.write():
        before = collection.drop_index(cmd.get("index"))
    return {"nIndexesWas": before}

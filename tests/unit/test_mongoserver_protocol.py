"""The MongoDB server's wire messages and its commands, on a server state in a temporary folder
(no sockets: the bytes go straight to the server's message handler)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import struct
from pathlib import Path

import bson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dotcloud_emulator.mongoserver import auth, wire
from dotcloud_emulator.mongoserver.commands import Session, State
from dotcloud_emulator.mongoserver.server import Server
from dotcloud_emulator.mongoserver.storage import Store

PASSWORD = "s3cret-Pass_word"


@pytest.fixture
def server(tmp_path: Path) -> Server:
    return Server(State(Store(str(tmp_path / "db.sqlite3")), auth.User("root", PASSWORD)))


def send(server: Server, session: Session, message: bytes) -> bytes | None:
    header = wire.parse_header(message[: wire.HEADER.size])
    return server.answer(session, header, message[wire.HEADER.size :])


def op_query(
    server: Server, session: Session, namespace: str, document: dict[str, object], limit: int = -1
) -> tuple[int, list[dict[str, object]]]:
    answer = send(server, session, wire.query_message(7, namespace, document, limit=limit))
    assert answer is not None
    header = wire.parse_header(answer[: wire.HEADER.size])
    assert (header.opcode, header.response_to) == (wire.OP_REPLY, 7)
    _flags, cursor_id, documents = wire.parse_reply(answer[wire.HEADER.size :])
    return cursor_id, documents


def op_msg(
    server: Server,
    session: Session,
    command: dict[str, object],
    **sequences: list[dict[str, object]],
) -> dict[str, object]:
    answer = send(server, session, wire.msg_request(9, command, sequences or None))
    assert answer is not None
    message = wire.parse_body(wire.OP_MSG, answer[wire.HEADER.size :])
    assert isinstance(message, wire.Msg)
    return message.body


def legacy(opcode: int, body: bytes) -> bytes:
    return wire.HEADER.pack(wire.HEADER.size + len(body), 3, 0, opcode) + body


def cstring(text: str) -> bytes:
    return text.encode() + b"\0"


def cr_login(server: Server, session: Session, password: str = PASSWORD) -> dict[str, object]:
    _, [nonce] = op_query(server, session, "admin.$cmd", {"getnonce": 1})
    key = auth.cr_key(str(nonce["nonce"]), "root", password)
    _, [answer] = op_query(
        server,
        session,
        "admin.$cmd",
        {"authenticate": 1, "user": "root", "nonce": nonce["nonce"], "key": key},
    )
    return answer


def test_legacy_driver_writes_then_asks_getlasterror(server: Server) -> None:
    session = Session(server.state)
    _, [hello] = op_query(server, session, "admin.$cmd", {"ismaster": 1})
    assert hello["maxWireVersion"] == 0  # a 2012 driver: the opcodes below, not write commands
    assert cr_login(server, session)["ok"] == 1.0
    insert = (
        struct.pack("<i", 0)
        + cstring("app.users")
        + bson.encode({"_id": 1, "n": "ada"})
        + bson.encode({"_id": 2})
    )
    assert send(server, session, legacy(wire.OP_INSERT, insert)) is None
    _, [error] = op_query(server, session, "app.$cmd", {"getlasterror": 1})
    assert error["err"] is None
    assert error["ok"] == 1.0
    update = (
        struct.pack("<i", 0)
        + cstring("app.users")
        + struct.pack("<i", 1)
        + bson.encode({"_id": 3})
        + bson.encode({"$set": {"n": "bob"}})
    )
    send(server, session, legacy(wire.OP_UPDATE, update))
    _, [error] = op_query(server, session, "app.$cmd", {"getlasterror": 1})
    assert (error["n"], error["updatedExisting"], error["upserted"]) == (1, False, 3)
    send(server, session, legacy(wire.OP_INSERT, insert))
    _, [error] = op_query(server, session, "app.$cmd", {"getlasterror": 1})
    assert error["code"] == 11000
    assert "E11000" in str(error["err"])
    _, found = op_query(
        server, session, "app.users", {"$query": {}, "$orderby": {"_id": -1}}, limit=0
    )
    assert [d["_id"] for d in found] == [3, 2, 1]
    delete = (
        struct.pack("<i", 0)
        + cstring("app.users")
        + struct.pack("<i", 0)
        + bson.encode({"_id": {"$gt": 1}})
    )
    send(server, session, legacy(wire.OP_DELETE, delete))
    _, [count] = op_query(server, session, "app.$cmd", {"count": "users"})
    assert count["n"] == 1


def test_legacy_cursor_is_continued_by_get_more(server: Server) -> None:
    session = Session(server.state, authenticated=True)
    op_msg(server, session, {"insert": "c", "$db": "app"}, documents=[{"i": i} for i in range(250)])
    cursor_id, first = op_query(server, session, "app.c", {}, limit=0)
    assert len(first) == 101
    assert cursor_id
    more = struct.pack("<i", 0) + cstring("app.c") + struct.pack("<iq", 0, cursor_id)
    answer = send(server, session, legacy(wire.OP_GET_MORE, more))
    assert answer is not None
    _, next_id, rest = wire.parse_reply(answer[wire.HEADER.size :])
    assert len(rest) == 149
    assert next_id == 0


def test_legacy_index_through_system_indexes_is_unique(server: Server) -> None:
    session = Session(server.state, authenticated=True)
    spec = {"ns": "app.users", "key": {"email": 1}, "name": "email_1", "unique": True}
    insert = struct.pack("<i", 0) + cstring("app.system.indexes") + bson.encode(spec)
    send(server, session, legacy(wire.OP_INSERT, insert))
    _, indexes = op_query(server, session, "app.system.indexes", {}, limit=0)
    assert [(i["name"], i["ns"]) for i in indexes] == [
        ("_id_", "app.users"),
        ("email_1", "app.users"),
    ]
    first = op_msg(
        server, session, {"insert": "users", "$db": "app", "documents": [{"email": "a@b"}]}
    )
    assert first["n"] == 1
    again = op_msg(
        server, session, {"insert": "users", "$db": "app", "documents": [{"email": "a@b"}]}
    )
    assert again["n"] == 0
    assert again["writeErrors"][0]["code"] == 11000


def test_wrong_password_and_no_login_are_refused(server: Server) -> None:
    session = Session(server.state)
    answer = cr_login(server, session, "wrong")
    assert (answer["ok"], answer["code"]) == (0.0, 18)
    refused = op_msg(server, session, {"find": "users", "$db": "app"})
    assert (refused["ok"], refused["code"]) == (0.0, 13)
    _, [failure] = op_query(server, session, "app.users", {}, limit=0)
    assert "unauthorized" in str(failure["$err"])
    assert op_msg(server, session, {"ping": 1, "$db": "admin"})["ok"] == 1.0


def scram_client(
    server: Server, session: Session, mechanism: str, password: str
) -> dict[str, object]:
    name = HASH = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}[mechanism]
    first_bare = "n=root,r=clientnonce"
    start = op_msg(
        server,
        session,
        {
            "saslStart": 1,
            "mechanism": mechanism,
            "payload": b"n,," + first_bare.encode(),
            "$db": "admin",
        },
    )
    server_first = bytes(start["payload"]).decode()  # type: ignore[call-overload]
    fields = dict(part.split("=", 1) for part in server_first.split(","))
    secret = auth.mongo_digest("root", password) if mechanism == "SCRAM-SHA-1" else password
    salted = hashlib.pbkdf2_hmac(
        name, secret.encode(), base64.b64decode(fields["s"]), int(fields["i"])
    )
    client_key = hmac.new(salted, b"Client Key", HASH).digest()
    stored = hashlib.new(HASH, client_key).digest()
    without_proof = f"c=biws,r={fields['r']}"
    message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(stored, message, HASH).digest()
    proof = base64.b64encode(
        bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    ).decode()
    return op_msg(
        server,
        session,
        {
            "saslContinue": 1,
            "conversationId": start["conversationId"],
            "payload": f"{without_proof},p={proof}".encode(),
            "$db": "admin",
        },
    )


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-1", "SCRAM-SHA-256"])
def test_scram(server: Server, mechanism: str) -> None:
    session = Session(server.state)
    assert (
        scram_client(
            server, session, "SCRAM-SHA-1" if mechanism == "SCRAM-SHA-1" else mechanism, "nope"
        )["code"]
        == 18
    )
    assert not session.authenticated
    answer = scram_client(server, session, mechanism, PASSWORD)
    assert answer["ok"] == 1.0
    assert answer["done"] is True
    assert session.authenticated


def test_modern_driver_handshake_and_commands(server: Server) -> None:
    session = Session(server.state, authenticated=True)
    hello = op_msg(
        server, session, {"hello": 1, "client": {"driver": {"name": "x"}}, "$db": "admin"}
    )
    assert hello["maxWireVersion"] >= 9  # type: ignore[operator]
    op_msg(
        server,
        session,
        {"insert": "t", "$db": "app"},
        documents=[{"_id": i, "n": i % 3} for i in range(10)],
    )
    answer = op_msg(
        server,
        session,
        {
            "update": "t",
            "$db": "app",
            "updates": [{"q": {"n": 0}, "u": {"$inc": {"hits": 1}}, "multi": True}],
        },
    )
    assert (answer["n"], answer["nModified"]) == (4, 4)
    found = op_msg(
        server,
        session,
        {"find": "t", "filter": {"hits": 1}, "sort": {"_id": -1}, "limit": 2, "$db": "app"},
    )
    assert [d["_id"] for d in found["cursor"]["firstBatch"]] == [9, 6]  # type: ignore[index]
    changed = op_msg(
        server,
        session,
        {
            "findAndModify": "t",
            "query": {"_id": 1},
            "update": {"$set": {"x": 1}},
            "new": True,
            "$db": "app",
        },
    )
    assert changed["value"] == {"_id": 1, "n": 1, "x": 1}
    grouped = op_msg(
        server,
        session,
        {
            "aggregate": "t",
            "pipeline": [{"$match": {"n": 2}}, {"$group": {"_id": 1, "n": {"$sum": 1}}}],
            "cursor": {},
            "$db": "app",
        },
    )
    assert grouped["cursor"]["firstBatch"] == [{"_id": 1, "n": 3}]  # type: ignore[index]
    assert (
        op_msg(server, session, {"delete": "t", "deletes": [{"q": {}, "limit": 0}], "$db": "app"})[
            "n"
        ]
        == 10
    )
    assert op_msg(server, session, {"dropDatabase": 1, "$db": "app"})["ok"] == 1.0
    assert op_msg(server, session, {"listDatabases": 1, "$db": "admin"})["databases"] == []


def test_data_survives_a_new_server(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite3")
    first = Server(State(Store(path), None))
    op_msg(first, Session(first.state), {"insert": "t", "$db": "app"}, documents=[{"_id": "kept"}])
    second = Server(State(Store(path), None))
    found = op_msg(second, Session(second.state), {"find": "t", "$db": "app"})
    assert found["cursor"]["firstBatch"] == [{"_id": "kept"}]  # type: ignore[index]


@given(st.binary(max_size=64))
def test_garbage_is_a_protocol_error_never_a_crash(data: bytes) -> None:
    for opcode in (wire.OP_QUERY, wire.OP_MSG, wire.OP_INSERT, wire.OP_UPDATE, wire.OP_GET_MORE):
        with contextlib.suppress(wire.ProtocolError):
            wire.parse_body(opcode, data)


def test_unknown_opcode_and_bad_length_are_refused() -> None:
    with pytest.raises(wire.ProtocolError):
        wire.parse_body(2012, b"")
    with pytest.raises(wire.ProtocolError):
        wire.parse_header(struct.pack("<iiii", 3, 0, 0, wire.OP_MSG))

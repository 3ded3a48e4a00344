"""MongoDB's wire protocol: the messages of the 2012 drivers (OP_QUERY, OP_INSERT, ...) and of
today's (OP_MSG), parsed from bytes and built into bytes. Pure: no sockets here."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import bson

from dotcloud_emulator.mongoserver.values import Document

OP_REPLY = 1
OP_UPDATE = 2001
OP_INSERT = 2002
OP_QUERY = 2004
OP_GET_MORE = 2005
OP_DELETE = 2006
OP_KILL_CURSORS = 2007
OP_COMPRESSED = 2012
OP_MSG = 2013

HEADER = struct.Struct("<iiii")
# OP_REPLY's flags
CURSOR_NOT_FOUND = 1
QUERY_FAILURE = 2
AWAIT_CAPABLE = 8
# OP_MSG's flags
CHECKSUM_PRESENT = 1
MORE_TO_COME = 2
# The largest message we read: MongoDB's own limit (48 MB).
MAX_MESSAGE_SIZE = 48_000_000


class ProtocolError(Exception):
    """Bytes that are no message we understand; the connection is closed."""


@dataclass(frozen=True)
class Header:
    length: int
    request_id: int
    response_to: int
    opcode: int


@dataclass(frozen=True)
class Query:
    collection: str  # the full name, "db.collection" (commands: "db.$cmd")
    flags: int
    skip: int
    limit: int  # numberToReturn
    query: Document
    fields: Document | None = None


@dataclass(frozen=True)
class GetMore:
    collection: str
    limit: int
    cursor_id: int


@dataclass(frozen=True)
class Insert:
    collection: str
    flags: int
    documents: list[Document]


@dataclass(frozen=True)
class Update:
    collection: str
    flags: int
    selector: Document
    update: Document


@dataclass(frozen=True)
class Delete:
    collection: str
    flags: int
    selector: Document


@dataclass(frozen=True)
class KillCursors:
    cursor_ids: list[int]


@dataclass(frozen=True)
class Msg:
    flags: int
    body: Document
    sequences: dict[str, list[Document]] = field(default_factory=dict)

    def command(self) -> Document:
        """The body with each document sequence (OP_MSG's kind 1) added as an array field."""
        merged = dict(self.body)
        for name, documents in self.sequences.items():
            merged[name] = list(merged.get(name, [])) + documents
        return merged


Message = Query | GetMore | Insert | Update | Delete | KillCursors | Msg


def parse_header(data: bytes) -> Header:
    header = Header(*HEADER.unpack(data))
    if not HEADER.size <= header.length <= MAX_MESSAGE_SIZE:
        raise ProtocolError(f"message length {header.length} out of bounds")
    return header


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def int32(self) -> int:
        return int(self.unpack("<i"))

    def uint32(self) -> int:
        return int(self.unpack("<I"))

    def int64(self) -> int:
        return int(self.unpack("<q"))

    def unpack(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.offset + size > len(self.data):
            raise ProtocolError("message ends early")
        (value,) = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += size
        return value

    def cstring(self) -> str:
        end = self.data.find(b"\0", self.offset)
        if end < 0:
            raise ProtocolError("unterminated string")
        text = self.data[self.offset : end].decode("utf-8", "replace")
        self.offset = end + 1
        return text

    def document(self) -> Document:
        if self.offset + 4 > len(self.data):
            raise ProtocolError("message ends early")
        (size,) = struct.unpack_from("<i", self.data, self.offset)
        if size < 5 or self.offset + size > len(self.data):
            raise ProtocolError("bad document length")
        raw = self.data[self.offset : self.offset + size]
        self.offset += size
        try:
            return bson.decode(raw)
        except Exception as error:  # bson raises several types for bad bytes
            raise ProtocolError(f"bad BSON document: {error}") from error

    def documents(self, end: int | None = None) -> list[Document]:
        stop = len(self.data) if end is None else end
        found = []
        while self.offset < stop:
            found.append(self.document())
        return found

    @property
    def left(self) -> int:
        return len(self.data) - self.offset


def parse_body(opcode: int, body: bytes) -> Message:
    """The message after its header; ProtocolError for an opcode we do not serve."""
    reader = _Reader(body)
    if opcode == OP_QUERY:
        flags = reader.int32()
        collection = reader.cstring()
        skip, limit = reader.int32(), reader.int32()
        query = reader.document()
        fields = reader.document() if reader.left else None
        return Query(collection, flags, skip, limit, query, fields)
    if opcode == OP_MSG:
        return _parse_msg(reader)
    if opcode == OP_GET_MORE:
        reader.int32()
        collection = reader.cstring()
        return GetMore(collection, reader.int32(), reader.int64())
    if opcode == OP_INSERT:
        flags = reader.int32()
        return Insert(reader.cstring(), flags, reader.documents())
    if opcode == OP_UPDATE:
        reader.int32()
        collection = reader.cstring()
        flags = reader.int32()
        return Update(collection, flags, reader.document(), reader.document())
    if opcode == OP_DELETE:
        reader.int32()
        collection = reader.cstring()
        flags = reader.int32()
        return Delete(collection, flags, reader.document())
    if opcode == OP_KILL_CURSORS:
        reader.int32()
        count = reader.int32()
        return KillCursors([reader.int64() for _ in range(max(count, 0))])
    raise ProtocolError(f"unsupported opcode {opcode}")


def _parse_msg(reader: _Reader) -> Msg:
    flags = reader.uint32()
    end = len(reader.data) - (4 if flags & CHECKSUM_PRESENT else 0)
    body: Document | None = None
    sequences: dict[str, list[Document]] = {}
    while reader.offset < end:
        kind = reader.unpack("<B")
        if kind == 0:
            body = reader.document()
        elif kind == 1:
            start = reader.offset
            size = reader.int32()
            name = reader.cstring()
            sequences.setdefault(name, []).extend(reader.documents(start + size))
        else:
            raise ProtocolError(f"unknown OP_MSG section kind {kind}")
    if body is None:
        raise ProtocolError("OP_MSG without a body")
    return Msg(flags, body, sequences)


# --- building ------------------------------------------------------------------------------------


def _message(request_id: int, response_to: int, opcode: int, body: bytes) -> bytes:
    return HEADER.pack(HEADER.size + len(body), request_id, response_to, opcode) + body


def reply(
    request_id: int,
    response_to: int,
    documents: list[Document],
    *,
    cursor_id: int = 0,
    starting_from: int = 0,
    flags: int = AWAIT_CAPABLE,
) -> bytes:
    """An OP_REPLY, the answer to OP_QUERY and OP_GET_MORE."""
    payload = b"".join(bson.encode(document) for document in documents)
    body = struct.pack("<iqii", flags, cursor_id, starting_from, len(documents)) + payload
    return _message(request_id, response_to, OP_REPLY, body)


def msg(request_id: int, response_to: int, document: Document) -> bytes:
    """An OP_MSG holding one body section, the answer to an OP_MSG."""
    body = struct.pack("<IB", 0, 0) + bson.encode(document)
    return _message(request_id, response_to, OP_MSG, body)


# Requests, as a client sends them: for the tests and the small shell client.


def query_message(
    request_id: int, collection: str, query: Document, *, skip: int = 0, limit: int = -1
) -> bytes:
    body = (
        struct.pack("<i", 0)
        + collection.encode()
        + b"\0"
        + struct.pack("<ii", skip, limit)
        + bson.encode(query)
    )
    return _message(request_id, 0, OP_QUERY, body)


def msg_request(
    request_id: int, command: Document, sequences: dict[str, list[Document]] | None = None
) -> bytes:
    body = struct.pack("<IB", 0, 0) + bson.encode(command)
    for name, documents in (sequences or {}).items():
        payload = name.encode() + b"\0" + b"".join(bson.encode(d) for d in documents)
        body += struct.pack("<Bi", 1, 4 + len(payload)) + payload
    return _message(request_id, 0, OP_MSG, body)


def parse_reply(body: bytes) -> tuple[int, int, list[Document]]:
    """An OP_REPLY after its header: (flags, cursor id, documents)."""
    reader = _Reader(body)
    flags = reader.int32()
    cursor_id = reader.int64()
    reader.int32()
    reader.int32()
    return flags, cursor_id, reader.documents()

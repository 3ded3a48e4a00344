"""The server: asyncio connections, each reading messages and answering them in order."""

from __future__ import annotations

import asyncio
import logging

from dotcloud_emulator.mongoserver import wire
from dotcloud_emulator.mongoserver.commands import Session, State
from dotcloud_emulator.mongoserver.operations import CommandError

log = logging.getLogger("mongoserver")


class Server:
    def __init__(self, state: State) -> None:
        self.state = state
        self.request_ids = 0

    def _next_id(self) -> int:
        self.request_ids = (self.request_ids + 1) % 2**31
        return self.request_ids

    def answer(self, session: Session, header: wire.Header, body: bytes) -> bytes | None:
        """The bytes answering one message, or None when it asks for no answer."""
        message = wire.parse_body(header.opcode, body)
        rid, to = self._next_id(), header.request_id
        if isinstance(message, wire.Msg):
            command = message.command()
            db = str(command.pop("$db", "admin"))
            result = session.command(db, command)
            return None if message.flags & wire.MORE_TO_COME else wire.msg(rid, to, result)
        if isinstance(message, wire.Query):
            try:
                cursor_id, documents, flags = session.query(message)
            except CommandError as error:
                documents, cursor_id, flags = (
                    [{"$err": str(error), "code": error.code}],
                    0,
                    wire.QUERY_FAILURE,
                )
            return wire.reply(
                rid, to, documents, cursor_id=cursor_id, flags=flags | wire.AWAIT_CAPABLE
            )
        if isinstance(message, wire.GetMore):
            cursor_id, documents, start, flags = session.get_more(message)
            return wire.reply(
                rid, to, documents, cursor_id=cursor_id, starting_from=start, flags=flags
            )
        if isinstance(message, wire.KillCursors):
            session.kill_cursors(message.cursor_ids)
            return None
        session.legacy_write(message)
        return None

    async def serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        session = Session(self.state, peer=f"{peer[0]}:{peer[1]}" if peer else "unknown")
        try:
            while True:
                header = wire.parse_header(await reader.readexactly(wire.HEADER.size))
                body = await reader.readexactly(header.length - wire.HEADER.size)
                answer = self.answer(session, header, body)
                if answer is not None:
                    writer.write(answer)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except wire.ProtocolError as error:
            log.warning(
                "closing connection %s from %s: %s", session.connection_id, session.peer, error
            )
        finally:
            writer.close()


async def serve(state: State, host: str, port: int) -> None:
    server = Server(state)
    listener = await asyncio.start_server(server.serve_connection, host, port)
    log.info("waiting for connections on %s:%s", host, port)
    async with listener:
        await listener.serve_forever()

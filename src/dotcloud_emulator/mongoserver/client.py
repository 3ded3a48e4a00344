"""A small synchronous client (OP_MSG, SCRAM-SHA-256) for the readiness check and the shell:
`python3 -m dotcloud_emulator.mongoserver.client --password-variable NAME ping`."""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import secrets
import socket
import sys
from typing import Any

from dotcloud_emulator.mongoserver import wire
from dotcloud_emulator.mongoserver.values import Document


class ClientError(Exception):
    pass


class Client:
    def __init__(self, host: str = "127.0.0.1", port: int = 27017, timeout: float = 5.0) -> None:
        self.socket = socket.create_connection((host, port), timeout=timeout)
        self.request_id = 0

    def close(self) -> None:
        self.socket.close()

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.socket.recv(size - len(data))
            if not chunk:
                raise ClientError("the server closed the connection")
            data += chunk
        return data

    def command(self, db: str, command: Document, *, check: bool = True) -> Document:
        self.request_id += 1
        self.socket.sendall(wire.msg_request(self.request_id, {**command, "$db": db}))
        header = wire.parse_header(self._read(wire.HEADER.size))
        message = wire.parse_body(header.opcode, self._read(header.length - wire.HEADER.size))
        if not isinstance(message, wire.Msg):
            raise ClientError(f"unexpected answer (opcode {header.opcode})")
        answer = message.body
        if check and not answer.get("ok"):
            raise ClientError(f"{answer.get('errmsg')} (code {answer.get('code')})")
        return answer

    def login(self, user: str, password: str, db: str = "admin") -> None:
        """SCRAM-SHA-256 (RFC 7677): the proof of the password, never the password."""
        first_bare = f"n={user.replace('=', '=3D').replace(',', '=2C')},r={secrets.token_hex(12)}"
        start = self.command(
            db,
            {"saslStart": 1, "mechanism": "SCRAM-SHA-256", "payload": f"n,,{first_bare}".encode()},
        )
        server_first = bytes(start["payload"]).decode()
        fields = dict(part.split("=", 1) for part in server_first.split(","))
        salt = base64.b64decode(fields["s"])
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, int(fields["i"]))
        client_key = _hmac(salted, b"Client Key")
        without_proof = f"c=biws,r={fields['r']}"
        message = f"{first_bare},{server_first},{without_proof}".encode()
        signature = _hmac(hashlib.sha256(client_key).digest(), message)
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True)))
        final = self.command(
            db,
            {
                "saslContinue": 1,
                "conversationId": start["conversationId"],
                "payload": without_proof.encode() + b",p=" + proof,
            },
        )
        expected = base64.b64encode(_hmac(_hmac(salted, b"Server Key"), message))
        if bytes(final["payload"]) != b"v=" + expected:
            raise ClientError("the server did not prove it knows the password")


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def connect(args: Any) -> Client:
    """A client logged in as `args.user` with the password in `args.password_variable`."""
    client = Client(args.host, args.port)
    if args.password_variable:
        password = os.environ.get(args.password_variable, "")
        if not password:
            raise ClientError(f"{args.password_variable} is not set")
        client.login(args.user, password)
    return client


def connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=27017)
    parser.add_argument("--user", default="root")
    parser.add_argument("--password-variable", default="")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mongoserver.client")
    connection_arguments(parser)
    parser.add_argument("action", choices=["ping"])
    args = parser.parse_args(argv)
    try:
        client = connect(args)
        answer = client.command("admin", {"ping": 1})
        client.close()
    except (OSError, ClientError, wire.ProtocolError) as error:
        print(f"ping: {error}", file=sys.stderr)
        return 1
    print(f"ping: ok {answer.get('ok')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

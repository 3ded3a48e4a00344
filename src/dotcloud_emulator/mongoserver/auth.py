"""The one user, `root` on `admin`: MONGODB-CR (the 2012 drivers' getnonce + authenticate) and
SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802, through saslStart and saslContinue)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

AUTH_FAILED = 18
ITERATIONS = {"SCRAM-SHA-1": 10000, "SCRAM-SHA-256": 15000}
HASHES = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}


class AuthError(Exception):
    code = AUTH_FAILED


def mongo_digest(user: str, password: str) -> str:
    """MongoDB's stored password of the MONGODB-CR era, which SCRAM-SHA-1 salts in turn."""
    return hashlib.md5(f"{user}:mongo:{password}".encode()).hexdigest()  # noqa: S324 (the protocol's)


def cr_key(nonce: str, user: str, password: str) -> str:
    """The `key` a MONGODB-CR client sends with `authenticate`."""
    digest = mongo_digest(user, password)
    return hashlib.md5(f"{nonce}{user}{digest}".encode()).hexdigest()  # noqa: S324


@dataclass
class User:
    name: str
    password: str
    database: str = "admin"

    def check_cr(self, nonce: str, name: str, key: str) -> None:
        if name != self.name or not hmac.compare_digest(
            cr_key(nonce, self.name, self.password), key
        ):
            raise AuthError("auth fails")


def _fields(message: str) -> dict[str, str]:
    fields = {}
    for part in message.split(","):
        if len(part) > 2 and part[1] == "=":
            fields[part[0]] = part[2:]
    return fields


class Scram:
    """One SCRAM conversation, server side."""

    def __init__(self, mechanism: str, user: User, salt: bytes) -> None:
        if mechanism not in HASHES:
            raise AuthError(
                f"Received authentication for mechanism {mechanism} which is not enabled"
            )
        self.mechanism = mechanism
        self.user = user
        self.salt = salt
        self.hash = HASHES[mechanism]
        self.first_bare = ""
        self.server_first = ""
        self.nonce = ""

    def _salted(self) -> bytes:
        secret = self.user.password
        if self.mechanism == "SCRAM-SHA-1":
            secret = mongo_digest(self.user.name, secret)
        return hashlib.pbkdf2_hmac(
            self.hash, secret.encode(), self.salt, ITERATIONS[self.mechanism]
        )

    def _hmac(self, key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), self.hash).digest()

    def start(self, payload: bytes) -> bytes:
        text = payload.decode("utf-8", "replace")
        if not text.startswith(("n,", "y,")):
            raise AuthError("SCRAM: channel binding is not supported")
        self.first_bare = text.split(",", 2)[2]
        fields = _fields(self.first_bare)
        user = fields.get("n", "").replace("=2C", ",").replace("=3D", "=")
        if user != self.user.name or "r" not in fields:
            raise AuthError("Authentication failed.")
        self.nonce = fields["r"] + base64.b64encode(secrets.token_bytes(24)).decode()
        salt = base64.b64encode(self.salt).decode()
        self.server_first = f"r={self.nonce},s={salt},i={ITERATIONS[self.mechanism]}"
        return self.server_first.encode()

    def finish(self, payload: bytes) -> bytes:
        text = payload.decode("utf-8", "replace")
        without_proof, _, proof = text.rpartition(",p=")
        if _fields(without_proof).get("r") != self.nonce or not proof:
            raise AuthError("Authentication failed.")
        salted = self._salted()
        client_key = self._hmac(salted, "Client Key")
        stored_key = hashlib.new(self.hash, client_key).digest()
        auth_message = f"{self.first_bare},{self.server_first},{without_proof}"
        signature = self._hmac(stored_key, auth_message)
        try:
            sent = base64.b64decode(proof)
        except ValueError as error:
            raise AuthError("Authentication failed.") from error
        recovered = bytes(a ^ b for a, b in zip(sent, signature, strict=False))
        if len(sent) != len(signature) or not hmac.compare_digest(
            hashlib.new(self.hash, recovered).digest(), stored_key
        ):
            raise AuthError("Authentication failed.")
        server_key = self._hmac(salted, "Server Key")
        return b"v=" + base64.b64encode(self._hmac(server_key, auth_message))

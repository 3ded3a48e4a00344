"""The SMTP side: authentication as the service's user, and one kept message per DATA."""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets
import socket
import time
import warnings
from typing import Any, AnyStr

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session

from dotcloud_emulator.smtpserver.mailstore import MailStore

log = logging.getLogger("smtpserver")


class Relay:
    """aiosmtpd's handler: checks the login, keeps what it is given."""

    def __init__(self, store: MailStore, login: str, password: str) -> None:
        self.store = store
        self.login = login
        self.password = password.encode()

    def authenticator(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """LOGIN and PLAIN: the user name and password the client sent."""
        ok = isinstance(data, LoginPassword) and self.matches(data.login, data.password)
        if not ok:
            log.info("refused a %s login from %s", mechanism, peer(session))
        return AuthResult(success=ok, handled=False)

    def matches(self, login: bytes, password: bytes) -> bool:
        same_login = hmac.compare_digest(login, self.login.encode())
        return hmac.compare_digest(password, self.password) and same_login

    async def auth_CRAM__MD5(self, server: SMTP, args: list[str]) -> AuthResult:
        """CRAM-MD5, the platform's mechanism: the password itself never crosses the wire."""
        challenge = f"<{secrets.token_hex(8)}.{int(time.time())}@{socket.gethostname()}>".encode()
        answer = await server.challenge_auth(challenge)
        if answer is MISSING:
            return AuthResult(success=False, handled=True)
        assert isinstance(answer, bytes)
        login, _, digest = answer.rpartition(b" ")
        expected = hmac.new(self.password, challenge, "md5").hexdigest().encode()
        ok = hmac.compare_digest(login, self.login.encode()) and hmac.compare_digest(
            digest, expected
        )
        if not ok:
            log.info("refused a CRAM-MD5 login from %s", peer(server.session))
        return AuthResult(success=ok, handled=False, auth_data=login.decode(errors="replace"))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        sender = envelope.mail_from or ""
        recipients = list(envelope.rcpt_tos)
        key = await asyncio.get_running_loop().run_in_executor(
            None, self.store.keep, content, sender, recipients
        )
        subject = self.store.maildir.get_message(key).get("Subject", "")
        log.info(
            "kept %s from <%s> to %s, subject %r, %d bytes (not sent on: mail stays here)",
            key,
            sender,
            ", ".join(f"<{r}>" for r in recipients),
            str(subject),
            len(content),
        )
        return f"250 2.0.0 Ok: kept as {key}"


def peer(session: Session | None) -> str:
    address = getattr(session, "peer", None)
    return str(address[0]) if isinstance(address, tuple) else "an unknown peer"


def smtp_factory(relay: Relay) -> SMTP:
    with warnings.catch_warnings():
        # AUTH without TLS is the point here (the application's own network); say it once in docs.
        warnings.simplefilter("ignore", UserWarning)
        return smtp_session(relay)


CONTINUED = re.compile(rb"^\d{3}-")  # a line of a multi-line reply that more lines follow


class WholeReplies(SMTP):
    """aiosmtpd with each multi-line reply written at once, as Postfix writes its EHLO reply.

    aiosmtpd writes (and drains) line by line, so a reply may reach the client in several
    segments; the SMTP client of 2012's Nodemailer (simplesmtp 0.1) took a segment ending with a
    complete `250-` line for the whole reply and lost its place in the dialogue, the message never
    sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._continued: list[bytes] = []

    async def push(self, status: AnyStr) -> None:
        line = (
            status.encode("utf-8" if self.enable_SMTPUTF8 else "ascii")
            if isinstance(status, str)
            else status
        )
        if CONTINUED.match(line):
            self._continued.append(line)
            return
        whole, self._continued = b"\r\n".join([*self._continued, line]), []
        await super().push(whole)


def smtp_session(relay: Relay) -> SMTP:
    return WholeReplies(
        relay,
        hostname=socket.gethostname(),
        ident="dotcloud-emulator smtp",
        auth_required=True,
        auth_require_tls=False,  # on the application's own network, as the platform's relay
        authenticator=relay.authenticator,
        data_size_limit=20 * 1024 * 1024,
    )


async def serve(relay: Relay, bind: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: smtp_factory(relay), host=bind, port=port)
    log.info("accepting mail for %s on port %d, kept in %s", relay.login, port, relay.store.path)
    async with server:
        await server.serve_forever()

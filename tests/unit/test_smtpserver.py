"""The smtp service's relay, in this process on a loopback port: who may send, what is kept."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

import pytest

from dotcloud_emulator.smtpserver.mailstore import MailStore
from dotcloud_emulator.smtpserver.server import Relay, smtp_factory

PASSWORD = "s3cret-Pa55"


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[tuple[int, MailStore]]:
    store = MailStore(tmp_path / "mail")
    handler = Relay(store, "dotcloud", PASSWORD)
    loop = asyncio.new_event_loop()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = loop.run_until_complete(
        loop.create_server(lambda: smtp_factory(handler), "127.0.0.1", port)
    )
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield port, store
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


def message(subject: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "app@example.com"
    mail["To"] = "someone@example.org"
    mail["Subject"] = subject
    mail.set_content("Hello from the application.\n")
    return mail


def test_cram_md5_is_offered_and_a_sent_message_is_kept_not_relayed(
    relay: tuple[int, MailStore],
) -> None:
    port, store = relay
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        assert client.esmtp_features["auth"].split()[0] == "CRAM-MD5"
        client.login("dotcloud", PASSWORD, initial_response_ok=False)
        assert client.send_message(message("Welcome")) == {}

    (kept,) = store.summaries()
    assert kept.subject == "Welcome"
    assert kept.sender == "<app@example.com>"
    assert kept.recipients == "<someone@example.org>"


@pytest.mark.parametrize("mechanism", ["CRAM-MD5", "LOGIN", "PLAIN"])
def test_a_wrong_password_is_refused_with_every_mechanism(
    relay: tuple[int, MailStore], mechanism: str
) -> None:
    port, _ = relay
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.user, client.password = "dotcloud", "wrong"
        method = getattr(client, "auth_" + mechanism.lower().replace("-", "_"))
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.auth(mechanism, method, initial_response_ok=False)
    assert refused.value.smtp_code == 535


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_the_other_mechanisms_log_in_too(relay: tuple[int, MailStore], mechanism: str) -> None:
    port, store = relay
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.user, client.password = "dotcloud", PASSWORD
        method = getattr(client, "auth_" + mechanism.lower())
        code, _ = client.auth(mechanism, method, initial_response_ok=False)
        assert code == 235
        client.send_message(message(f"via {mechanism}"))
    assert [kept.subject for kept in store.summaries()] == [f"via {mechanism}"]


def test_mail_without_logging_in_is_refused_and_nothing_is_kept(
    relay: tuple[int, MailStore],
) -> None:
    port, store = relay
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(message("sneaky"))
    assert refused.value.smtp_code == 530
    assert store.summaries() == []


def test_messages_are_listed_oldest_first_with_their_envelope(tmp_path: Path) -> None:
    store = MailStore(tmp_path / "mail")
    for number in range(3):
        store.keep(message(f"number {number}").as_bytes(), "a@b.c", ["d@e.f", "g@h.i"])
    summaries = store.summaries()
    assert sorted(s.subject for s in summaries) == ["number 0", "number 1", "number 2"]
    assert {s.recipients for s in summaries} == {"<d@e.f>, <g@h.i>"}
    assert all((tmp_path / "mail" / "new" / s.key).exists() for s in summaries)


def test_an_empty_folder_becomes_a_maildir(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    store = MailStore(tmp_path / "mail")
    key = store.keep(message("first").as_bytes(), "a@b.c", ["d@e.f"])
    assert [s.key for s in store.summaries()] == [key]


def test_a_multi_line_reply_is_written_at_once_as_postfix_writes_it(tmp_path: Path) -> None:
    writes: list[bytes] = []

    class Writer:
        def write(self, data: bytes) -> None:
            writes.append(data)

        async def drain(self) -> None:
            return None

    async def replies() -> None:
        server = smtp_factory(Relay(MailStore(tmp_path / "mail"), "dotcloud", PASSWORD))
        server._writer = Writer()  # type: ignore[assignment]
        server.session = SimpleNamespace(peer=("127.0.0.1", 2525))  # type: ignore[assignment]
        for line in ("250-relay", "250-AUTH CRAM-MD5 LOGIN PLAIN", "250 HELP", "354 go ahead"):
            await server.push(line)

    asyncio.run(replies())
    assert writes == [
        b"250-relay\r\n250-AUTH CRAM-MD5 LOGIN PLAIN\r\n250 HELP\r\n",
        b"354 go ahead\r\n",
    ]

"""The messages the relay keeps: a Maildir on the data volume, and what is shown of each."""

from __future__ import annotations

import email.policy
import mailbox
import time
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path

HEADERS_READ = 64 * 1024  # a summary reads the headers only


@dataclass(frozen=True)
class Summary:
    key: str
    sender: str
    recipients: str
    subject: str
    date: str
    kept_at: str


class MailStore:
    def __init__(self, path: Path) -> None:
        for folder in ("tmp", "new", "cur"):  # the data volume's folder may exist, empty
            (path / folder).mkdir(parents=True, exist_ok=True, mode=0o700)
        self.maildir = mailbox.Maildir(str(path), create=False)
        self.path = path

    def keep(self, content: bytes, sender: str, recipients: list[str]) -> str:
        """Store one message as received, with the envelope in headers of its own."""
        envelope = (
            f"X-Dotcloud-Envelope-From: <{sender}>\r\n"
            f"X-Dotcloud-Envelope-To: {', '.join(f'<{r}>' for r in recipients)}\r\n"
        ).encode()
        return str(self.maildir.add(envelope + content))

    def summaries(self) -> list[Summary]:
        """Every kept message, oldest first."""
        found = []
        for key in self.maildir.iterkeys():
            with self.maildir.get_file(key) as file:
                head = file.read(HEADERS_READ)
            delivered = self.maildir.get_message(key).get_date()
            found.append((delivered, key, head))
        return [summary(key, head, delivered) for delivered, key, head in sorted(found)]


def summary(key: str, head: bytes, delivered: float) -> Summary:
    headers = BytesParser(policy=email.policy.default).parsebytes(head, headersonly=True)
    return Summary(
        key=key,
        sender=str(headers.get("X-Dotcloud-Envelope-From", "")),
        recipients=str(headers.get("X-Dotcloud-Envelope-To", "")),
        subject=str(headers.get("Subject", "")),
        date=str(headers.get("Date", "")),
        kept_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(delivered)),
    )

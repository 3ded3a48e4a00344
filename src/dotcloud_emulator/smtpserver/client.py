"""`python3 -m dotcloud_emulator.smtpserver.client --port 25 --password-variable NAME ping`:
the readiness check (log in with CRAM-MD5, NOOP) and `list`, the kept messages as JSON."""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import sys
from dataclasses import asdict
from pathlib import Path

from dotcloud_emulator.smtpserver.mailstore import MailStore


def ping(port: int, user: str, password: str) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.ehlo()
        client.login(user, password, initial_response_ok=False)
        code, _ = client.noop()
        if code != 250:
            raise smtplib.SMTPException(f"NOOP answered {code}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smtpserver.client")
    parser.add_argument("--port", type=int, default=25)
    parser.add_argument("--user", default="dotcloud")
    parser.add_argument("--password-variable", default="")
    parser.add_argument("--maildir", type=Path)
    parser.add_argument("action", choices=("ping", "list"))
    args = parser.parse_args(argv)
    if args.action == "list":
        if args.maildir is None:
            parser.error("list needs --maildir")
        summaries = MailStore(args.maildir).summaries()
        json.dump([asdict(s) for s in summaries], sys.stdout)
        print()
        return 0
    try:
        ping(args.port, args.user, os.environ.get(args.password_variable, ""))
    except (OSError, smtplib.SMTPException) as error:
        print(f"smtp: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

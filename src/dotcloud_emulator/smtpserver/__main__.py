"""`python3 -m dotcloud_emulator.smtpserver --maildir DIR --port 25 --password-variable NAME`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from dotcloud_emulator.smtpserver.mailstore import MailStore
from dotcloud_emulator.smtpserver.server import Relay, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smtpserver")
    parser.add_argument("--maildir", required=True, type=Path)
    parser.add_argument("--bind", default="0.0.0.0")  # noqa: S104 (inside its container)
    parser.add_argument("--port", type=int, default=25)
    parser.add_argument("--user", default="dotcloud")
    parser.add_argument("--password-variable", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s [smtp] %(message)s", stream=sys.stdout
    )
    # aiosmtpd's own lines (every connection, the AUTH-without-TLS warning) are not the user's.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    password = os.environ.get(args.password_variable, "")
    if not password:
        print(f"smtpserver: {args.password_variable} is not set", file=sys.stderr)
        return 1
    relay = Relay(MailStore(args.maildir), args.user, password)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(serve(relay, args.bind, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())

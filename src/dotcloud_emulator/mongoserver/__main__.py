"""`python3 -m mongoserver --dbpath DIR --port 27017 --password-variable NAME`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from dotcloud_emulator.mongoserver import auth
from dotcloud_emulator.mongoserver.commands import State
from dotcloud_emulator.mongoserver.server import serve
from dotcloud_emulator.mongoserver.storage import Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mongoserver")
    parser.add_argument("--dbpath", required=True, type=Path)
    parser.add_argument("--bind", default="0.0.0.0")  # noqa: S104 (inside its container)
    parser.add_argument("--port", type=int, default=27017)
    parser.add_argument("--user", default="root")
    parser.add_argument(
        "--password-variable", default="", help="the variable holding root's password"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s [mongoserver] %(message)s", stream=sys.stderr
    )
    user = None
    if args.password_variable:
        password = os.environ.get(args.password_variable, "")
        if not password:
            print(f"mongoserver: {args.password_variable} is not set", file=sys.stderr)
            return 1
        user = auth.User(args.user, password)
    args.dbpath.mkdir(parents=True, exist_ok=True)
    store = Store(str(args.dbpath / "mongo.sqlite3"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        asyncio.run(serve(State(store, user), args.bind, args.port))
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python3 -m mongoserver --dbpath DIR --port 27017 --password-variable NAME`; with
`--replset-variable NAME` (a `mongodb://` URL naming a replica set) and `--instance-variable`,
one member of a replica set (instance 0 its first primary), following the primary of the latest
term or standing for election when there is none."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from dotcloud_emulator.mongoserver import auth, replset
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
    parser.add_argument(
        "--replset-variable", default="", help="the variable holding the replica set's URL"
    )
    parser.add_argument(
        "--instance-variable",
        default="DOTCLOUD_SERVICE_ID",
        help="the variable holding this member's instance number",
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
    try:
        replica_set = replset.from_url(
            os.environ.get(args.replset_variable, "") if args.replset_variable else "",
            os.environ.get(args.instance_variable, ""),
        )
    except ValueError as error:
        print(f"mongoserver: {args.replset_variable}: {error}", file=sys.stderr)
        return 1
    args.dbpath.mkdir(parents=True, exist_ok=True)
    path = str(args.dbpath / "mongo.sqlite3")
    store = Store(path)
    membership = None
    if replica_set is not None:
        membership = replset.Membership.load(replica_set, args.dbpath)
        membership.on_term = lambda term: setattr(store, "term", term)
        if membership.is_primary:
            store.term = membership.term
        join(membership)
    state = State(store, user, replica_set=replica_set, membership=membership)
    if (membership is None or membership.is_primary) and store.seed_oplog():
        logging.info("wrote the oplog entries of the data kept before it existed")
    if replica_set is not None and membership is not None:
        password = user.password if user else ""
        replset.Puller(replica_set, path, args.user, password, state.sync, membership).start()
        optime = replset.OptimeReader(path)
        replset.Heartbeat(membership, optime, args.user, password).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        asyncio.run(serve(state, args.bind, args.port))
    finally:
        store.close()
    return 0


def join(membership: replset.Membership) -> None:
    """Before serving: a member that was the primary and finds a primary of a later term (it
    was killed, another was elected meanwhile) comes back as its secondary."""
    replica_set = membership.replica_set
    for number, answer in replset.Hellos(replica_set)().items():
        if answer is not None and answer.primary and answer.term >= membership.term:
            membership.follow(number, answer.term)
            break
    role = "primary" if membership.is_primary else f"secondary of {membership.primary_address}"
    logging.info(
        "member %s of replica set %s: %s (term %d)",
        replica_set.address,
        replica_set.name,
        role,
        membership.term,
    )


if __name__ == "__main__":
    sys.exit(main())

"""A replica set as the platform ran one: 3 or 5 members, instance 0 the primary, the others
secondaries that read the primary's oplog (`local.oplog.rs`, as MongoDB's do) with root's
credentials and apply it to their own data.

The members, the set's name and the primary come from the service's environment: the URL that
environment.json gives every service lists all the members, in instance order, and names the
set (`mongodb://root:PW@mongo:27017,mongo-1:27017,mongo-2:27017/?replicaSet=app.mongo`). Roles
are fixed: there is no election, so a secondary never becomes primary; while the primary is away
the secondaries keep their data, answer reads and wait for it to come back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from bson import Int64

from dotcloud_emulator.mongoserver import client, wire
from dotcloud_emulator.mongoserver.storage import OplogError, Store
from dotcloud_emulator.mongoserver.values import Document

log = logging.getLogger("mongoserver")

OPLOG_BATCH = 1000
IDLE_POLL = 0.2  # seconds between two reads of the oplog that found nothing new
RETRY = 1.0  # seconds before reconnecting to a primary that did not answer


@dataclass(frozen=True)
class ReplicaSet:
    name: str
    members: tuple[str, ...]  # "host:port" of every member, instance 0 first
    me: int  # this server's instance number

    @property
    def primary(self) -> str:
        return self.members[0]

    @property
    def is_primary(self) -> bool:
        return self.me == 0

    @property
    def address(self) -> str:
        return self.members[self.me]


def from_url(url: str, instance: str) -> ReplicaSet | None:
    """The set a `mongodb://` URL names (None: it names none, a standalone server), with this
    server as member number `instance`."""
    parts = urlsplit(url)
    names = parse_qs(parts.query).get("replicaSet")
    if parts.scheme != "mongodb" or not names:
        return None
    hosts = parts.netloc.rpartition("@")[2]
    members = tuple(host for host in hosts.split(",") if host)
    if not (instance.isascii() and instance.isdigit()) or int(instance) >= len(members):
        raise ValueError(f"instance {instance!r} is not one of the {len(members)} members")
    return ReplicaSet(names[0], members, int(instance))


Command = Callable[[str, Document], Document]


def pull_once(command: Command, store: Store, batch: int = OPLOG_BATCH) -> int:
    """Read the primary's entries after our last one and apply them; how many were applied.
    A primary whose oplog ends before ours has other data than ours: start again from nothing."""
    last = store.last_ts()
    answer = command(
        "local",
        {
            "find": "oplog.rs",
            "filter": {"ts": {"$gt": Int64(last)}},
            "limit": batch,
            "batchSize": batch,
            "singleBatch": True,
            "$readPreference": {"mode": "primaryPreferred"},
        },
    )
    entries = _batch(answer)
    if not entries and last and not _has_entry(command, last):
        log.warning("the primary's oplog ends before ours: copying its data again")
        store.reset()
        return pull_once(command, store, batch)
    return store.apply(entries)


def _has_entry(command: Command, ts: int) -> bool:
    answer = command(
        "local",
        {
            "find": "oplog.rs",
            "filter": {"ts": Int64(ts)},
            "limit": 1,
            "singleBatch": True,
            "$readPreference": {"mode": "primaryPreferred"},
        },
    )
    return bool(_batch(answer))


def _batch(answer: Document) -> list[Document]:
    if not answer.get("ok"):
        raise client.ClientError(f"{answer.get('errmsg')} (code {answer.get('code')})")
    return list(answer["cursor"]["firstBatch"])


@dataclass
class SyncStatus:
    """What a secondary knows of its primary, for replSetGetStatus."""

    reached: bool = False
    last_error: str = ""
    last_contact: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self) -> None:
        with self.lock:
            self.reached, self.last_error, self.last_contact = True, "", time.time()

    def failed(self, error: str) -> None:
        with self.lock:
            self.reached, self.last_error = False, error


class Puller(threading.Thread):
    """A secondary's replication: connect to the primary as root, then read and apply its oplog
    for ever (its own SQLite connection: the server's belongs to the server's thread)."""

    def __init__(
        self, replica_set: ReplicaSet, dbpath: str, user: str, password: str, status: SyncStatus
    ) -> None:
        super().__init__(name="oplog-puller", daemon=True)
        self.replica_set, self.dbpath = replica_set, dbpath
        self.user, self.password, self.status = user, password, status
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        store = Store(self.dbpath)
        host, _, port = self.replica_set.primary.rpartition(":")
        while not self.stopping.is_set():
            try:
                primary = client.Client(host, int(port))
                try:
                    if self.password:
                        primary.login(self.user, self.password)
                    self._follow(primary, store)
                finally:
                    primary.close()
            except (OSError, client.ClientError, wire.ProtocolError, OplogError, KeyError) as error:
                if self.status.reached or not self.status.last_error:
                    log.warning("replication from %s: %s", self.replica_set.primary, error)
                self.status.failed(str(error))
            self.stopping.wait(RETRY)
        store.close()

    def _follow(self, primary: client.Client, store: Store) -> None:
        while not self.stopping.is_set():
            applied = pull_once(primary.command, store)
            if not self.status.reached:
                log.info("replicating from %s", self.replica_set.primary)
            self.status.ok()
            if not applied:
                self.stopping.wait(IDLE_POLL)

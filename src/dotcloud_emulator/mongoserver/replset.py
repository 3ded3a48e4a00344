"""A replica set as the platform ran one: 3 or 5 members, the others secondaries that read the
primary's oplog (`local.oplog.rs`, as MongoDB's do) with root's credentials and apply it to their
own data.

The members and the set's name come from the service's environment: the URL that
environment.json gives every service lists all the members, in instance order, and names the
set (`mongodb://root:PW@mongo:27017,mongo-1:27017,mongo-2:27017/?replicaSet=app.mongo`).
Instance 0 is the first primary. Each member says hello to the others every HEARTBEAT seconds;
when the secondaries have not reached a primary for ELECTION_TIMEOUT, one of them asks the
others for their votes in a new term (`replSetRequestVotes`) and, with a majority's, becomes the
primary: a member votes once per term, for a candidate whose oplog is at least as recent as its
own, and not while it still reaches a primary. A primary that reaches no majority for as long
steps down, and one that sees a primary of a later term follows it: a set split in two keeps at
most one primary, on the side with a majority. A member's term and vote are kept in its data
(`replset.json`), so that a restarted member neither votes twice nor forgets a later primary.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bson import Int64, ObjectId

from dotcloud_emulator.mongoserver import client, wire
from dotcloud_emulator.mongoserver.storage import OplogError, Store
from dotcloud_emulator.mongoserver.values import Document

log = logging.getLogger("mongoserver")

OPLOG_BATCH = 1000
IDLE_POLL = 0.2  # seconds between two reads of the oplog that found nothing new
RETRY = 1.0  # seconds before reconnecting to a primary that did not answer
HEARTBEAT = 0.5  # seconds between two rounds of hellos to the other members
HEARTBEAT_TIMEOUT = 1.0  # seconds a member has to answer a hello or a vote request
# Seconds without a primary before a secondary stands for election (MongoDB's is 10 s: ours
# is short, so that a set whose primary was killed has a new one before the old one is back),
# plus up to ELECTION_JITTER so that two secondaries seldom stand at once.
ELECTION_TIMEOUT = 2.0
ELECTION_JITTER = 1.0
# A member that has not reached a primary since it started waits this long before standing:
# the members of a set start together, and instance 0, the first primary, may be the slowest.
START_GRACE = 30.0
STATE_FILE = "replset.json"


@dataclass(frozen=True)
class ReplicaSet:
    name: str
    members: tuple[str, ...]  # "host:port" of every member, instance 0 first
    me: int  # this server's instance number

    @property
    def address(self) -> str:
        return self.members[self.me]

    @property
    def majority(self) -> int:
        return len(self.members) // 2 + 1


def election_id(term: int) -> ObjectId:
    """The primary's `electionId`, growing with the term (drivers drop a primary whose id is
    older than one they saw), as MongoDB makes it."""
    return ObjectId(b"\x7f\xff\xff\xff" + term.to_bytes(8, "big"))


@dataclass
class Membership:
    """What a member knows of the set now: the term, the primary (None: none known), its vote.
    Shared by the server's thread, the heartbeat and the puller."""

    replica_set: ReplicaSet
    path: Path | None = None  # where the term and the vote are kept; None: in memory only
    term: int = 0
    primary: int | None = 0
    voted: tuple[int, int] = (0, -1)  # (term, the candidate voted for in it)
    on_term: Callable[[int], None] = lambda term: None  # the term the primary's entries carry
    seen: float = 0.0  # when the primary last answered (time.monotonic()); 0: not yet
    reached: bool = False  # a primary answered since this member started
    lock: threading.RLock = field(default_factory=threading.RLock)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    @classmethod
    def load(cls, replica_set: ReplicaSet, folder: Path) -> Membership:
        """The member as its data left it; a new member knows instance 0 as the primary."""
        membership = cls(replica_set, folder / STATE_FILE)
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            kept = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
            primary = kept["primary"]
            membership.term = int(kept["term"])
            membership.primary = None if primary is None else int(primary)
            membership.voted = (int(kept["voted"][0]), int(kept["voted"][1]))
        if membership.primary is not None and membership.primary >= len(replica_set.members):
            membership.primary = None  # the set was scaled down since
        return membership

    @property
    def is_primary(self) -> bool:
        return self.primary == self.replica_set.me

    @property
    def primary_address(self) -> str | None:
        return None if self.primary is None else self.replica_set.members[self.primary]

    def become_primary(self, term: int) -> None:
        with self.lock:
            self.term, self.primary = term, self.replica_set.me
            self.on_term(term)
            self._save()
        log.info("primary of %s in term %d", self.replica_set.name, term)

    def follow(self, primary: int, term: int) -> None:
        with self.lock:
            if (primary, term) == (self.primary, self.term):
                return
            stepped_down = self.is_primary
            self.term, self.primary, self.seen = term, primary, time.monotonic()
            self.reached = True
            self._save()
        verb = "stepped down: following" if stepped_down else "following"
        log.info("%s %s, primary in term %d", verb, self.replica_set.members[primary], term)

    def step_down(self, why: str) -> None:
        with self.lock:
            if not self.is_primary:
                return
            self.primary = None
            self._save()
        log.warning("stepped down: %s", why)

    def lost_primary(self) -> None:
        with self.lock:
            if self.primary is not None and not self.is_primary:
                self.primary = None
                self._save()

    def vote(
        self,
        term: int,
        candidate: int,
        candidate_optime: Optime,
        mine: Optime,
        dry_run: bool = False,
    ) -> str:
        """A vote asked for by `candidate` in `term`: "" when granted, else why not. A member
        that is the primary, or reached it lately, refuses (and keeps its term): the candidate
        is the one cut off. A dry run (the candidate's pre-vote) answers the same and changes
        nothing: neither this member's term nor its vote."""
        with self.lock:
            if term < self.term:
                return f"term {term} is older than this member's ({self.term})"
            if self.is_primary:
                return "this member is the primary"
            if self.primary is not None and time.monotonic() - self.seen < ELECTION_TIMEOUT:
                return f"this member reaches the primary, {self.primary_address}"
            if self.voted[0] == term and self.voted[1] != candidate:
                reason = f"already voted for member {self.voted[1]} in term {term}"
            elif candidate_optime < mine:
                reason = "the candidate's oplog is older than this member's"
            else:
                reason = ""
            if dry_run:
                return reason
            self.term = term
            if not reason:
                self.voted = (term, candidate)
            self._save()
            return reason

    def reached_primary(self) -> None:
        with self.lock:
            self.seen, self.reached = time.monotonic(), True

    def stand(self) -> int:
        """A new term in which this member votes for itself; its number."""
        with self.lock:
            self.term += 1
            self.voted = (self.term, self.replica_set.me)
            self._save()
            return self.term

    def _save(self) -> None:
        self.changed.notify_all()
        if self.path is None:
            return
        kept = {"term": self.term, "primary": self.primary, "voted": list(self.voted)}
        temporary = self.path.with_suffix(".new")
        temporary.write_text(json.dumps(kept), encoding="utf-8")
        os.replace(temporary, self.path)


# An oplog position, compared as MongoDB compares optimes: the term first, then the position.
Optime = tuple[int, int]


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


def pull_once(
    command: Command, store: Store, batch: int = OPLOG_BATCH, *, new_primary: bool = False
) -> int:
    """Read the primary's entries after our last one and apply them; how many were applied.
    A primary that lacks our last entry (its oplog ends before ours or, with `new_primary`,
    differs at it: this member wrote entries as a primary that the new one never had) has other
    data than ours: start again from nothing, as a MongoDB member rolls back."""
    last = store.last_ts()
    if new_primary and last and _entry(command, last) != store.entry(last):
        log.warning("the primary's oplog is not ours at %d: copying its data again", last)
        store.reset()
        last = 0
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
    if not entries and last and _entry(command, last) is None:
        log.warning("the primary's oplog ends before ours: copying its data again")
        store.reset()
        return pull_once(command, store, batch)
    return store.apply(entries)


def _entry(command: Command, ts: int) -> Document | None:
    """The primary's entry at `ts`, without its position; None when it has none."""
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
    found = _batch(answer)
    return {key: value for key, value in found[0].items() if key != "ts"} if found else None


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


def _address(member: str) -> tuple[str, int]:
    host, _, port = member.rpartition(":")
    return host, int(port)


@contextlib.contextmanager
def connected(member: str, user: str, password: str, timeout: float) -> Iterator[client.Client]:
    """A connection to another member, logged in as root when the set has a password."""
    host, port = _address(member)
    connection = client.Client(host, port, timeout=timeout)
    try:
        if password:
            connection.login(user, password)
        yield connection
    finally:
        connection.close()


PEER_ERRORS = (OSError, client.ClientError, wire.ProtocolError, KeyError, ValueError, TypeError)


class Puller(threading.Thread):
    """A secondary's replication: connect to the primary as root, then read and apply its oplog
    until the primary changes (its own SQLite connection: the server's belongs to the server's
    thread). While this member is the primary, or knows none, it waits."""

    def __init__(
        self,
        replica_set: ReplicaSet,
        dbpath: str,
        user: str,
        password: str,
        status: SyncStatus,
        membership: Membership | None = None,
    ) -> None:
        super().__init__(name="oplog-puller", daemon=True)
        self.replica_set, self.dbpath = replica_set, dbpath
        self.user, self.password, self.status = user, password, status
        self.membership = membership or Membership(replica_set)
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()
        with self.membership.changed:
            self.membership.changed.notify_all()

    def run(self) -> None:
        store = Store(self.dbpath)
        while not self.stopping.is_set():
            primary = self._primary()
            if primary is None:
                continue
            member = self.replica_set.members[primary]
            try:
                with connected(member, self.user, self.password, 5.0) as connection:
                    self._follow(connection, store, primary, member)
            except (*PEER_ERRORS, OplogError) as error:
                if self.status.reached or not self.status.last_error:
                    log.warning("replication from %s: %s", member, error)
                self.status.failed(str(error))
                self.stopping.wait(RETRY)
        store.close()

    def _primary(self) -> int | None:
        """The primary to follow, once there is one other than this member."""
        with self.membership.changed:
            primary = self.membership.primary
            if primary is None or primary == self.replica_set.me:
                self.membership.changed.wait(IDLE_POLL)
                return None
            return primary

    def _follow(self, connection: client.Client, store: Store, primary: int, member: str) -> None:
        first = True
        while not self.stopping.is_set() and self.membership.primary == primary:
            applied = pull_once(connection.command, store, new_primary=first)
            if first:
                log.info("replicating from %s", member)
            first = False
            self.status.ok()
            # The set was reached (no start grace any more), but an answer is no sign of a
            # primary: a member that stepped down still serves its oplog. Only the heartbeat's
            # hello, answered as primary, says the primary is there (`seen`).
            self.membership.reached = True
            if not applied:
                self.stopping.wait(IDLE_POLL)


@dataclass(frozen=True)
class Hello:
    """What another member said of itself."""

    primary: bool
    term: int


def hello(member: str, timeout: float = HEARTBEAT_TIMEOUT) -> Hello | None:
    """A member's answer to `hello` (no login needed); None when it did not answer."""
    try:
        connection = client.Client(*_address(member), timeout=timeout)
        try:
            answer = connection.command("admin", {"hello": 1})
        finally:
            connection.close()
        return Hello(bool(answer.get("isWritablePrimary")), int(answer.get("term", 0)))
    except PEER_ERRORS:
        return None


class Hellos:
    """Hellos to every other member at once, each given HEARTBEAT_TIMEOUT: a member whose name
    no longer resolves (its container is gone) can hold a lookup for seconds, so its hello is
    left running and counted as no answer, and no second one is sent meanwhile."""

    def __init__(
        self, replica_set: ReplicaSet, hello: Callable[[str], Hello | None] = hello
    ) -> None:
        self.replica_set, self.hello = replica_set, hello
        self.pool = ThreadPoolExecutor(len(replica_set.members), thread_name_prefix="hello")
        self.pending: dict[int, Future[Hello | None]] = {}

    def __call__(self) -> dict[int, Hello | None]:
        for number, member in enumerate(self.replica_set.members):
            asked = self.pending.get(number)
            if number != self.replica_set.me and (asked is None or asked.done()):
                self.pending[number] = self.pool.submit(self.hello, member)
        wait(self.pending.values(), timeout=HEARTBEAT_TIMEOUT)
        return {
            number: asked.result() if asked.done() else None
            for number, asked in sorted(self.pending.items())
        }


class Heartbeat(threading.Thread):
    """Every HEARTBEAT seconds, hello to each other member: follow a primary of a later term,
    step down without a majority, stand for election after ELECTION_TIMEOUT without a primary."""

    def __init__(
        self,
        membership: Membership,
        optime: Callable[[], Optime],
        user: str,
        password: str,
        hello: Callable[[str], Hello | None] = hello,
    ) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.membership, self.optime = membership, optime
        self.user, self.password = user, password
        self.hellos = Hellos(membership.replica_set, hello)
        self.stopping = threading.Event()
        self.reached_majority = self.started = time.monotonic()
        self.timeout = ELECTION_TIMEOUT + random.uniform(0, ELECTION_JITTER)

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        while not self.stopping.wait(HEARTBEAT):
            self.beat()

    def beat(self) -> None:
        """One round: the others' hellos, then what this member makes of them."""
        replica_set = self.membership.replica_set
        answers = self.hellos()
        now = time.monotonic()
        primaries = [
            (answer.term, number)
            for number, answer in answers.items()
            if answer is not None and answer.primary
        ]
        if primaries:
            term, number = max(primaries)
            if term > self.membership.term or (
                term == self.membership.term and not self.membership.is_primary
            ):
                self.membership.follow(number, term)
            elif self.membership.primary is None:
                # A primary of an earlier term than this member's, which stood in elections it
                # lost while the others were out of reach: it follows it (a primary stays one
                # only while it reaches a majority) and keeps its own term, so it never votes
                # twice in one.
                self.membership.follow(number, self.membership.term)
            if self.membership.primary == number:
                self.membership.reached_primary()
        reached = 1 + sum(answer is not None for answer in answers.values())
        if self.membership.is_primary:
            if reached >= replica_set.majority:
                self.reached_majority = now
            elif now - self.reached_majority > self.timeout:
                members = len(replica_set.members)
                self.membership.step_down(f"reached {reached} of the {members} members")
            return
        self.reached_majority = now
        # A member just started waits a full timeout (longer while it never reached a primary).
        patience = self.timeout if self.membership.reached else max(self.timeout, START_GRACE)
        if now - self.membership.seen > self.timeout and now - self.started > patience:
            self.membership.lost_primary()
            self.stand(answers)

    def stand(self, answers: dict[int, Hello | None]) -> bool:
        """Ask the members that answered for their votes in a new term; primary on a majority.
        A pre-vote comes first (MongoDB's dry run): the members are asked whether they would
        vote for this member in the next term, and only with a majority of yeses does it take
        that term. A member cut off from the others, or behind them, so never raises its term."""
        replica_set = self.membership.replica_set
        optime = self.optime()
        next_term = self.membership.term + 1
        self.membership.seen = time.monotonic()  # the next attempt waits a full timeout
        yeses = self.request_votes(next_term, optime, answers, dry_run=True)
        if yeses < replica_set.majority:
            log.info(
                "no primary for %.1f s; pre-vote for term %d lost: %d of %d votes",
                self.timeout,
                next_term,
                yeses,
                replica_set.majority,
            )
            return False
        term = self.membership.stand()
        log.info("no primary for %.1f s: standing for election in term %d", self.timeout, term)
        votes = self.request_votes(term, optime, answers, dry_run=False)
        self.membership.seen = time.monotonic()
        if votes >= replica_set.majority and self.membership.term == term:
            self.membership.become_primary(term)
            return True
        log.info("election in term %d lost: %d of %d votes", term, votes, replica_set.majority)
        return False

    def request_votes(
        self, term: int, optime: Optime, answers: dict[int, Hello | None], dry_run: bool
    ) -> int:
        """The votes this member gets in `term` from the members that answered, its own
        included."""
        replica_set = self.membership.replica_set
        kind = "pre-vote" if dry_run else "vote"
        votes = 1
        for number, answer in answers.items():
            if answer is None:
                continue
            request = {
                "replSetRequestVotes": 1,
                "term": Int64(term),
                "candidateIndex": replica_set.me,
                "lastOptime": [Int64(part) for part in optime],
                "dryRun": dry_run,
            }
            try:
                with connected(
                    replica_set.members[number], self.user, self.password, HEARTBEAT_TIMEOUT
                ) as connection:
                    reply = connection.command("admin", request)
            except PEER_ERRORS as error:
                log.info("no %s from %s: %s", kind, replica_set.members[number], error)
                continue
            if reply.get("voteGranted"):
                votes += 1
            else:
                reason = reply.get("reason")
                log.info("%s: %s says no: %s", kind, replica_set.members[number], reason)
        return votes


class OptimeReader:
    """The heartbeat's view of this member's last entry (its own SQLite connection, opened in
    the thread that reads it)."""

    def __init__(self, dbpath: str) -> None:
        self.dbpath = dbpath
        self.local = threading.local()

    def __call__(self) -> Optime:
        store = getattr(self.local, "store", None)
        if store is None:
            store = self.local.store = Store(self.dbpath)
        return store.last_optime()

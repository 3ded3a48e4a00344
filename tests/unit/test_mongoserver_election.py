"""Elections in a mongodb replica set: the votes a member gives, what its heartbeat makes of
the others' hellos (follow, step down, stand), and, over loopback with real servers, a secondary
elected when the primary stops and the old primary coming back as its secondary, its unreplicated
write rolled back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest

from dotcloud_emulator.mongoserver import replset
from dotcloud_emulator.mongoserver.commands import Session, State
from dotcloud_emulator.mongoserver.replset import Hello, Membership, ReplicaSet
from dotcloud_emulator.mongoserver.storage import Store

PASSWORD = "s3cret-Pass_word"
MEMBERS = ("mongo:27017", "mongo-1:27017", "mongo-2:27017")


def membership(tmp_path: Path, me: int, **kept: Any) -> Membership:
    found = Membership(ReplicaSet("shop.mongo", MEMBERS, me), tmp_path / f"m{me}.json")
    for key, value in kept.items():
        setattr(found, key, value)
    return found


# --- votes ---------------------------------------------------------------------------------------


def test_a_member_votes_once_per_term_and_keeps_its_vote_in_its_data(tmp_path: Path) -> None:
    replica_set = ReplicaSet("shop.mongo", MEMBERS, 2)
    voter = Membership.load(replica_set, tmp_path)
    voter.primary = None
    assert voter.vote(3, 1, (0, 5), (0, 5)) == ""
    assert voter.vote(3, 1, (0, 5), (0, 5)) == ""  # the same candidate asking again
    assert voter.vote(3, 0, (0, 9), (0, 5)) == "already voted for member 1 in term 3"
    restarted = Membership.load(replica_set, tmp_path)
    assert (restarted.term, restarted.voted, restarted.primary) == (3, (3, 1), None)
    assert restarted.vote(3, 0, (0, 9), (0, 5)) == "already voted for member 1 in term 3"
    assert restarted.vote(4, 0, (0, 9), (0, 5)) == ""


def test_a_new_member_knows_instance_0_as_the_primary(tmp_path: Path) -> None:
    fresh = Membership.load(ReplicaSet("shop.mongo", MEMBERS, 1), tmp_path)
    assert (fresh.term, fresh.primary, fresh.is_primary) == (0, 0, False)


@pytest.mark.parametrize(
    ("term", "candidate_optime", "kept", "reason"),
    [
        (1, (0, 3), {}, "the candidate's oplog is older than this member's"),
        (1, (0, 9), {"term": 4}, "term 1 is older than this member's (4)"),
        (1, (0, 9), {"primary": 2}, "this member is the primary"),
    ],
)
def test_a_vote_is_refused(
    tmp_path: Path,
    term: int,
    candidate_optime: tuple[int, int],
    kept: dict[str, Any],
    reason: str,
) -> None:
    voter = membership(tmp_path, 2, primary=None)
    for key, value in kept.items():
        setattr(voter, key, value)
    assert voter.vote(term, 1, candidate_optime, (0, 5)) == reason


def test_a_member_that_reaches_its_primary_refuses_and_keeps_its_term(tmp_path: Path) -> None:
    voter = membership(tmp_path, 2, primary=0)
    voter.reached_primary()
    assert voter.vote(5, 1, (0, 9), (0, 5)) == "this member reaches the primary, mongo:27017"
    assert voter.term == 0


def test_a_later_term_in_the_entries_wins_over_a_longer_oplog(tmp_path: Path) -> None:
    voter = membership(tmp_path, 2, primary=None)
    assert voter.vote(3, 1, (2, 10), (1, 40)) == ""


def test_a_pre_vote_answers_as_a_vote_would_and_changes_nothing(tmp_path: Path) -> None:
    voter = membership(tmp_path, 2, term=2, primary=None, voted=(2, 0))
    assert voter.vote(3, 1, (0, 9), (0, 5), dry_run=True) == ""
    assert voter.vote(3, 1, (0, 3), (0, 5), dry_run=True) == (
        "the candidate's oplog is older than this member's"
    )
    assert (voter.term, voter.voted) == (2, (2, 0))
    assert not (tmp_path / "m2.json").exists()  # nothing written either
    assert voter.vote(3, 0, (0, 9), (0, 5)) == ""  # its vote in term 3 is still to give


# --- the heartbeat -------------------------------------------------------------------------------


def heartbeat(found: Membership, answers: dict[str, Hello | None]) -> replset.Heartbeat:
    beat = replset.Heartbeat(found, lambda: (0, 0), "root", "", hello=answers.get)
    beat.timeout = 1.0
    return beat


class Ballots:
    """Stands in for the other members' answers to replSetRequestVotes: `granted` votes from
    them in every round, each request kept as (term, dry run)."""

    def __init__(self, granted: int) -> None:
        self.granted = granted
        self.asked: list[tuple[int, bool]] = []

    def __call__(
        self, term: int, _optime: Any, _answers: dict[int, Hello | None], dry_run: bool
    ) -> int:
        self.asked.append((term, dry_run))
        return 1 + self.granted


def test_a_primary_of_a_later_term_is_followed_and_an_older_one_stepped_down(
    tmp_path: Path,
) -> None:
    old_primary = membership(tmp_path, 0, term=1, primary=0)
    beat = heartbeat(old_primary, {"mongo-1:27017": Hello(True, 2), "mongo-2:27017": None})
    beat.beat()
    assert (old_primary.primary, old_primary.term, old_primary.is_primary) == (1, 2, False)


def test_a_primary_that_reaches_no_majority_steps_down(tmp_path: Path) -> None:
    cut_off = membership(tmp_path, 0, term=1, primary=0)
    beat = heartbeat(cut_off, {})
    beat.beat()
    assert cut_off.is_primary  # not for long enough yet
    beat.reached_majority -= 2
    beat.beat()
    assert cut_off.primary is None


def test_a_secondary_alone_loses_its_pre_vote_and_keeps_its_term(tmp_path: Path) -> None:
    alone = membership(tmp_path, 1, term=1, primary=0, reached=True)
    beat = heartbeat(alone, {})
    for _ in range(3):
        alone.seen = beat.started = time.monotonic() - 2
        beat.beat()
    assert (alone.term, alone.voted, alone.primary) == (1, (0, -1), None)


def test_a_secondary_with_a_majority_of_pre_votes_stands_and_is_elected(tmp_path: Path) -> None:
    candidate = membership(tmp_path, 1, term=1, primary=0, reached=True)
    beat = heartbeat(candidate, {"mongo-2:27017": Hello(False, 1)})
    beat.request_votes = ballots = Ballots(granted=1)  # type: ignore[method-assign]
    candidate.seen = beat.started = time.monotonic() - 2
    beat.beat()
    assert ballots.asked == [(2, True), (2, False)]
    assert (candidate.term, candidate.voted, candidate.is_primary) == (2, (2, 1), True)


def test_a_candidate_that_loses_the_real_vote_keeps_the_term_it_stood_in(tmp_path: Path) -> None:
    candidate = membership(tmp_path, 1, term=1, primary=0, reached=True)
    beat = heartbeat(candidate, {"mongo-2:27017": Hello(False, 1)})
    answers = iter([2, 1])  # yes in the pre-vote; then the other voted for someone else

    def ballots(term: int, _optime: Any, _answers: Any, dry_run: bool) -> int:
        return next(answers)

    beat.request_votes = ballots  # type: ignore[method-assign]
    candidate.seen = beat.started = time.monotonic() - 2
    beat.beat()
    assert (candidate.term, candidate.voted, candidate.primary) == (2, (2, 1), None)


def test_a_member_that_never_reached_a_primary_waits_longer_before_standing(
    tmp_path: Path,
) -> None:
    starting = membership(tmp_path, 1, term=0, primary=0)
    beat = heartbeat(starting, {})
    beat.request_votes = ballots = Ballots(granted=0)  # type: ignore[method-assign]
    starting.seen = time.monotonic() - 2
    beat.beat()
    assert (starting.term, starting.primary) == (0, 0)  # instance 0 may just be slow to start
    assert ballots.asked == []
    beat.started -= replset.START_GRACE
    beat.beat()
    assert ballots.asked == [(1, True)]  # it asked; alone, it keeps its term
    assert starting.term == 0


def test_a_secondary_that_reaches_its_primary_does_not_stand(tmp_path: Path) -> None:
    follower = membership(tmp_path, 1, term=1, primary=0, reached=True)
    beat = heartbeat(follower, {"mongo:27017": Hello(True, 1), "mongo-2:27017": Hello(False, 1)})
    follower.seen = beat.started = time.monotonic() - 2
    beat.beat()
    assert (follower.term, follower.primary) == (1, 0)


def test_a_member_that_lost_elections_alone_follows_the_primary_the_others_elected(
    tmp_path: Path,
) -> None:
    # Member 0 stood in terms up to 9 while no one answered; the others elected member 2 in 1.
    lonely = membership(tmp_path, 0, term=9, primary=None, voted=(9, 0), reached=True)
    answers = {"mongo-1:27017": Hello(False, 1), "mongo-2:27017": Hello(True, 1)}
    beat = heartbeat(lonely, answers)
    lonely.seen = beat.started = time.monotonic() - 2
    beat.beat()
    assert (lonely.primary, lonely.term, lonely.voted) == (2, 9, (9, 0))
    beat.beat()  # reaching it now, it does not stand again
    assert (lonely.primary, lonely.term) == (2, 9)


# --- rollback ------------------------------------------------------------------------------------


def test_a_member_whose_last_entry_the_new_primary_lacks_copies_it_again(tmp_path: Path) -> None:
    new_primary = Session(State(Store(str(tmp_path / "new.sqlite3")), None))
    old_primary = Store(str(tmp_path / "old.sqlite3"))
    new_primary.command("shop", {"insert": "things", "documents": [{"_id": 1}]})
    replset.pull_once(new_primary.command, old_primary)
    # The old primary wrote one more in term 1; the new one, elected in term 2, another.
    old_primary.term, new_primary.state.store.term = 1, 2
    old = Session(State(old_primary, None))
    old.command("shop", {"insert": "things", "documents": [{"_id": "lost"}]})
    new_primary.command("shop", {"insert": "things", "documents": [{"_id": "kept"}]})

    replset.pull_once(new_primary.command, old_primary, new_primary=True)

    assert [doc for _, doc in old_primary.scan("shop", "things")] == [{"_id": 1}, {"_id": "kept"}]
    assert old_primary.last_optime() == new_primary.state.store.last_optime()


# --- over loopback: three real members -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Member:
    """One member, as its container runs it: `python -m dotcloud_emulator.mongoserver`."""

    def __init__(self, folder: Path, members: tuple[str, ...], me: int) -> None:
        self.folder, self.members, self.me = folder, members, me
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return self.members[self.me]

    def start(self) -> None:
        url = f"mongodb://root:{PASSWORD}@{','.join(self.members)}/?replicaSet=s"
        environment = {**os.environ, "MONGO_PASSWORD": PASSWORD, "MONGO_URL": url}
        environment["DOTCLOUD_SERVICE_ID"] = str(self.me)
        argv = [sys.executable, "-m", "dotcloud_emulator.mongoserver", "--dbpath", str(self.folder)]
        argv += ["--bind", "127.0.0.1", "--port", self.address.rpartition(":")[2]]
        argv += ["--password-variable", "MONGO_PASSWORD", "--replset-variable", "MONGO_URL"]
        log = (self.folder.parent / f"member-{self.me}.log").open("ab")
        self.process = subprocess.Popen(argv, env=environment, stdout=log, stderr=log)
        poll_for(lambda: replset.hello(self.address) is not None)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def data(self) -> list[Any]:
        store = Store(str(self.folder / "mongo.sqlite3"))
        try:
            return [document for _, document in store.scan("shop", "things")]
        finally:
            store.close()


def poll_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s")


@pytest.fixture
def three(tmp_path: Path) -> Iterator[list[Member]]:
    members = tuple(f"127.0.0.1:{free_port()}" for _ in range(3))
    found = [Member(tmp_path / f"member-{n}", members, n) for n in range(3)]
    try:
        for member in found:
            member.start()
        yield found
    finally:
        for member in found:
            member.kill()


def primaries(members: list[Member]) -> list[int]:
    return [m.me for m in members if (answer := replset.hello(m.address)) and answer.primary]


def inserted(mongo: pymongo.MongoClient[Any], document: dict[str, Any]) -> bool:
    try:
        mongo.shop.things.insert_one(document)
    except pymongo.errors.AutoReconnect:
        return False
    return True


def test_a_secondary_is_elected_when_the_primary_dies_and_the_old_one_follows_it(
    three: list[Member],
) -> None:
    url = f"mongodb://root:{PASSWORD}@{','.join(three[0].members)}/?replicaSet=s"
    with pymongo.MongoClient(url, serverSelectionTimeoutMS=20000) as mongo:
        mongo.shop.things.insert_one({"_id": "before"})
        assert primaries(three) == [0]
        poll_for(lambda: all(m.data() == [{"_id": "before"}] for m in three[1:]))
        three[0].kill()

        (elected,) = poll_for(lambda: primaries(three[1:]))
        # Today's driver finds the new primary through the same URL (its first write may fail
        # with AutoReconnect, as with MongoDB: the app tries again); the data is there.
        poll_for(lambda: inserted(mongo, {"_id": "after"}))
        assert sorted(d["_id"] for d in mongo.shop.things.find()) == ["after", "before"]

        three[0].start()  # back as the new primary's secondary, and it gets the write
        poll_for(lambda: {"_id": "after"} in three[0].data())
        assert primaries(three) == [elected]
        status = mongo.admin.command("replSetGetStatus")
        assert status["term"] == 1
        assert [m["stateStr"] for m in status["members"]].count("PRIMARY") == 1


def test_a_minority_elects_no_primary(three: list[Member]) -> None:
    log = three[1].folder.parent / "member-1.log"
    poll_for(lambda: "replicating from" in log.read_text())  # it knew a primary
    three[0].kill()
    three[2].kill()
    alone = three[1]
    # Long enough for two elections of the one left: each needs a majority it cannot have.
    deadline = time.monotonic() + 2 * (replset.ELECTION_TIMEOUT + replset.ELECTION_JITTER) + 1
    while time.monotonic() < deadline:
        assert primaries([alone]) == []
        time.sleep(0.2)
    # It lost its pre-votes, so it never took a term of its own: back, the others find the
    # term they knew.
    text = log.read_text()
    assert text.count("pre-vote for term 1 lost: 1 of 2 votes") >= 2
    assert "standing for election" not in text


def test_a_primary_that_started_alone_and_stepped_down_is_elected_once_the_others_come(
    tmp_path: Path,
) -> None:
    """As under Swarm, where a member's name resolves only once it is healthy: member 0 starts
    first, reaches no majority and steps down; the others, replicating from it, must not take
    its oplog for a primary's and must give it their votes."""
    members = tuple(f"127.0.0.1:{free_port()}" for _ in range(3))
    found = [Member(tmp_path / f"member-{n}", members, n) for n in range(3)]
    log = tmp_path / "member-0.log"
    try:
        found[0].start()
        poll_for(lambda: "stepped down: reached 1 of the 3 members" in log.read_text())
        found[1].start()
        found[2].start()
        timeout = 4 * (replset.ELECTION_TIMEOUT + replset.ELECTION_JITTER)
        poll_for(lambda: len(primaries(found)) == 1, timeout=timeout)
    finally:
        for member in found:
            member.kill()

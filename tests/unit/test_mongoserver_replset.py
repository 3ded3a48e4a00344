"""A mongodb replica set without Docker or sockets: the oplog every write appends, a secondary
applying the primary's entries through the primary's own `find` on `local.oplog.rs`, the roles
`hello` reports, the refusals of a secondary, and the environment and `info` of a scaled mongodb."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymongo
import pytest
from bson import Int64

from dotcloud_emulator.api.services import ServiceFacts, service_document
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.mongoserver import auth, client, replset, wire
from dotcloud_emulator.mongoserver.client import ClientError
from dotcloud_emulator.mongoserver.commands import Session, State
from dotcloud_emulator.mongoserver.replset import ReplicaSet
from dotcloud_emulator.mongoserver.server import serve
from dotcloud_emulator.mongoserver.storage import Store
from dotcloud_emulator.platform.environment import instance_environment
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState

PASSWORD = "s3cret-Pass_word"
MEMBERS = ("mongo:27017", "mongo-1:27017", "mongo-2:27017")


def member(tmp_path: Path, number: int) -> Session:
    """A logged-in connection to member `number` of a set of three, each with its own data."""
    store = Store(str(tmp_path / f"member-{number}.sqlite3"))
    state = State(store, None, replica_set=ReplicaSet("shop.mongo", MEMBERS, number))
    return Session(state)


def run(session: Session, db: str, command: dict[str, Any], **options: bool) -> dict[str, Any]:
    return session.command(db, command, **options)


def tables(store: Store) -> dict[str, list[Any]]:
    """Everything a store keeps, row by row, its oplog included."""
    return {
        table: store.connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        for table in ("collections", "documents", "indexes", "unique_keys", "oplog")
    }


def pull_all(primary: Session, secondary: Session, batch: int = 1000) -> int:
    """Pull until the secondary has every entry, as the puller does; how many pulls it took."""
    pulls = 0
    while replset.pull_once(primary.command, secondary.state.store, batch):
        pulls += 1
    return pulls


def write_some(primary: Session) -> None:
    run(primary, "shop", {"insert": "things", "documents": [{"_id": n, "n": n} for n in range(5)]})
    run(
        primary,
        "shop",
        {"createIndexes": "things", "indexes": [{"key": {"n": 1}, "name": "n_1", "unique": True}]},
    )
    run(
        primary,
        "shop",
        {"update": "things", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": 10}}}]},
    )
    run(primary, "shop", {"delete": "things", "deletes": [{"q": {"_id": 2}, "limit": 1}]})
    # Refused by the unique index: nothing of it is kept, nor logged.
    refused = run(primary, "shop", {"insert": "things", "documents": [{"_id": 9, "n": 0}]})
    assert refused["writeErrors"][0]["code"] == 11000
    run(primary, "shop", {"insert": "gone", "documents": [{"x": 1}]})
    run(primary, "shop", {"drop": "gone"})
    run(primary, "other", {"insert": "things", "documents": [{"x": 1}]})
    run(primary, "other", {"dropDatabase": 1})
    run(primary, "shop", {"dropIndexes": "things", "index": "n_1"})
    run(
        primary,
        "shop",
        {"findAndModify": "things", "query": {"_id": 3}, "update": {"$set": {"f": 1}}},
    )


def test_every_write_appends_to_the_oplog_in_its_transaction(tmp_path: Path) -> None:
    primary = member(tmp_path, 0)
    run(primary, "shop", {"insert": "things", "documents": [{"_id": 1}, {"_id": 1}]})
    entries = list(primary.state.store.oplog())
    assert [(e["ts"], e["op"], e["ns"]) for e in entries] == [
        (1, "c", "shop.$cmd"),
        (2, "i", "shop.things"),
    ]
    assert entries[0]["o"] == {"create": "things"}
    assert entries[1]["o"] == {"_id": 1}
    assert primary.state.store.last_ts() == 2


def test_a_secondary_applies_the_primarys_oplog_and_has_its_data(tmp_path: Path) -> None:
    primary, secondary = member(tmp_path, 0), member(tmp_path, 1)
    write_some(primary)

    pulls = pull_all(primary, secondary, batch=3)

    assert pulls > 1  # read in batches, each after the last entry applied
    assert tables(secondary.state.store) == tables(primary.state.store)
    found = run(secondary, "shop", {"find": "things", "$readPreference": {"mode": "secondary"}})
    assert found["cursor"]["firstBatch"] == [
        {"_id": 0, "n": 0},
        {"_id": 1, "n": 11},
        {"_id": 3, "n": 3, "f": 1},
        {"_id": 4, "n": 4},
    ]


def test_entries_apply_once_and_in_order(tmp_path: Path) -> None:
    primary, secondary = member(tmp_path, 0), member(tmp_path, 1)
    write_some(primary)
    entries = list(primary.state.store.oplog())
    store = secondary.state.store

    assert store.apply(entries[:4]) == 4
    assert store.apply(entries) == len(entries) - 4  # the first four again are skipped
    assert store.apply(entries) == 0
    assert tables(store) == tables(primary.state.store)


def test_a_secondary_that_joins_later_catches_up_then_follows(tmp_path: Path) -> None:
    primary, secondary = member(tmp_path, 0), member(tmp_path, 2)
    write_some(primary)
    pull_all(primary, secondary)
    run(primary, "shop", {"insert": "things", "documents": [{"_id": "late"}]})

    assert replset.pull_once(primary.command, secondary.state.store) == 1
    assert tables(secondary.state.store) == tables(primary.state.store)


def test_data_kept_before_the_oplog_existed_is_seeded_into_it(tmp_path: Path) -> None:
    primary, secondary = member(tmp_path, 0), member(tmp_path, 1)
    write_some(primary)
    store = primary.state.store
    store.connection.execute("DELETE FROM oplog")  # as a data file of an earlier version

    assert store.seed_oplog()
    assert not store.seed_oplog()  # once
    pull_all(primary, secondary)

    mine, theirs = tables(secondary.state.store), tables(store)
    assert {k: v for k, v in mine.items() if k != "oplog"} == {
        k: v for k, v in theirs.items() if k != "oplog"
    }


def test_a_secondary_ahead_of_its_primary_copies_it_again(tmp_path: Path) -> None:
    primary, secondary = member(tmp_path, 0), member(tmp_path, 1)
    write_some(primary)
    pull_all(primary, secondary)
    # The primary's data was made anew (and is shorter): the secondary's is not its own any more.
    (tmp_path / "fresh").mkdir()
    fresh = member(tmp_path / "fresh", 0)
    run(fresh, "shop", {"insert": "things", "documents": [{"_id": "new"}]})

    replset.pull_once(fresh.command, secondary.state.store)

    assert tables(secondary.state.store) == tables(fresh.state.store)


def test_hello_reports_the_set_and_each_members_role(tmp_path: Path) -> None:
    for number in range(3):
        answer = run(member(tmp_path, number), "admin", {"isMaster": 1})
        assert answer["setName"] == "shop.mongo"
        assert answer["hosts"] == list(MEMBERS)
        assert answer["primary"] == "mongo:27017"
        assert answer["me"] == MEMBERS[number]
        assert answer["ismaster"] is (number == 0)
        assert answer["secondary"] is (number != 0)
    standalone = Session(State(Store(str(tmp_path / "alone.sqlite3")), None))
    answer = run(standalone, "admin", {"hello": 1})
    assert answer["isWritablePrimary"] is True
    assert "setName" not in answer


def test_a_secondary_refuses_writes_as_mongodb_does(tmp_path: Path) -> None:
    secondary = member(tmp_path, 1)
    for command in (
        {"insert": "things", "documents": [{"x": 1}]},
        {"update": "things", "updates": [{"q": {}, "u": {"x": 2}}]},
        {"delete": "things", "deletes": [{"q": {}, "limit": 0}]},
        {"createIndexes": "things", "indexes": [{"key": {"x": 1}, "name": "x_1"}]},
        {"drop": "things"},
        {"dropDatabase": 1},
    ):
        answer = run(secondary, "shop", command, secondary_ok=True)
        assert (answer["ok"], answer["code"], answer["errmsg"]) == (0.0, 10107, "not master")
    assert secondary.state.store.last_ts() == 0


def test_a_secondary_reads_only_when_the_driver_allows_a_secondary(tmp_path: Path) -> None:
    secondary = member(tmp_path, 1)
    refused = run(secondary, "shop", {"find": "things"})
    assert (refused["code"], refused["errmsg"]) == (13435, "not master and slaveOk=false")
    assert (
        run(secondary, "shop", {"count": "things", "$readPreference": {"mode": "primary"}})["code"]
        == 13435
    )
    assert run(secondary, "shop", {"find": "things"}, secondary_ok=True)["ok"] == 1.0
    allowed = {"count": "things", "$readPreference": {"mode": "primaryPreferred"}}
    assert run(secondary, "shop", allowed) == {"n": 0, "ok": 1.0}
    assert run(secondary, "admin", {"ping": 1})["ok"] == 1.0  # the healthcheck


def test_a_2012_driver_on_a_secondary(tmp_path: Path) -> None:
    """OP_QUERY without slaveOk is refused, with it answered; OP_INSERT then getLastError says
    `not master`."""
    secondary = member(tmp_path, 1)
    plain = wire.parse_body(wire.OP_QUERY, wire.query_message(1, "shop.things", {})[16:])
    assert isinstance(plain, wire.Query)
    _, [error], flags = secondary.query(plain)
    assert flags == wire.QUERY_FAILURE
    assert error == {"$err": "not master and slaveOk=false", "code": 13435}
    slave_ok = wire.Query(plain.collection, 4, 0, -1, {})
    assert secondary.query(slave_ok) == (0, [], 0)
    secondary.legacy_write(wire.Insert("shop.things", 0, [{"x": 1}]))
    _, [last], _ = secondary.query(wire.Query("shop.$cmd", 4, 0, -1, {"getLastError": 1}))
    assert (last["err"], last["code"]) == ("not master", 10107)


def test_repl_set_get_status(tmp_path: Path) -> None:
    secondary = member(tmp_path, 2)
    status = run(secondary, "admin", {"replSetGetStatus": 1})
    assert status["set"] == "shop.mongo"
    assert status["myState"] == 2
    assert [m["stateStr"] for m in status["members"]] == ["PRIMARY", "SECONDARY", "SECONDARY"]
    assert status["members"][2]["self"] is True
    assert status["members"][0]["health"] == 0.0  # not reached yet
    alone = Session(State(Store(str(tmp_path / "alone.sqlite3")), None))
    assert run(alone, "admin", {"replSetGetStatus": 1})["code"] == 76


def test_the_primarys_oplog_is_read_by_root_only(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "primary.sqlite3"))
    user = auth.User("root", PASSWORD)
    primary = Session(State(store, user, replica_set=ReplicaSet("s", MEMBERS, 0)))
    secondary_store = Store(str(tmp_path / "secondary.sqlite3"))
    with pytest.raises(ClientError, match=r"requires authentication \(code 13\)"):
        replset.pull_once(primary.command, secondary_store)
    assert primary.command("local", {"find": "oplog.rs"})["code"] == 13


@pytest.mark.parametrize(
    ("url", "instance", "expected"),
    [
        (
            "mongodb://root:pw@mongo:27017,mongo-1:27017,mongo-2:27017/?replicaSet=shop.mongo",
            "1",
            ReplicaSet("shop.mongo", MEMBERS, 1),
        ),
        ("mongodb://root:pw@mongo:27017", "0", None),
        ("", "0", None),
    ],
)
def test_the_set_comes_from_the_url_of_the_environment(
    url: str, instance: str, expected: ReplicaSet | None
) -> None:
    assert replset.from_url(url, instance) == expected


def test_a_member_number_outside_the_set_is_refused() -> None:
    with pytest.raises(ValueError, match="not one of the 3 members"):
        replset.from_url("mongodb://r:p@a:1,b:1,c:1/?replicaSet=x", "3")


def test_the_environment_lists_every_member_and_points_at_the_primary() -> None:
    mongo = Service("mongo", "mongodb", instances=3)
    app = Application(
        "shop", Path("/src"), Path("/src/dotcloud.yml"), (Service("www", "python"), mongo)
    )
    state = AppState(app="shop", created_at=0.0, passwords={"mongo": "pw"})
    env = instance_environment(app, state, Settings(state_home=Path("/nonexistent")), "www", 0)
    assert env["DOTCLOUD_MONGO_MONGODB_HOST"] == "mongo"
    assert env["DOTCLOUD_MONGO_MONGODB_PORT"] == "27017"
    assert env["DOTCLOUD_MONGO_MONGODB_URL"] == (
        "mongodb://root:pw@mongo:27017,mongo-1:27017,mongo-2:27017/?replicaSet=shop.mongo"
    )
    assert env["DOTCLOUD_MONGO_MONGODB_URL_1"] == "mongodb://root:pw@mongo-1:27017"
    assert env["DOTCLOUD_MONGO_MONGODB_HOST_2"] == "mongo-2"
    single = Application(
        "shop", Path("/src"), Path("/src/dotcloud.yml"), (Service("mongo", "mongodb"),)
    )
    env = instance_environment(single, state, Settings(state_home=Path("/nonexistent")), "mongo", 0)
    assert env["DOTCLOUD_MONGO_MONGODB_URL"] == "mongodb://root:pw@mongo:27017"


def test_info_gives_each_member_the_platforms_state() -> None:
    running = {0: True, 1: True, 2: False}
    document = service_document(ServiceFacts("shop", "mongo", "mongodb", {}, None, running, []))
    assert document["instances"] == {
        "shop.mongo.0": {"state": "PRIMARY"},
        "shop.mongo.1": {"state": "SECONDARY"},
        "shop.mongo.2": {"state": "stopped"},
    }
    one = service_document(ServiceFacts("shop", "mongo", "mongodb", {}, None, {0: True}, []))
    assert one["instances"] == {"shop.mongo.0": {"state": "running"}}


def test_oplog_ts_is_a_64_bit_integer(tmp_path: Path) -> None:
    primary = member(tmp_path, 0)
    run(primary, "shop", {"insert": "things", "documents": [{"x": 1}]})
    found = run(primary, "local", {"find": "oplog.rs", "filter": {"ts": {"$gt": Int64(1)}}})
    [entry] = found["cursor"]["firstBatch"]
    assert isinstance(entry["ts"], Int64)
    assert entry["op"] == "i"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_puller_logs_in_to_the_primary_and_follows_it(tmp_path: Path) -> None:
    """Over loopback: a primary server with root's password, a secondary's puller thread."""
    port = free_port()
    members = (f"127.0.0.1:{port}", "127.0.0.1:1", "127.0.0.1:2")
    user = auth.User("root", PASSWORD)
    primary_path = str(tmp_path / "primary.sqlite3")

    def primary_server() -> None:
        state = State(Store(primary_path), user, replica_set=ReplicaSet("s", members, 0))
        with contextlib.suppress(asyncio.CancelledError):
            asyncio.run(serve(state, "127.0.0.1", port))

    threading.Thread(target=primary_server, daemon=True).start()
    writer = poll_for(lambda: connect(port))
    writer.login("root", PASSWORD)
    writer.command("shop", {"insert": "things", "documents": [{"_id": 1}]})
    secondary_path = str(tmp_path / "secondary.sqlite3")
    status = replset.SyncStatus()
    puller = replset.Puller(ReplicaSet("s", members, 1), secondary_path, "root", PASSWORD, status)
    puller.start()
    secondary = Store(secondary_path)
    poll_for(lambda: secondary.last_ts() == 2 or None)
    assert status.reached
    writer.command("shop", {"update": "things", "updates": [{"q": {}, "u": {"$set": {"a": 1}}}]})
    poll_for(lambda: secondary.last_ts() == 3 or None)
    assert [doc for _, doc in secondary.scan("shop", "things")] == [{"_id": 1, "a": 1}]
    writer.close()
    puller.stop()
    puller.join(timeout=5)
    assert not puller.is_alive()


def connect(port: int) -> client.Client | None:
    try:
        return client.Client("127.0.0.1", port)
    except OSError:
        return None


def poll_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s")


def test_todays_driver_discovers_the_set_from_its_url(tmp_path: Path) -> None:
    """Three members over loopback, as the URL of environment.json names them: pymongo finds
    the primary and the secondaries by itself, writes on the one and reads on the others."""
    ports = [free_port() for _ in MEMBERS]
    members = tuple(f"127.0.0.1:{port}" for port in ports)
    user = auth.User("root", PASSWORD)
    pullers: list[replset.Puller] = []
    for number in range(len(ports)):
        path = str(tmp_path / f"member-{number}.sqlite3")
        replica_set = ReplicaSet("shop.mongo", members, number)
        sync = replset.SyncStatus()
        if number:
            pullers.append(replset.Puller(replica_set, path, "root", PASSWORD, sync))
            pullers[-1].start()

        def run_member(
            path: str = path, replica_set: ReplicaSet = replica_set, sync: replset.SyncStatus = sync
        ) -> None:
            state = State(Store(path), user, replica_set=replica_set, sync=sync)
            asyncio.run(serve(state, "127.0.0.1", ports[replica_set.me]))

        threading.Thread(target=run_member, daemon=True).start()
    for port in ports:
        poll_for(lambda port=port: connect(port)).close()
    url = f"mongodb://root:{PASSWORD}@{','.join(members)}/?replicaSet=shop.mongo"
    with pymongo.MongoClient(url, serverSelectionTimeoutMS=5000) as mongo:
        mongo.shop.things.insert_one({"_id": 1, "text": "hello"})
        assert mongo.primary == ("127.0.0.1", ports[0])
        poll_for(lambda: len(mongo.secondaries) == 2)
        on_secondaries = mongo.shop.get_collection(
            "things", read_preference=pymongo.ReadPreference.SECONDARY
        )
        assert poll_for(lambda: on_secondaries.find_one({"_id": 1})) == {"_id": 1, "text": "hello"}
    for puller in pullers:
        puller.stop()
        puller.join(timeout=5)


def test_a_store_opens_a_file_another_connection_is_writing(tmp_path: Path) -> None:
    """A secondary's server and its oplog puller open the same new file as they start: SQLite
    refuses the switch to WAL at once while the other holds its write lock, so the open waits."""
    path = str(tmp_path / "shared.sqlite3")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE creating (x)")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        store = Store(path)
    finally:
        release.join(timeout=10)
        other.close()
    assert store.connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.close()

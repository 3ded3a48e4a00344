"""A mongodb service with `instances: 3` for real: a replica set whose instance 0 is the primary
environment.json names, the others secondaries following its oplog.

One application for the module: the 2012 applications of tests/fixtures/apps/py2-mongodb
(pymongo 2.8.1 on Python 2.7, the Node driver 1.2.14), with their `db` scaled to 3 and reached
through the URL environment.json gives them, which lists the members. Today's pymongo speaks to
each member through the port it publishes on loopback (a direct connection: the members' names
resolve inside the stack only); the `mongo` shell of `run` speaks to a member from inside. A
write on the primary is read back on both secondaries, a secondary refuses writes, the data
survives `down`/`up`; a stopped primary is replaced by a secondary the others elect (the 2012
drivers reach it through the same URL) and follows it once started again, and after a killed
primary the set has one primary again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest
import requests
from pymongo.errors import NotPrimaryError, PyMongoError

from .conftest import ROOT, Cli, RunningApp, poll, running_app
from .test_self_healing import container

FIXTURE = ROOT / "tests" / "fixtures" / "apps" / "py2-mongodb"
UNSCALED = "db:\n  type: mongodb\n"
BACK_TIMEOUT = 90.0
SYNC_TIMEOUT = 30.0
MEMBERS = (0, 1, 2)

Mongo = pymongo.MongoClient[dict[str, Any]]


@pytest.fixture(scope="module")
def app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir: Path = tmp_path_factory.mktemp("mongors") / "py2-mongodb"
    shutil.copytree(FIXTURE, appdir, ignore=shutil.ignore_patterns("__pycache__"))
    build_file = (appdir / "dotcloud.yml").read_text()
    assert build_file.endswith(UNSCALED)
    (appdir / "dotcloud.yml").write_text(build_file + "  instances: 3\n")
    with running_app(cli, "mongors", appdir, cleanup_apps) as running:
        yield running


def environment(cli: Cli, app: RunningApp) -> dict[str, str]:
    shown = cli.run("env", "show", f"{app.name}.db", "--json", "-d", str(app.appdir)).stdout
    env: dict[str, str] = json.loads(shown)
    return env


def info(cli: Cli, app: RunningApp) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(cli.run("info", f"{app.name}.db", "--json").stdout)
    return document


def member(cli: Cli, app: RunningApp, instance: int) -> Mongo:
    """A direct connection, as root, to one member's port published on loopback."""
    found = container(app.name, "db", instance)
    found.reload()
    [binding] = found.attrs["NetworkSettings"]["Ports"]["27017/tcp"]
    assert binding["HostIp"] == "127.0.0.1"
    password = environment(cli, app)["DOTCLOUD_DB_MONGODB_PASSWORD"]
    return pymongo.MongoClient(
        f"mongodb://root:{password}@127.0.0.1:{binding['HostPort']}/?directConnection=true",
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=5000,
    )


def has(cli: Cli, app: RunningApp, instance: int, query: dict[str, Any]) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with member(cli, app, instance) as mongo:
                return mongo.shop.things.find_one(query) is not None
        except (PyMongoError, KeyError, TypeError, ValueError):
            return False  # not answering yet (or its port not published yet)

    return check


def on_every_member(cli: Cli, app: RunningApp, query: dict[str, Any], timeout: float) -> None:
    for instance in MEMBERS:
        poll(has(cli, app, instance, query), timeout=timeout, what=f"{query} on db.{instance}")


def test_the_environment_points_at_the_primary_and_lists_the_set(cli: Cli, app: RunningApp) -> None:
    env = environment(cli, app)
    password = env["DOTCLOUD_DB_MONGODB_PASSWORD"]
    assert (env["DOTCLOUD_DB_MONGODB_HOST"], env["DOTCLOUD_DB_MONGODB_PORT"]) == ("db", "27017")
    assert env["DOTCLOUD_DB_MONGODB_URL"] == (
        f"mongodb://root:{password}@db:27017,db-1:27017,db-2:27017/?replicaSet={app.name}.db"
    )
    document = info(cli, app)
    assert document["instances"] == {
        f"{app.name}.db.0": {"state": "PRIMARY"},
        f"{app.name}.db.1": {"state": "SECONDARY"},
        f"{app.name}.db.2": {"state": "SECONDARY"},
    }
    assert document["config"]["mongodb_replset"] == f"{app.name}.db"


def test_each_member_knows_the_set_and_its_role(cli: Cli, app: RunningApp) -> None:
    hosts = ["db:27017", "db-1:27017", "db-2:27017"]
    for instance in MEMBERS:
        with member(cli, app, instance) as mongo:
            hello = mongo.admin.command("hello")
            assert hello["setName"] == f"{app.name}.db"
            assert hello["hosts"] == hosts
            assert hello["primary"] == "db:27017"
            assert hello["me"] == hosts[instance]
            assert hello["isWritablePrimary"] is (instance == 0)
            assert hello["secondary"] is (instance != 0)
    with member(cli, app, 2) as mongo:
        status = mongo.admin.command("replSetGetStatus")
    assert [m["stateStr"] for m in status["members"]] == ["PRIMARY", "SECONDARY", "SECONDARY"]
    poll(lambda: synced_to_primary(cli, app, 2), timeout=SYNC_TIMEOUT, what="db.2 syncing")


def synced_to_primary(cli: Cli, app: RunningApp, instance: int) -> bool:
    with member(cli, app, instance) as mongo:
        status = mongo.admin.command("replSetGetStatus")
    me = status["members"][instance]
    return bool(me.get("syncSourceHost") == "db:27017")


def test_a_write_on_the_primary_is_read_on_the_secondaries(cli: Cli, app: RunningApp) -> None:
    with member(cli, app, 0) as primary:
        primary.shop.things.create_index("name", unique=True)
        primary.shop.things.insert_many([{"name": "greeting", "text": "hello"}, {"name": "n"}])
        primary.shop.things.update_one({"name": "n"}, {"$inc": {"count": 2}})
    on_every_member(cli, app, {"name": "n", "count": 2}, SYNC_TIMEOUT)
    with member(cli, app, 1) as secondary:
        assert secondary.shop.things.find_one({"name": "greeting"}, {"_id": 0}) == {
            "name": "greeting",
            "text": "hello",
        }
        assert "name_1" in secondary.shop.things.index_information()


def get(app: RunningApp, path: str, service: str = "web") -> str:
    response = requests.get(f"{app.base}{path}", headers={"Host": app.host(service)}, timeout=30)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
    return response.text


def test_the_2012_drivers_find_the_primary_through_the_url(cli: Cli, app: RunningApp) -> None:
    assert get(app, "/") == "pymongo 2.8.1, Python 2.7.18, wire 0\n"
    assert get(app, "/note/python2012") == "python2012 1\n"
    assert get(app, "/", "node") == "mongodb 1.2.14, node v0.8.28\n"
    assert get(app, "/note/node2012", "node") == "node2012 2\n"
    for instance in MEMBERS:
        poll(
            lambda instance=instance: notes_on(cli, app, instance) == ["node2012", "python2012"],
            timeout=SYNC_TIMEOUT,
            what=f"the applications' notes on db.{instance}",
        )


def test_mongoose_and_rubys_gem_reach_the_set_through_the_url(app: RunningApp) -> None:
    # The set's URL has a path already (`/?replicaSet=`): each names its database in it.
    assert get(app, "/mongoose/visit/set", "node") == "set 1\n"
    assert get(app, "/mongoose/visit/set", "node") == "set 2\n"
    assert json.loads(get(app, "/bump/set", "rb")) == {"name": "set", "hits": 1, "log": ["ruby"]}


def notes_on(cli: Cli, app: RunningApp, instance: int) -> list[str]:
    with member(cli, app, instance) as mongo:
        return sorted(note["text"] for note in mongo.fixture.notes.find())


def test_a_secondary_refuses_writes(cli: Cli, app: RunningApp) -> None:
    for instance in (1, 2):
        with member(cli, app, instance) as secondary, pytest.raises(NotPrimaryError) as refused:
            secondary.shop.things.insert_one({"name": "on a secondary"})
        assert refused.value.details is not None
        assert (refused.value.details["code"], refused.value.details["errmsg"]) == (
            10107,
            "not master",
        )
    with member(cli, app, 0) as primary:
        assert primary.shop.things.find_one({"name": "on a secondary"}) is None


def test_the_shell_reads_on_a_secondary_and_is_refused_a_write(cli: Cli, app: RunningApp) -> None:
    read = cli.run("run", f"{app.name}.db.1", "--", "mongo shop --eval 'db.things.count()'")
    assert read.stdout.split()[-1] == "2"
    write = cli.run(
        "run", f"{app.name}.db.1", "--", "mongo shop --eval 'db.things.insert({a: 1})'", check=False
    )
    assert write.returncode != 0
    assert "not master (code 10107)" in write.stdout + write.stderr


def test_data_survives_down_and_up(cli: Cli, app: RunningApp) -> None:
    with member(cli, app, 0) as primary:
        primary.shop.things.insert_one({"name": "before down"})
    on_every_member(cli, app, {"name": "before down"}, SYNC_TIMEOUT)
    cli.run("down", app.name)
    cli.run("up", str(app.appdir), "-A", app.name, "--port", str(app.port))
    for instance in MEMBERS:
        with member(cli, app, instance) as mongo:
            assert mongo.shop.things.find_one({"name": "before down"}) is not None
            assert mongo.shop.things.count_documents({}) == 3
    with member(cli, app, 0) as primary:
        primary.shop.things.insert_one({"name": "after up"})
    on_every_member(cli, app, {"name": "after up"}, SYNC_TIMEOUT)


def primary_of(cli: Cli, app: RunningApp, among: tuple[int, ...] = MEMBERS) -> int:
    """The one member of `among` that says it is the primary, once there is one."""

    def says_primary(instance: int) -> bool:
        try:
            with member(cli, app, instance) as mongo:
                return bool(mongo.admin.command("hello")["isWritablePrimary"])
        except (PyMongoError, KeyError, TypeError, ValueError):
            return False

    found: list[int] = []

    def one() -> bool:
        found[:] = [instance for instance in among if says_primary(instance)]
        return len(found) == 1

    poll(one, timeout=BACK_TIMEOUT, what=f"one primary among db.{among}")
    return found[0]


def note_written(app: RunningApp, service: str, text: str) -> bool:
    """The 2012 application wrote a note through the URL of environment.json (a driver may
    fail the first request after an election, as with MongoDB: the next one reconnects)."""
    path = f"{app.base}/note/{text}"
    try:
        response = requests.get(path, headers={"Host": app.host(service)}, timeout=30)
    except requests.RequestException:
        return False
    return response.status_code == 200


def test_a_stopped_primary_is_replaced_by_an_elected_secondary(cli: Cli, app: RunningApp) -> None:
    old = primary_of(cli, app)
    stopped = container(app.name, "db", old)
    stopped.stop()  # a deliberate stop: nothing starts it again
    began = time.monotonic()
    others = tuple(instance for instance in MEMBERS if instance != old)
    try:
        elected = primary_of(cli, app, others)
        print(f"db.{elected} elected {time.monotonic() - began:.1f}s after db.{old} stopped")
        assert info(cli, app)["instances"][f"{app.name}.db.{elected}"] == {"state": "PRIMARY"}
        # The applications of 2012 reach the new primary through the same URL.
        poll(lambda: note_written(app, "web", "py-elected"), BACK_TIMEOUT, "pymongo 2's note")
        poll(lambda: note_written(app, "node", "node-elected"), BACK_TIMEOUT, "node's note")
    finally:
        stopped.start()
    # The old primary comes back as a secondary of the elected one, and gets what it missed.
    poll(lambda: "py-elected" in notes_on(cli, app, old), BACK_TIMEOUT, f"db.{old} catching up")
    assert primary_of(cli, app) == elected


def test_a_killed_primary_is_replaced_or_comes_back_and_one_primary_remains(
    cli: Cli, app: RunningApp
) -> None:
    old = primary_of(cli, app)
    subprocess.run(
        ["docker", "kill", container(app.name, "db", old).name], check=True, capture_output=True
    )
    killed = time.monotonic()
    poll(has(cli, app, old, {"name": "after up"}), timeout=BACK_TIMEOUT, what=f"db.{old} back")
    # Whichever comes first, an election or the healer starting the old primary again, the set
    # ends with one primary, which every member follows (the write is tried again should an
    # election end while it is on its way).
    written: list[int] = []

    def write_on_the_primary() -> bool:
        primary = primary_of(cli, app)
        try:
            with member(cli, app, primary) as mongo:
                mongo.shop.things.insert_one({"name": "after kill"})
        except PyMongoError:
            return False
        written.append(primary)
        return True

    poll(write_on_the_primary, timeout=BACK_TIMEOUT, what="a write on the primary")
    print(f"db.{old} killed: db.{written[0]} primary {time.monotonic() - killed:.1f}s later")
    on_every_member(cli, app, {"name": "after kill"}, BACK_TIMEOUT)
    assert primary_of(cli, app) == written[0]


def test_scale_to_5_adds_secondaries_with_the_data(cli: Cli, app: RunningApp) -> None:
    refused = cli.run("scale", app.name, "db=4", check=False)
    assert refused.returncode != 0
    assert "a mongodb service runs 1, 3 or 5 instances" in refused.stderr
    cli.run("scale", app.name, "db=5")
    for instance in (3, 4):
        poll(
            has(cli, app, instance, {"name": "after kill"}),
            timeout=BACK_TIMEOUT,
            what=f"db.{instance}",
        )
    hosts = [f"db-{n}:27017" if n else "db:27017" for n in range(5)]
    for instance in (0, 4):  # the members were restarted on the new environment
        with member(cli, app, instance) as mongo:
            assert mongo.admin.command("hello")["hosts"] == hosts
    primary = primary_of(cli, app, tuple(range(5)))
    assert info(cli, app)["instances"][f"{app.name}.db.4"] == {
        "state": "PRIMARY" if primary == 4 else "SECONDARY"
    }
    with member(cli, app, primary) as mongo:
        mongo.shop.things.insert_one({"name": "after scale"})
    for instance in range(5):
        poll(
            has(cli, app, instance, {"name": "after scale"}),
            timeout=SYNC_TIMEOUT,
            what=f"db.{instance}",
        )

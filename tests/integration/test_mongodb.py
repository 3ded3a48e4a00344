"""The mongodb service type: the emulator's MongoDB-protocol server, reached by the drivers of
2012 (pymongo 2.8.1 on Python 2.7, the Node driver 1.2.14 and Mongoose 3.4.0 on Node 0.8, in
tests/fixtures/apps/py2-mongodb, configured only from environment.json), by Ruby's mongo gem as
a ruby service gets it here (Debian's 2.5.1) and by today's pymongo from this machine, through
the URL `info` prints.

One application for the module; its data must survive `down`/`up` and a `docker kill`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator

import docker
import pymongo
import pytest
import requests
from pymongo.errors import DuplicateKeyError, OperationFailure

from dotcloud_emulator.platform.naming import LABEL_APP, LABEL_INSTANCE, LABEL_SERVICE

from .conftest import ROOT, Cli, RunningApp, poll, running_app

FIXTURE = ROOT / "tests" / "fixtures" / "apps" / "py2-mongodb"
BACK_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir = tmp_path_factory.mktemp("mongodb") / "py2-mongodb"
    shutil.copytree(FIXTURE, appdir, ignore=shutil.ignore_patterns("__pycache__"))
    with running_app(cli, "mongo", appdir, cleanup_apps) as running:
        yield running


def get(app: RunningApp, path: str, service: str = "web") -> str:
    response = requests.get(f"{app.base}{path}", headers={"Host": app.host(service)}, timeout=30)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
    return response.text


def mongo_url(cli: Cli, app: RunningApp) -> str:
    info = json.loads(cli.run("info", f"{app.name}.db", "--json").stdout)
    [port] = info["ports"]
    assert port["name"] == "mongodb"
    url: str = port["url"]
    return url


def client(url: str) -> pymongo.MongoClient[dict[str, object]]:
    return pymongo.MongoClient(url, serverSelectionTimeoutMS=10000, connectTimeoutMS=5000)


def test_the_environment_has_the_platform_variables(cli: Cli, app: RunningApp) -> None:
    shown = cli.run("env", "show", f"{app.name}.web", "--json", "-d", str(app.appdir)).stdout
    env = json.loads(shown)
    password = env["DOTCLOUD_DB_MONGODB_PASSWORD"]
    assert len(password) >= 22
    assert env["DOTCLOUD_DB_MONGODB_LOGIN"] == "root"
    assert (env["DOTCLOUD_DB_MONGODB_HOST"], env["DOTCLOUD_DB_MONGODB_PORT"]) == ("db", "27017")
    assert env["DOTCLOUD_DB_MONGODB_URL"] == f"mongodb://root:{password}@db:27017"
    url = mongo_url(cli, app)
    assert url.startswith(f"mongodb://root:{password}@127.0.0.1:")


def test_a_2012_driver_inserts_finds_and_updates(app: RunningApp) -> None:
    # wire 0: the server answers a 2012 handshake as MongoDB 2.2, so pymongo 2.8 writes with
    # OP_INSERT / OP_UPDATE followed by getLastError, and logs in with MONGODB-CR.
    assert get(app, "/") == "pymongo 2.8.1, Python 2.7.18, wire 0\n"
    first = get(app, "/note/abc").split()
    second = get(app, "/note/def").split()
    assert first[0] == "abc"
    assert second == ["def", str(int(first[1]) + 1)]
    assert json.loads(get(app, "/bump/x")) == {"hits": 1, "log": ["hit"], "name": "x", "seen": [1]}
    bumped = json.loads(get(app, "/bump/x"))
    assert bumped == {"hits": 2, "log": ["hit", "hit"], "name": "x", "seen": [1]}


def test_a_2012_driver_gets_unique_indexes_and_a_refused_password(app: RunningApp) -> None:
    assert get(app, "/unique") == "refused 11000\n"
    assert get(app, "/badauth") == "refused: auth fails\n"


def test_the_2012_node_driver_writes_reads_and_meets_the_unique_index(app: RunningApp) -> None:
    assert get(app, "/", "node") == "mongodb 1.2.14, node v0.8.28\n"
    before = int(get(app, "/count"))
    assert get(app, "/note/nodenote", "node") == f"nodenote {before + 1}\n"
    assert get(app, "/unique", "node") == "refused 11000\n"  # the index the Python app made


def test_mongoose_of_2012_saves_updates_and_makes_its_models_unique_index(app: RunningApp) -> None:
    assert get(app, "/mongoose", "node") == "mongoose 3.4.0\n"
    assert get(app, "/mongoose/visit/home", "node") == "home 1\n"
    assert get(app, "/mongoose/visit/home", "node") == "home 2\n"
    # The index Mongoose makes for `unique: true` on the model's first use.
    assert get(app, "/mongoose/again/home", "node") == "refused 11000\n"
    assert get(app, "/mongoose/visit/other", "node") == "other 1\n"


def test_rubys_mongo_gem_writes_reads_updates_and_meets_the_unique_index(app: RunningApp) -> None:
    assert get(app, "/", "rb") == "mongo 2.5.1, ruby 2.7.4\n"
    before = int(get(app, "/count"))
    assert get(app, "/note/rubynote", "rb") == f"rubynote {before + 1}\n"
    assert get(app, "/count") == f"{before + 1}\n"  # what Ruby wrote, pymongo 2.8 reads
    assert json.loads(get(app, "/bump/rb", "rb")) == {"name": "rb", "hits": 1, "log": ["ruby"]}
    bumped = json.loads(get(app, "/bump/rb", "rb"))
    assert bumped == {"name": "rb", "hits": 2, "log": ["ruby", "ruby"]}
    assert get(app, "/unique", "rb") == "refused 11000\n"
    assert get(app, "/badauth", "rb") == "refused\n"


def test_todays_driver_reads_the_same_data_and_writes(cli: Cli, app: RunningApp) -> None:
    get(app, "/note/ghi")
    with client(mongo_url(cli, app)) as mongo:
        notes = mongo.fixture.notes
        assert notes.find_one({"text": "ghi"}, {"_id": 0}) == {"text": "ghi", "tags": ["g"]}
        assert "text_unique" in notes.index_information()
        with pytest.raises(DuplicateKeyError):
            notes.insert_one({"text": "ghi"})
        result = notes.update_many({"text": {"$in": ["abc", "def"]}}, {"$set": {"seen": True}})
        assert (result.matched_count, result.modified_count) == (2, 2)
        ordered = [n["text"] for n in notes.find({"seen": True}).sort("text", -1)]
        assert ordered == ["def", "abc"]
        assert "fixture" in mongo.list_database_names()
        assert sorted(mongo.fixture.list_collection_names()) == ["counters", "notes"]


def test_a_wrong_password_and_no_password_are_refused(cli: Cli, app: RunningApp) -> None:
    url = mongo_url(cli, app)
    password = url.split(":")[2].split("@")[0]
    with client(url.replace(password, "wrong")) as wrong, pytest.raises(OperationFailure) as error:
        wrong.fixture.notes.find_one()
    assert error.value.code == 18
    anonymous = url.replace(f"root:{password}@", "")
    with client(anonymous) as nobody, pytest.raises(OperationFailure) as error:
        nobody.fixture.notes.find_one()
    assert error.value.code == 13


def test_run_opens_a_mongo_shell(cli: Cli, app: RunningApp) -> None:
    statement = "mongo fixture --eval 'db.notes.count({text: \"abc\"}); show collections'"
    printed = cli.run("run", f"{app.name}.db", "--", statement).stdout.split()
    assert printed[-3:] == ["1", "counters", "notes"]
    wrong = cli.run("run", f"{app.name}.db", "--", "mongo --eval 'db.notes.bogus()'", check=False)
    assert wrong.returncode != 0
    assert "db.notes.bogus() is not a method this shell knows" in wrong.stdout + wrong.stderr


def count(app: RunningApp) -> int:
    return int(get(app, "/count"))


def test_data_survives_down_and_up(cli: Cli, app: RunningApp) -> None:
    before = count(app)
    assert before >= 4
    cli.run("down", app.name)
    cli.run("up", str(app.appdir), "-A", app.name, "--port", str(app.port))
    assert count(app) == before
    with client(mongo_url(cli, app)) as mongo:
        assert mongo.fixture.counters.find_one({"name": "x"})["hits"] == 2  # type: ignore[index]


def db_container(app: RunningApp) -> object:
    selector = {"label": [f"{LABEL_APP}={app.name}", f"{LABEL_SERVICE}=db", f"{LABEL_INSTANCE}=0"]}
    [found] = docker.from_env().containers.list(all=True, filters=selector)
    return found


def answers(cli: Cli, app: RunningApp) -> bool:
    """Whether the server answers a ping again (while it is down, `info` shows no port)."""
    info = json.loads(cli.run("info", f"{app.name}.db", "--json").stdout)
    if not info["ports"]:
        return False
    try:
        with pymongo.MongoClient(info["ports"][0]["url"], serverSelectionTimeoutMS=2000) as mongo:
            mongo.admin.command("ping")
    except pymongo.errors.PyMongoError:
        return False
    return True


def test_data_survives_docker_kill(cli: Cli, app: RunningApp) -> None:
    get(app, "/note/killed")  # acknowledged just before the kill
    before = count(app)
    container = db_container(app)
    subprocess.run(["docker", "kill", container.name], check=True, capture_output=True)  # type: ignore[attr-defined]
    killed = time.monotonic()
    poll(
        lambda: answers(cli, app),
        timeout=BACK_TIMEOUT,
        what="db.0 back after docker kill",
    )
    print(f"db.0 answered again {time.monotonic() - killed:.1f}s after docker kill")
    poll(
        lambda: _count_or_none(app) == before, timeout=BACK_TIMEOUT, what="the web service's count"
    )
    with client(mongo_url(cli, app)) as mongo:
        assert mongo.fixture.notes.find_one({"text": "killed"}) is not None


def _count_or_none(app: RunningApp) -> int | None:
    try:
        return count(app)
    except (AssertionError, requests.RequestException, ValueError):
        return None

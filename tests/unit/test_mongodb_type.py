"""The mongodb type: its catalogue entry, its build context (the emulator's own server copied in,
no password anywhere in it) and the small `mongo` shell's reading of the shell's syntax."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from bson import ObjectId

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.mongoserver import shell
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render.contexts import render_build_context
from dotcloud_emulator.render.files import File

MODULES = sorted(p.name for p in (Path(shell.__file__).parent).glob("*.py"))


def context(tmp_path: Path) -> dict[str, File]:
    service = Service("db", "mongodb")
    application = Application("shop", tmp_path, tmp_path / "dotcloud.yml", (service,))
    items = render_build_context(application, service, Settings(tmp_path / "state"))
    return {
        str(item.path).removeprefix(".dotcloud/build/db/"): item
        for item in items
        if isinstance(item, File)
    }


def test_the_catalogue_entry_is_the_platforms_contract() -> None:
    port = catalogue.data_port("mongodb")
    assert port is not None
    assert (port.name, port.infix, port.scheme, port.port, port.login) == (
        "mongodb",
        "MONGODB",
        "mongodb",
        27017,
        "root",
    )
    assert port.password_key == "mongodb_password"
    assert catalogue.runs_here("mongodb")


def test_the_build_context_ships_the_server_and_the_shell(tmp_path: Path) -> None:
    files = context(tmp_path)
    assert (
        sorted(
            name.removeprefix("platform/mongoserver/") for name in files if "mongoserver/" in name
        )
        == MODULES
    )
    assert files["platform/mongo"].mode == 0o755
    dockerfile = files["Dockerfile"].content
    assert "python3-bson" in dockerfile
    assert (
        "COPY platform/mongoserver/ /usr/local/lib/dotcloud/dotcloud_emulator/mongoserver/"
        in dockerfile
    )
    assert "EXPOSE 27017" in dockerfile
    init = files["platform/dotcloud-init"].content
    assert "--password-variable DOTCLOUD_DB_MONGODB_PASSWORD" in init
    assert "become_dotcloud" in init
    health = files["platform/dotcloud-health"].content
    assert "dotcloud_emulator.mongoserver.client" in health
    assert health.rstrip().endswith("ping")


def test_the_shell_reads_object_literals() -> None:
    args = shell.arguments(
        "{a: 1, 'b': 'it\\'s', c: {$gt: 2}, _id: ObjectId('5099803df3f4948bd2f98391')},"
        " {multi: true}"
    )
    assert args == [
        {"a": 1, "b": "it's", "c": {"$gt": 2}, "_id": ObjectId("5099803df3f4948bd2f98391")},
        {"multi": True},
    ]
    assert shell.split_calls("things.find({a: 1}).sort({a: -1}).limit(2)") == [
        ("things", None),
        ("find", "{a: 1}"),
        ("sort", "{a: -1}"),
        ("limit", "2"),
    ]
    assert shell.statements('use x; db.a.insert({s: "a;b"})\ndb.a.find()') == [
        "use x",
        'db.a.insert({s: "a;b"})',
        "db.a.find()",
    ]
    assert shell.shown({"_id": ObjectId("5099803df3f4948bd2f98391"), "a": [1, "x"]}) == (
        '{ "_id" : ObjectId("5099803df3f4948bd2f98391"), "a" : [ 1, "x" ] }'
    )
    with pytest.raises(shell.ShellError, match="unterminated string"):
        shell.arguments("{a: 'x}")


class FakeClient:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, object]]] = []

    def command(self, db: str, command: dict[str, object]) -> dict[str, object]:
        self.sent.append((db, command))
        if "find" in command:
            return {"cursor": {"id": 0, "firstBatch": [{"_id": 1}]}, "ok": 1.0}
        return {"n": 3, "nModified": 1, "ok": 1.0}


def test_the_shell_turns_statements_into_commands() -> None:
    fake = FakeClient()
    out = io.StringIO()
    mongo = shell.Shell(fake, "shop", out)  # type: ignore[arg-type]
    mongo.run("db.orders.find({paid: true}).sort({_id: -1}).limit(5)")
    mongo.run("db.orders.update({_id: 1}, {$set: {paid: true}}, {multi: true})")
    mongo.run("use other")
    mongo.run("db.things.count()")
    # Every command allows a secondary: on a member of a replica set the shell reads there.
    assert {str(command.pop("$readPreference")) for _, command in fake.sent} == {
        "{'mode': 'primaryPreferred'}"
    }
    assert fake.sent == [
        ("shop", {"find": "orders", "filter": {"paid": True}, "sort": {"_id": -1}, "limit": 5}),
        (
            "shop",
            {
                "update": "orders",
                "updates": [
                    {"q": {"_id": 1}, "u": {"$set": {"paid": True}}, "upsert": False, "multi": True}
                ],
            },
        ),
        ("other", {"count": "things", "query": {}}),
    ]
    assert out.getvalue().splitlines() == [
        '{ "_id" : 1 }',
        '{ "WriteResult" : { "nMatched" : 3, "nModified" : 1 } }',
        "switched to db other",
        "3",
    ]
    with pytest.raises(shell.ShellError, match=r"db.orders.bogus\(\) is not a method"):
        mongo.run("db.orders.bogus()")

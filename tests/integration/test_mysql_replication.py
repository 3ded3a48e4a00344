"""A scaled mysql for real: instance 0 is the master environment.json names; the others replicate.

One application for the module: a mysql service with `instances: 2`, scaled to 3 by `scale`. SQL
runs in the service's own containers through `run`, with the credentials of the environment
(`DOTCLOUD_DB_MYSQL_*`; `_HOST_<n>` names each instance). A write on the master is read back on
every replica, a replica refuses writes, a replica added later copies the master's data, a killed
master is replaced by a promoted replica that the service's name then reaches (with the data, the
other replica following it), and it all survives down/up.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Cli, RunningApp, poll, running_app
from .test_self_healing import container

BUILD_FILE = """\
db:
  type: mysql
  instances: 2
"""
BACK_TIMEOUT = 120.0
SYNC_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir: Path = tmp_path_factory.mktemp("mysqlrep")
    (appdir / "dotcloud.yml").write_text(BUILD_FILE)
    with running_app(cli, "mrep", appdir, cleanup_apps) as running:
        sql(
            cli,
            running,
            0,
            "CREATE DATABASE shop; CREATE TABLE shop.notes (k VARCHAR(40) "
            "PRIMARY KEY, v VARCHAR(40))",
        )
        yield running


def sql(cli: Cli, app: RunningApp, target: int, statements: str, *, via: int = 1) -> str:
    """`statements` on instance `target`, sent from a client in instance `via` (any instance
    reaches every other by its `DOTCLOUD_DB_MYSQL_HOST_<n>`) with the environment's login; the
    output, with the error text when the server refused."""
    host = "$DOTCLOUD_DB_MYSQL_HOST" if target == 0 else f"$DOTCLOUD_DB_MYSQL_HOST_{target}"
    command = (
        f'MYSQL_PWD="$DOTCLOUD_DB_MYSQL_PASSWORD" mariadb -h "{host}" -P "$DOTCLOUD_DB_MYSQL_PORT" '
        f'-u "$DOTCLOUD_DB_MYSQL_LOGIN" -N -B -e "{statements}" 2>&1'
    )
    result = cli.run("run", f"{app.name}.db.{via}", "--", command, check=False)
    return result.stdout.strip()


def value(cli: Cli, app: RunningApp, instance: int, key: str) -> str:
    return sql(cli, app, instance, f"SELECT v FROM shop.notes WHERE k = '{key}'", via=instance)


def has(cli: Cli, app: RunningApp, instance: int, key: str, expected: str) -> bool:
    return value(cli, app, instance, key) == expected


def info(cli: Cli, app: RunningApp) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(cli.run("info", f"{app.name}.db", "--json").stdout)
    return document


def replication_online(cli: Cli, app: RunningApp, replicas: int) -> bool:
    replication = info(cli, app).get("replication")
    if not replication:
        return False
    slaves = replication[2]["slaves"]
    return (
        replication[0] == {"status": "online"}
        and len(slaves) == replicas
        and all(slave["status"] == "UP" for slave in slaves)
    )


def test_the_environment_names_the_master_and_info_each_role(cli: Cli, app: RunningApp) -> None:
    shown = cli.run("env", "show", f"{app.name}.db", "--json", "-d", str(app.appdir))
    env = json.loads(shown.stdout)
    assert env["DOTCLOUD_DB_MYSQL_HOST"] == env["DOTCLOUD_DB_MYSQL_HOST_0"]
    assert env["DOTCLOUD_DB_MYSQL_HOST_1"] != env["DOTCLOUD_DB_MYSQL_HOST"]
    document = info(cli, app)
    roles = {name: facts.get("role") for name, facts in document["instances"].items()}
    assert roles == {f"{app.name}.db.0": "master", f"{app.name}.db.1": "replica"}
    poll(lambda: replication_online(cli, app, 1), timeout=SYNC_TIMEOUT, what="replication online")
    replication = info(cli, app)["replication"]
    assert replication[1] == {"master": {"name": f"{app.name}.db.0", "status": "UP"}}
    assert replication[2]["slaves"][0]["name"] == f"{app.name}.db.1"
    assert sql(cli, app, 0, "SELECT @@read_only, @@log_bin", via=0) == "0\t1"
    assert sql(cli, app, 1, "SELECT @@read_only, @@server_id", via=1) == "1\t2"


def test_a_write_on_the_master_is_read_on_the_replica_which_refuses_writes(
    cli: Cli, app: RunningApp
) -> None:
    assert sql(cli, app, 0, "INSERT INTO shop.notes VALUES ('greeting', 'hello')") == ""
    poll(lambda: has(cli, app, 1, "greeting", "hello"), timeout=SYNC_TIMEOUT, what="replication")
    refused = sql(cli, app, 1, "INSERT INTO shop.notes VALUES ('other', 'x')")
    assert "read-only" in refused, refused
    assert value(cli, app, 1, "other") == ""
    assert value(cli, app, 0, "greeting") == "hello"


def test_scale_adds_a_replica_with_the_masters_data(cli: Cli, app: RunningApp) -> None:
    sql(cli, app, 0, "INSERT INTO shop.notes VALUES ('before-scale', 'yes')")
    cli.run("scale", app.name, "db=3")
    poll(lambda: has(cli, app, 2, "before-scale", "yes"), timeout=SYNC_TIMEOUT, what="db.2 seeded")
    assert has(cli, app, 2, "greeting", "hello")
    sql(cli, app, 0, "INSERT INTO shop.notes VALUES ('after-scale', 'yes')")
    poll(lambda: has(cli, app, 2, "after-scale", "yes"), timeout=SYNC_TIMEOUT, what="db.2 follows")
    assert info(cli, app)["instances"][f"{app.name}.db.2"]["role"] == "replica"
    poll(lambda: replication_online(cli, app, 2), timeout=SYNC_TIMEOUT, what="2 replicas online")


def master_name(cli: Cli, app: RunningApp) -> str:
    replication = info(cli, app).get("replication") or [{}, {}]
    return str(replication[1].get("master", {}).get("name", ""))


def test_a_killed_master_fails_over_to_a_replica_the_services_name_then_reaches(
    cli: Cli, app: RunningApp
) -> None:
    sql(cli, app, 0, "INSERT INTO shop.notes VALUES ('before-kill', 'kept')")
    poll(lambda: has(cli, app, 1, "before-kill", "kept"), timeout=SYNC_TIMEOUT, what="replication")
    subprocess.run(
        ["docker", "kill", container(app.name, "db", 0).name], check=True, capture_output=True
    )
    killed = time.monotonic()
    poll(
        lambda: master_name(cli, app) not in ("", f"{app.name}.db.0"),
        timeout=BACK_TIMEOUT,
        what="a replica promoted",
    )
    poll(lambda: has(cli, app, 0, "before-kill", "kept"), timeout=BACK_TIMEOUT, what="the name")
    elapsed = time.monotonic() - killed
    print(f"{master_name(cli, app)} was the master {elapsed:.1f}s after docker kill")
    assert sql(cli, app, 0, "INSERT INTO shop.notes VALUES ('after-kill', 'new')") == ""
    for replica in (1, 2):
        poll(
            lambda replica=replica: has(cli, app, replica, "after-kill", "new"),  # type: ignore[misc]
            timeout=BACK_TIMEOUT,
            what=f"db.{replica} following the master again",
        )


def test_no_password_is_in_a_log_or_an_image_layer(cli: Cli, app: RunningApp) -> None:
    shown = cli.run("env", "show", f"{app.name}.db", "--json", "-d", str(app.appdir))
    env = json.loads(shown.stdout)
    passwords = [
        env["DOTCLOUD_DB_MYSQL_PASSWORD"],
        env["DOTCLOUD_DB_MYSQL_REPLICATION_PASSWORD"],
    ]
    assert all(len(password) >= 20 for password in passwords)
    for instance in (0, 1, 2):
        found = container(app.name, "db", instance)
        logs = found.logs().decode("utf-8", "replace")
        assert "ready for connections" in logs
        assert not [password for password in passwords if password in logs]
    history = subprocess.run(
        ["docker", "history", "--no-trunc", container(app.name, "db", 0).image.id],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert not [password for password in passwords if password in history]
    others = json.loads(
        cli.run("env", "show", f"{app.name}.db.1", "--json", "-d", str(app.appdir)).stdout
    )
    assert others["DOTCLOUD_DB_MYSQL_REPLICATION_PASSWORD"] == passwords[1]


def test_the_data_and_the_replication_survive_down_and_up(cli: Cli, app: RunningApp) -> None:
    cli.run("down", app.name)
    cli.run("up", str(app.appdir), "-A", app.name, "--port", str(app.port))
    for instance in (0, 1, 2):
        poll(
            lambda instance=instance: has(cli, app, instance, "after-kill", "new"),  # type: ignore[misc]
            timeout=BACK_TIMEOUT,
            what=f"db.{instance} with its data after up",
        )
    sql(cli, app, 0, "INSERT INTO shop.notes VALUES ('after-up', 'yes')")
    for replica in (1, 2):
        poll(
            lambda replica=replica: has(cli, app, replica, "after-up", "yes"),  # type: ignore[misc]
            timeout=SYNC_TIMEOUT,
            what=f"db.{replica} replicating after up",
        )

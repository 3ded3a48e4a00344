"""A scaled redis for real: instance 0 is the master environment.json names; the others replicate.

One application for the module: a redis service with `instances: 2`, scaled to 3 by `scale`.
A write on the master is read back on every replica, a replica refuses writes; a killed master
fails over (the healer promotes a replica and moves the service's name to it), the old master
comes back as a replica of the new one, and the new master stays the master across `down`/`up`.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from dotcloud_emulator.platform.naming import LABEL_APP, LABEL_INSTANCE, LABEL_SERVICE

from .conftest import Cli, RunningApp, poll, running_app

BUILD_FILE = """\
data:
  type: redis
  instances: 2
"""
BACK_TIMEOUT = 90.0
REDIS = "redis-cli --no-auth-warning -a $DOTCLOUD_DATA_REDIS_PASSWORD"


@pytest.fixture(scope="module")
def app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir: Path = tmp_path_factory.mktemp("redisrep")
    (appdir / "dotcloud.yml").write_text(BUILD_FILE)
    with running_app(cli, "rrep", appdir, cleanup_apps) as running:
        yield running


def redis(cli: Cli, app: RunningApp, instance: int, command: str) -> str:
    result = cli.run("run", f"{app.name}.data.{instance}", "--", f"{REDIS} {command}", check=False)
    return result.stdout.strip()


def info(cli: Cli, app: RunningApp) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(cli.run("info", f"{app.name}.data", "--json").stdout)
    return document


def container(app: RunningApp, instance: int) -> Any:
    selector = [f"{LABEL_APP}={app.name}", f"{LABEL_SERVICE}=data", f"{LABEL_INSTANCE}={instance}"]
    [found] = docker.from_env().containers.list(all=True, filters={"label": selector})
    return found


def test_the_environment_names_the_master_and_info_each_role(cli: Cli, app: RunningApp) -> None:
    env = json.loads(
        cli.run("env", "show", f"{app.name}.data", "--json", "-d", str(app.appdir)).stdout
    )
    assert env["DOTCLOUD_DATA_REDIS_HOST"] == env["DOTCLOUD_DATA_REDIS_HOST_0"]
    assert env["DOTCLOUD_DATA_REDIS_HOST_1"] != env["DOTCLOUD_DATA_REDIS_HOST"]
    roles = {name: facts.get("role") for name, facts in info(cli, app)["instances"].items()}
    assert roles == {f"{app.name}.data.0": "master", f"{app.name}.data.1": "replica"}
    assert "role:master" in redis(cli, app, 0, "info replication")
    assert "role:slave" in redis(cli, app, 1, "info replication")


def test_a_write_on_the_master_is_read_on_the_replica_which_refuses_writes(
    cli: Cli, app: RunningApp
) -> None:
    assert redis(cli, app, 0, "set greeting hello") == "OK"
    poll(lambda: redis(cli, app, 1, "get greeting") == "hello", timeout=30, what="replication")
    assert redis(cli, app, 1, "set greeting other").startswith("READONLY")
    assert redis(cli, app, 0, "get greeting") == "hello"


def test_scale_adds_a_replica_with_the_masters_data(cli: Cli, app: RunningApp) -> None:
    redis(cli, app, 0, "set before-scale yes")
    cli.run("scale", app.name, "data=3")
    poll(lambda: redis(cli, app, 2, "get before-scale") == "yes", timeout=60, what="data.2 synced")
    assert info(cli, app)["instances"][f"{app.name}.data.2"]["role"] == "replica"


def test_a_killed_master_fails_over_to_a_replica_the_services_name_then_reaches(
    cli: Cli, app: RunningApp
) -> None:
    redis(cli, app, 0, "set before-kill kept")
    for replica in (1, 2):
        poll(has(cli, app, replica, "before-kill", "kept"), timeout=30, what=f"data.{replica}")
    subprocess.run(["docker", "kill", container(app, 0).name], check=True, capture_output=True)
    killed = time.monotonic()
    poll(lambda: master(cli, app) in (1, 2), timeout=BACK_TIMEOUT, what="a replica promoted")
    print(f"a replica was the master {time.monotonic() - killed:.1f}s after docker kill")
    promoted = master(cli, app)
    other = 3 - promoted
    assert "role:master" in redis(cli, app, promoted, "info replication")
    assert redis(cli, app, promoted, "get before-kill") == "kept"
    # The address environment.json gives (the service's name) reaches the new master.
    assert through_the_name(cli, app, other, "set after-failover new") == "OK"
    poll(has(cli, app, other, "after-failover", "new"), timeout=BACK_TIMEOUT, what="the other")
    # The old master comes back as a replica of the new one.
    poll(has(cli, app, 0, "after-failover", "new"), timeout=BACK_TIMEOUT, what="data.0 follows")
    assert "role:slave" in redis(cli, app, 0, "info replication")
    assert redis(cli, app, 0, "set on-old-master no").startswith("READONLY")
    roles = {name: facts.get("role") for name, facts in info(cli, app)["instances"].items()}
    assert roles == {
        f"{app.name}.data.{n}": "master" if n == promoted else "replica" for n in range(3)
    }


def test_the_master_stays_the_promoted_one_across_down_and_up(cli: Cli, app: RunningApp) -> None:
    promoted = master(cli, app)
    assert promoted != 0
    cli.run("down", app.name)
    cli.run("up", str(app.appdir), "-A", app.name, "--port", str(app.port))
    assert master(cli, app) == promoted
    assert through_the_name(cli, app, 0, "set after-up yes") == "OK"
    assert redis(cli, app, promoted, "get after-up") == "yes"
    refused = cli.run("scale", app.name, f"data={promoted}", check=False)
    assert refused.returncode != 0
    assert f"data.{promoted} is the master of data since a failover" in refused.stderr


def master(cli: Cli, app: RunningApp) -> int | None:
    instances = info(cli, app)["instances"]
    [name] = [name for name, facts in instances.items() if facts.get("role") == "master"]
    if instances[name]["state"] != "running":
        return None
    return int(name.rsplit(".", 1)[1])


def through_the_name(cli: Cli, app: RunningApp, instance: int, command: str) -> str:
    """A command sent from instance `instance` to the address environment.json gives."""
    return redis(cli, app, instance, f"-h $DOTCLOUD_DATA_REDIS_HOST {command}")


def has(cli: Cli, app: RunningApp, instance: int, key: str, value: str) -> Callable[[], bool]:
    return lambda: redis(cli, app, instance, f"get {key}") == value

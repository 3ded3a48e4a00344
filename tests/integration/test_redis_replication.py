"""A scaled redis for real: instance 0 is the master environment.json names; the others replicate.

One application for the module: a redis service with `instances: 2`, scaled to 3 by `scale`.
A write on the master is read back on every replica, a replica refuses writes, and a killed
master comes back (the healer) with its data and its replicas following it again.
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


def test_a_killed_master_comes_back_with_its_data_and_its_replicas(
    cli: Cli, app: RunningApp
) -> None:
    redis(cli, app, 0, "set before-kill kept")
    poll(lambda: redis(cli, app, 1, "get before-kill") == "kept", timeout=30, what="replication")
    subprocess.run(["docker", "kill", container(app, 0).name], check=True, capture_output=True)
    killed = time.monotonic()
    poll(
        lambda: redis(cli, app, 0, "get before-kill") == "kept", timeout=BACK_TIMEOUT, what="data.0"
    )
    print(f"data.0 answered again {time.monotonic() - killed:.1f}s after docker kill")
    assert redis(cli, app, 0, "set after-kill new") == "OK"
    for replica in (1, 2):
        poll(
            following(cli, app, replica),
            timeout=BACK_TIMEOUT,
            what=f"data.{replica} following the master again",
        )


def following(cli: Cli, app: RunningApp, replica: int) -> Callable[[], bool]:
    return lambda: redis(cli, app, replica, "get after-kill") == "new"

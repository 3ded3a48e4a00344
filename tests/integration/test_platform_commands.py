"""env set/unset, domain, scale and restart against one running copy of the sample application.

The tests share the application and run in file order: each leaves it with `www` at one instance,
except the scale test, which scales back down at its end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import docker
import pytest
import requests

from dotcloud_emulator.platform.naming import LABEL_APP, LABEL_INSTANCE, LABEL_SERVICE

from .conftest import (
    Cli,
    RunningApp,
    copy_sample,
    poll,
    running_app,
)

SCALE_TIMEOUT = 180.0


@pytest.fixture(scope="module")
def platform_app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir = copy_sample(tmp_path_factory.mktemp("plat"))
    with running_app(cli, "plat", appdir, cleanup_apps) as app:
        yield app


def get(app: RunningApp, path: str, host: str | None = None) -> requests.Response:
    headers = {"Host": host} if host else {}
    return requests.get(f"{app.base}{path}", headers=headers, timeout=10)


def www_containers(app: str) -> dict[str, str]:
    """`www.N` -> container id of the application's www instances (a container's name is no
    contract: an instance replaced beside itself gets the next number)."""
    selector = {"label": [f"{LABEL_APP}={app}", f"{LABEL_SERVICE}=www"]}
    found = docker.from_env().containers.list(all=True, filters=selector)
    labels = [f"www.{container.labels[LABEL_INSTANCE]}" for container in found]
    assert len(set(labels)) == len(labels), f"two containers for one instance: {labels}"
    return {label: container.id for label, container in zip(labels, found, strict=True)}


def printenv(cli: Cli, target: str, name: str) -> tuple[int, str]:
    result = cli.run("run", target, "--", "printenv", name, check=False)
    return result.returncode, result.stdout.strip()


def test_env_set_reaches_the_running_processes_and_unset_removes_it(
    platform_app: RunningApp, cli: Cli
) -> None:
    www = f"{platform_app.name}.www"

    set_result = cli.run("env", "set", platform_app.name, "GREETING=hello")
    assert printenv(cli, www, "GREETING") == (0, "hello")
    assert "[www.0] Restarting..." in set_result.stderr
    assert get(platform_app, "/hits").status_code == 200

    cli.run("env", "unset", platform_app.name, "GREETING")
    assert printenv(cli, www, "GREETING") == (1, "")


def test_env_set_of_a_platform_variable_exits_2_and_changes_nothing(
    platform_app: RunningApp, cli: Cli
) -> None:
    containers_before = www_containers(platform_app.name)

    result = cli.run("env", "set", platform_app.name, "DOTCLOUD_X=1", check=False)

    assert result.returncode == 2
    assert '"DOTCLOUD_X": names starting with DOTCLOUD_ are reserved' in result.stderr
    assert json.loads(cli.run("env", "list", platform_app.name, "--json").stdout) == {}
    assert www_containers(platform_app.name) == containers_before


def test_domain_add_routes_the_host_to_www_and_rm_stops_it(
    platform_app: RunningApp, cli: Cli
) -> None:
    assert get(platform_app, "/instance", "example.test").status_code == 404

    added = cli.run("domain", "add", platform_app.name, "www", "example.test")
    routed = get(platform_app, "/instance", "example.test")
    listed = cli.run("domain", "list", platform_app.name).stdout
    removed = cli.run("domain", "rm", platform_app.name, "www", "example.test")

    assert added.stdout.startswith('==> domain "example.test" created for "www"\n')
    assert (routed.status_code, routed.text) == (200, "www.0")
    assert listed == "www: example.test\n"
    assert removed.stdout == '==> domain "example.test" deleted from "www"\n'
    assert get(platform_app, "/instance", "example.test").status_code == 404
    assert get(platform_app, "/instance").text == "www.0"  # the plain address stays on www


def test_domain_add_refuses_a_malformed_name(platform_app: RunningApp, cli: Cli) -> None:
    result = cli.run("domain", "add", platform_app.name, "www", "bad_name", check=False)

    assert result.returncode == 2
    assert '"bad_name" is not a valid domain name' in result.stderr


def test_scale_balances_across_instances_and_keeps_sessions(
    platform_app: RunningApp, cli: Cli
) -> None:
    app = platform_app.name
    scaled = cli.run("scale", app, "www=3")
    assert "==> Scaling application" in scaled.stderr
    assert "==> Changing instances of www to 3" in scaled.stderr
    assert scaled.stdout == f"==> Successfully scaled {app} to www:instances=3\n"

    seen: set[str] = set()

    def every_instance_answered() -> bool:
        seen.add(get(platform_app, "/instance").text)
        return seen >= {"www.0", "www.1", "www.2"}

    poll(every_instance_answered, timeout=SCALE_TIMEOUT, what="www.0, www.1 and www.2")
    session = requests.Session()
    counts = [int(session.get(f"{platform_app.base}/hits", timeout=10).text) for _ in range(12)]
    assert counts == list(range(1, 13))
    assert printenv(cli, f"{app}.www.2", "DOTCLOUD_SERVICE_ID") == (0, "2")
    assert printenv(cli, f"{app}.www.0", "DOTCLOUD_WWW_HTTP_HOST_2")[0] == 0

    cli.run("scale", app, "www:instances=1")
    assert sorted(www_containers(app)) == ["www.0"]
    assert get(platform_app, "/instance").text == "www.0"


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("www:memory=512M", "memory is not emulated"),
        ("www:disk=2", 'Invalid action for "www": Action must be either "instances" or "memory"'),
        ("www=two", "Instance count must be a number"),
    ],
)
def test_scale_refusals_exit_2(
    platform_app: RunningApp, cli: Cli, argument: str, message: str
) -> None:
    result = cli.run("scale", platform_app.name, argument, check=False)

    assert result.returncode == 2
    assert message in result.stderr


def test_restart_of_one_instance_leaves_the_others_alone(
    platform_app: RunningApp, cli: Cli
) -> None:
    app = platform_app.name
    cli.run("scale", app, "www=2")
    client = docker.from_env()
    started = {
        name: client.containers.get(cid).attrs["State"]["StartedAt"]
        for name, cid in www_containers(app).items()
    }

    result = cli.run("restart", f"{app}.www.1")

    after = {
        name: client.containers.get(cid).attrs["State"]["StartedAt"]
        for name, cid in www_containers(app).items()
    }
    assert f"==> Service (www) instance #1 of application {app} has been restarted." in (
        result.stderr
    )
    assert after["www.0"] == started["www.0"]
    assert after["www.1"] != started["www.1"]
    assert get(platform_app, "/instance").status_code == 200
    cli.run("scale", app, "www=1")


def test_info_prints_a_table_of_services(platform_app: RunningApp, cli: Cli) -> None:
    text = cli.run("info", platform_app.name).stdout
    rows = json.loads(cli.run("info", platform_app.name, "--json").stdout)

    assert text.splitlines()[0] == f"=== {platform_app.name}"
    assert "| name    | type   | instances | state   |" in text
    assert "| www     | python | 1         | running |" in text
    assert {row["name"]: row["instances"] for row in rows} == {"www": 1, "session": 1}

"""The nodejs type runs for real: examples/nodejs-redis (Express 3 with connect-redis sessions,
on Node 0.8) served through the gateway by two instances, pushed under load, healed after a kill;
and a program that dies fails `up` with its own words.

One application (one image build) for the module's tests, which run in the order written: the
push test changes the code the later tests see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .conftest import (
    ROOT,
    Cli,
    RunningApp,
    free_port,
    remove_app_leftovers,
    running_app,
    unique_app,
)
from .webapps import (
    answers_until,
    copy_with_two_instances,
    kill_www1_under_load,
    page,
    push_under_load,
)

EXAMPLE = ROOT / "examples" / "nodejs-redis"
GREETING = re.compile(r"<h1>(Hello(?: again)? from (www\.\d))</h1>")
VIEWS = re.compile(r'<span id="views">(\d+)</span>')


@pytest.fixture(scope="module")
def node_app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    """The example with two web instances."""
    appdir = copy_with_two_instances(
        EXAMPLE,
        tmp_path_factory.mktemp("nodejs") / "nodejs-redis",
        "nodejs",
        ignore=(".dotcloud", "node_modules"),
    )
    with running_app(cli, "node", appdir, cleanup_apps) as app:
        yield app


def answered_by(text: str) -> str:
    found = GREETING.search(text)
    assert found, text
    return found.group(1)


def test_the_page_is_served_by_node_0_8_through_the_gateway(node_app: RunningApp) -> None:
    text = page(node_app)
    assert '<span id="node">v0.8.28</span>' in text
    assert "Express 3.0.3" in text
    assert answers_until(node_app, answered_by, {"Hello from www.0", "Hello from www.1"}) == {
        "Hello from www.0",
        "Hello from www.1",
    }


def test_the_session_counter_lives_in_redis(node_app: RunningApp) -> None:
    session = requests.Session()
    views = []
    instances = set()
    for _ in range(6):
        text = page(node_app, session)
        found = VIEWS.search(text)
        assert found, text
        views.append(int(found.group(1)))
        instances.add(answered_by(text))
    assert views == [1, 2, 3, 4, 5, 6]
    print(f"session counter: served by {sorted(instances)}")
    assert '<span id="views">1</span>' in page(node_app)  # a new client starts at 1


def test_run_shows_the_programs_and_the_environment(cli: Cli, node_app: RunningApp) -> None:
    status = cli.run("run", f"{node_app.name}.www.0", "--", "supervisorctl", "status").stdout
    assert re.search(r"^node +RUNNING +pid \d+, uptime", status, re.MULTILINE), status
    shell = cli.run(
        "run", f"{node_app.name}.www.1", "--", "echo $PORT_WWW $PORT_HTTP $(id -un) $(node -v)"
    ).stdout
    assert shell.split() == ["8080", "8080", "dotcloud", "v0.8.28"]


def test_a_push_with_two_instances_drops_no_request(cli: Cli, node_app: RunningApp) -> None:
    server = node_app.appdir / "www" / "server.js"
    source = server.read_text(encoding="utf-8")
    assert "'<h1>Hello from '" in source, "the example's greeting changed: update this test"
    server.write_text(source.replace("'<h1>Hello from '", "'<h1>Hello again from '"))
    client, pushed, _ = push_under_load(cli, node_app)
    print(f"nodejs push, 2 instances: {client.sent} requests, {len(client.failures)} failed")
    assert client.failures == [], client.failures[:10]
    assert client.sent > 0
    assert "[www.1] Re-routing traffic to the new build..." in pushed
    seen = answers_until(
        node_app, answered_by, {"Hello again from www.0", "Hello again from www.1"}
    )
    assert not {"Hello from www.0", "Hello from www.1"} & seen


def test_a_killed_instance_comes_back_and_loses_no_request(node_app: RunningApp) -> None:
    client, back_after = kill_www1_under_load(node_app, GREETING)
    print(
        f"nodejs www.1 killed under load: back after {back_after:.1f}s; "
        f"{client.sent} requests, {len(client.failures)} failed"
    )
    assert client.failures == [], client.failures[:10]


def test_a_program_that_dies_fails_up_with_its_last_lines(cli: Cli, tmp_path: Path) -> None:
    appdir = tmp_path / "nodecrash"
    (appdir / "www").mkdir(parents=True)
    (appdir / "dotcloud.yml").write_text(
        "www:\n  type: nodejs\n  approot: www\n  config:\n    node_version: v0.10.x\n"
    )
    (appdir / "www" / "supervisord.conf").write_text(
        "[program:node]\ncommand = node server.js\ndirectory = /home/dotcloud/current\n"
    )
    (appdir / "www" / "server.js").write_text(
        "console.error('cannot open the settings of ' + process.version);\nprocess.exit(3);\n"
    )
    name = unique_app("nodecrash")
    try:
        failed = cli.run(
            "up", str(appdir), "-A", name, "--port", str(free_port()), check=False, timeout=600
        )
        assert failed.returncode != 0, failed.stdout
        assert "www.0" in failed.stderr, failed.stderr
        assert "Supervisor gave up: node" in failed.stderr, failed.stderr
        assert "cannot open the settings of v0.10.48" in failed.stderr, failed.stderr
    finally:
        cli.run("destroy", name, "-y", check=False)
        remove_app_leftovers(name)

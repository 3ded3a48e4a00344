"""The rabbitmq service type: Debian's RabbitMQ, reached over AMQP by the clients of 2012 (pika
0.9.8 on Python 2.7 and node-amqp 0.1.3 on Node 0.8, in tests/fixtures/apps/py2-rabbitmq,
configured only from environment.json) and through its management API from this machine, at the
URL `info` prints.

One application for the module; a durable queue's messages must survive `down`/`up` and a
`docker kill`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import docker
import pytest
import requests

from .conftest import ROOT, Cli, RunningApp, poll, running_app
from .test_self_healing import container

FIXTURE = ROOT / "tests" / "fixtures" / "apps" / "py2-rabbitmq"
BACK_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir = tmp_path_factory.mktemp("rabbitmq") / "py2-rabbitmq"
    shutil.copytree(FIXTURE, appdir, ignore=shutil.ignore_patterns("__pycache__"))
    with running_app(cli, "rabbit", appdir, cleanup_apps) as running:
        yield running


def get(app: RunningApp, path: str, service: str = "web") -> str:
    response = requests.get(f"{app.base}{path}", headers={"Host": app.host(service)}, timeout=30)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
    return response.text


def info_ports(cli: Cli, app: RunningApp) -> dict[str, str]:
    info = json.loads(cli.run("info", f"{app.name}.mq", "--json").stdout)
    return {port["name"]: port["url"] for port in info["ports"]}


def environment(cli: Cli, app: RunningApp) -> dict[str, str]:
    shown = cli.run("env", "show", f"{app.name}.web", "--json", "-d", str(app.appdir)).stdout
    env: dict[str, str] = json.loads(shown)
    return env


def management(cli: Cli, app: RunningApp, path: str) -> Any:
    """GET on the management API with the credentials in the URL `info` prints."""
    url = urllib.parse.urlsplit(info_ports(cli, app)["http"])
    base = f"http://{url.hostname}:{url.port}"
    response = requests.get(f"{base}{path}", auth=(url.username, url.password), timeout=10)
    response.raise_for_status()
    return response.json()


def test_the_environment_has_the_amqp_and_http_variables(cli: Cli, app: RunningApp) -> None:
    env = environment(cli, app)
    password = env["DOTCLOUD_MQ_AMQP_PASSWORD"]
    assert len(password) >= 22
    assert env["DOTCLOUD_MQ_AMQP_LOGIN"] == env["DOTCLOUD_MQ_HTTP_LOGIN"] == "root"
    assert (env["DOTCLOUD_MQ_AMQP_HOST"], env["DOTCLOUD_MQ_AMQP_PORT"]) == ("mq", "5672")
    assert (env["DOTCLOUD_MQ_HTTP_HOST"], env["DOTCLOUD_MQ_HTTP_PORT"]) == ("mq", "15672")
    assert env["DOTCLOUD_MQ_AMQP_URL"] == f"amqp://root:{password}@mq:5672"
    assert env["DOTCLOUD_MQ_HTTP_URL"] == f"http://root:{password}@mq:15672"
    ports = info_ports(cli, app)
    assert sorted(ports) == ["amqp", "http"]
    assert ports["amqp"].startswith(f"amqp://root:{password}@127.0.0.1:")
    assert ports["http"].startswith(f"http://root:{password}@127.0.0.1:")


def test_a_2012_client_publishes_and_consumes(app: RunningApp) -> None:
    assert get(app, "/") == "pika 0.9.8, Python 2.7.18\n"
    assert get(app, "/publish/jobs/first") == "confirmed first\n"
    assert get(app, "/publish/jobs/second") == "confirmed second\n"
    assert get(app, "/count/jobs") == "2\n"
    assert get(app, "/get/jobs") == "first\n"
    assert get(app, "/get/jobs") == "second\n"
    assert get(app, "/get/jobs") == "empty\n"


def test_the_2012_node_client_consumes_what_python_published(app: RunningApp) -> None:
    assert get(app, "/", "node") == "amqp 0.1.3, node v0.8.28\n"
    assert get(app, "/publish/fornode/hello") == "confirmed hello\n"
    assert get(app, "/get/fornode", "node") == "hello\n"
    assert get(app, "/count/fornode") == "0\n"


def test_a_wrong_password_is_refused(cli: Cli, app: RunningApp) -> None:
    assert get(app, "/badauth").startswith("refused: ")
    base = info_ports(cli, app)["http"].split("@")[1]
    guest = requests.get(f"http://{base}/api/whoami", auth=("guest", "guest"), timeout=10)
    assert guest.status_code == 401


def test_only_the_service_login_exists(cli: Cli, app: RunningApp) -> None:
    assert management(cli, app, "/api/whoami")["name"] == "root"
    users = management(cli, app, "/api/users")
    assert [user["name"] for user in users] == ["root"]  # no guest
    assert [vhost["name"] for vhost in management(cli, app, "/api/vhosts")] == ["/"]


def test_ports_are_published_on_loopback_only(app: RunningApp) -> None:
    bindings = container(app.name, "mq").attrs["NetworkSettings"]["Ports"]
    assert sorted(bindings) == ["15672/tcp", "5672/tcp"]
    hosts = {binding["HostIp"] for found in bindings.values() for binding in found}
    assert hosts == {"127.0.0.1"}


def test_the_server_runs_as_dotcloud_with_its_own_cookie(app: RunningApp) -> None:
    mq = container(app.name, "mq")
    listed = mq.exec_run(["ps", "-eo", "user=,comm="]).output.decode().split("\n")
    users = {line.split()[0] for line in listed if line.strip().endswith("beam.smp")}
    assert users == {"dotcloud"}
    found = mq.exec_run(["stat", "-c", "%U %a %s", "/home/dotcloud/.erlang.cookie"])
    assert found.output.decode().split() == ["dotcloud", "400", "48"]
    # The image carries no cookie: Debian's is removed when the package is installed.
    checked = mq.exec_run(["ls", "-A", "/var/lib/rabbitmq"])
    assert ".erlang.cookie" not in checked.output.decode()


def test_no_secret_in_the_image_or_the_logs(cli: Cli, app: RunningApp) -> None:
    password = environment(cli, app)["DOTCLOUD_MQ_AMQP_PASSWORD"]
    mq = container(app.name, "mq")
    history = docker.from_env().api.history(mq.image.id)
    assert password not in json.dumps(history)
    logs = cli.run("logs", f"{app.name}.mq").stdout
    assert "Server startup complete" in logs
    assert password not in logs
    assert password not in json.dumps(mq.attrs["Config"])


def test_run_opens_rabbitmqctl(cli: Cli, app: RunningApp) -> None:
    get(app, "/publish/listed/one")
    printed = cli.run("run", f"{app.name}.mq", "--", "rabbitmqctl -q list_queues name messages")
    rows = [line.split() for line in printed.stdout.splitlines()]
    assert ["listed", "1"] in rows
    assert get(app, "/get/listed") == "one\n"


def test_a_durable_queue_survives_down_and_up(cli: Cli, app: RunningApp) -> None:
    assert get(app, "/publish/durable/kept") == "confirmed kept\n"
    cli.run("down", app.name)
    cli.run("up", str(app.appdir), "-A", app.name, "--port", str(app.port))
    assert get(app, "/count/durable") == "1\n"
    assert get(app, "/get/durable") == "kept\n"


def answers(cli: Cli, app: RunningApp) -> bool:
    """Whether the management API answers again (while the server is down, `info` shows no port)."""
    try:
        return bool(management(cli, app, "/api/overview")["node"])
    except (KeyError, requests.RequestException):
        return False


def _count_or_none(app: RunningApp, seen: list[str]) -> str | None:
    """The count of the "killed" queue, or None (what was answered instead is kept in `seen`)."""
    try:
        counted = get(app, "/count/killed")
    except (AssertionError, requests.RequestException) as error:
        seen[:] = [str(error)[:300]]
        return None
    seen[:] = [counted]
    return counted


def test_the_service_comes_back_after_docker_kill(cli: Cli, app: RunningApp) -> None:
    assert get(app, "/publish/killed/confirmed-before") == "confirmed confirmed-before\n"
    mq = container(app.name, "mq")
    subprocess.run(["docker", "kill", mq.name], check=True, capture_output=True)
    killed = time.monotonic()
    poll(lambda: answers(cli, app), timeout=BACK_TIMEOUT, what="mq.0 back after docker kill")
    print(f"mq.0 answered again {time.monotonic() - killed:.1f}s after docker kill")
    seen: list[str] = []
    try:
        poll(lambda: _count_or_none(app, seen) == "1\n", timeout=BACK_TIMEOUT, what="the count")
    except AssertionError as error:
        raise AssertionError(f"{error}; last answer: {seen}") from None
    assert get(app, "/get/killed") == "confirmed-before\n"

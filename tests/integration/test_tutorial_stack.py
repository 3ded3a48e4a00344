"""The sample application, run for real: gateway, nginx, uWSGI, CherryPy, Redis."""

from __future__ import annotations

import contextlib
import io
import ipaddress
import subprocess

import docker
import pytest
import requests
import yaml

from dotcloud_emulator.platform import naming
from dotcloud_emulator.render import layout

from .conftest import Cli, RunningApp


def hits(session: requests.Session, app: RunningApp) -> int:
    response = session.get(f"{app.base}/hits", timeout=10)
    assert response.status_code == 200, response.text
    return int(response.text)


def test_page_is_served_through_the_gateway(tutorial: RunningApp) -> None:
    plain = requests.get(f"{tutorial.base}/", timeout=10)
    by_name = requests.get(f"{tutorial.base}/", headers={"Host": tutorial.host("www")}, timeout=10)

    assert plain.status_code == 200
    assert by_name.status_code == 200
    assert 'id="generate"' in plain.text


def test_static_files_are_served_by_nginx_not_the_app(tutorial: RunningApp) -> None:
    response = requests.get(f"{tutorial.base}/static/style.css", timeout=10)

    assert response.status_code == 200
    assert response.headers.get("X-Served-By") == "nginx-static"
    assert "text/css" in response.headers["Content-Type"]


def test_gateway_forwards_client_headers(tutorial: RunningApp, cli: Cli) -> None:
    response = requests.get(f"{tutorial.base}/headers", timeout=10)

    assert response.status_code == 200
    forwarded = response.json()
    assert forwarded["X-Forwarded-Proto"] == "http"
    assert forwarded["X-Forwarded-Port"] == str(tutorial.port)
    # One hop: the client as the gateway saw it (Docker's port proxy on this machine).
    (client,) = forwarded["X-Forwarded-For"].split(",")
    assert ipaddress.ip_address(client.strip())
    assert forwarded["X-Real-Ip"] == client.strip()


def test_hits_count_in_redis_across_restart_and_down_up(tutorial: RunningApp, cli: Cli) -> None:
    session = requests.Session()
    assert [hits(session, tutorial) for _ in range(3)] == [1, 2, 3]
    assert hits(requests.Session(), tutorial) == 1

    cli.run("restart", f"{tutorial.name}.www")
    assert hits(session, tutorial) == 4

    cli.run("down", tutorial.name)
    cli.run("up", str(tutorial.appdir), "-A", tutorial.name, "--port", str(tutorial.port))
    assert hits(session, tutorial) == 5


def test_info_session_prints_the_platform_yaml(tutorial: RunningApp, cli: Cli) -> None:
    import redis

    info = yaml.safe_load(cli.run("info", f"{tutorial.name}.session").stdout)

    assert info["type"] == "redis"
    assert info["state"] == "running"
    assert isinstance(info["created_at"], float)
    assert {"cluster", "config", "created_at", "ports", "state", "type", "instances"} <= set(info)
    password = info["config"]["redis_password"]
    assert len(password) >= 22
    (url,) = [port["url"] for port in info["ports"] if port["name"] == "redis"]
    assert url.startswith(f"redis://root:{password}@127.0.0.1:")

    client = redis.Redis.from_url(url, socket_timeout=5)
    assert client.ping() is True
    assert client.config_get("hz") == {"hz": "2"}  # the generated configuration is the one in use
    host_port = int(url.rsplit(":", 1)[1])
    anonymous = redis.Redis(host="127.0.0.1", port=host_port, socket_timeout=5)
    with pytest.raises(redis.exceptions.AuthenticationError):
        anonymous.ping()


def test_data_port_is_published_on_loopback_only(tutorial: RunningApp) -> None:
    import docker

    from dotcloud_emulator.platform.naming import LABEL_APP, LABEL_SERVICE

    client = docker.from_env()
    (container,) = client.containers.list(
        filters={"label": [f"{LABEL_APP}={tutorial.name}", f"{LABEL_SERVICE}=session"]}
    )
    bindings = container.attrs["NetworkSettings"]["Ports"]["6379/tcp"]
    assert bindings
    assert {binding["HostIp"] for binding in bindings} == {"127.0.0.1"}


def test_run_sees_the_environment_and_processes_are_not_root(
    tutorial: RunningApp, cli: Cli
) -> None:
    import docker

    from dotcloud_emulator.platform.naming import LABEL_APP, LABEL_SERVICE

    shown = cli.run("run", f"{tutorial.name}.www", "--", "cat", "/home/dotcloud/environment.json")
    environment = yaml.safe_load(shown.stdout)
    for field in ("HOST", "PORT", "LOGIN", "PASSWORD", "URL"):
        assert f"DOTCLOUD_SESSION_REDIS_{field}" in environment
    assert cli.run("run", f"{tutorial.name}.www", "--", "whoami").stdout.strip() == "dotcloud"

    client = docker.from_env()
    (container,) = client.containers.list(
        filters={"label": [f"{LABEL_APP}={tutorial.name}", f"{LABEL_SERVICE}=www"]}
    )
    processes = container.top(ps_args="-eo pid,uid,comm")["Processes"]
    servers = [(uid, command) for _, uid, command in processes if command in {"nginx", "uwsgi"}]
    assert {command for _, command in servers} == {"nginx", "uwsgi"}
    assert all(uid != "0" for uid, _ in servers), servers


def test_maintenance_file_makes_nginx_answer_503(tutorial: RunningApp, cli: Cli) -> None:
    target = f"{tutorial.name}.www"
    cli.run("run", target, "--", "touch", "/home/dotcloud/current/maintenance")
    try:
        assert requests.get(f"{tutorial.base}/", timeout=10).status_code == 503
    finally:
        cli.run("run", target, "--", "rm", "-f", "/home/dotcloud/current/maintenance")
    assert requests.get(f"{tutorial.base}/", timeout=10).status_code == 200


def test_postinstall_ran_before_the_app_started(tutorial: RunningApp) -> None:
    response = requests.get(f"{tutorial.base}/postinstall", timeout=10)

    assert response.status_code == 200
    assert "ran-before-start: yes" in response.text


def test_up_replaces_a_gateway_made_from_another_image(tutorial: RunningApp, cli: Cli) -> None:
    """A gateway left from an older emulator (another image) is replaced by the next `up`."""
    client = docker.from_env()
    tag = naming.image(tutorial.name, layout.GATEWAY_IMAGE)
    current = client.images.get(tag).id
    recipe = f"FROM {current}\nLABEL {naming.LABEL_APP}={tutorial.name}\n"
    older, _ = client.images.build(fileobj=io.BytesIO(recipe.encode()), tag=tag, rm=True)
    assert older.id != current

    def recreate_gateway() -> None:
        subprocess.run(
            ["docker", "compose", "-p", naming.compose_project(tutorial.name), "up", "--detach",
             "--no-deps", "--no-build", "--force-recreate", naming.GATEWAY_SERVICE],
            cwd=tutorial.appdir, env={**cli.env(), "DOTCLOUD_GATEWAY_PORT": str(tutorial.port)},
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def gateway_image() -> str:
        found = client.containers.list(
            filters={"label": [f"{naming.LABEL_APP}={tutorial.name}",
                               f"{naming.LABEL_ROLE}={naming.ROLE_GATEWAY}"]}
        )  # fmt: skip
        return str(found[0].image.id) if len(found) == 1 else ""

    try:
        recreate_gateway()  # the gateway now runs the older image
        assert gateway_image() == older.id

        cli.run("up", str(tutorial.appdir), "-A", tutorial.name, "--port", str(tutorial.port))

        assert gateway_image() == current
        assert client.images.get(tag).id == current
        response = requests.get(tutorial.base + "/", timeout=10)
        assert response.status_code == 200
    finally:
        if client.images.get(tag).id != current:
            client.images.get(current).tag(tag)
        if gateway_image() == older.id:
            recreate_gateway()  # the other tests' gateway, and the older image free to go
        with contextlib.suppress(docker.errors.APIError):
            client.images.remove(older.id, force=True)

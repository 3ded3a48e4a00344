"""What `up` refuses to do, what `down` keeps (the data), what `destroy` leaves: nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docker
import yaml

from dotcloud_emulator.platform.naming import LABEL_APP

from .conftest import Cli, free_port, remove_app_leftovers, unique_app


def labelled(app: str) -> dict[str, list[str]]:
    client = docker.from_env()
    selector = {"label": f"{LABEL_APP}={app}"}
    return {
        "containers": [c.name for c in client.containers.list(all=True, filters=selector)],
        "volumes": [v.name for v in client.volumes.list(filters=selector)],
        "networks": [n.name for n in client.networks.list(filters=selector)],
        "images": [str(i.tags) for i in client.images.list(filters=selector)],
    }


def image_count() -> int:
    return len(docker.from_env().images.list(all=True))


def test_broken_buildfile_creates_nothing(cli: Cli, tmp_path: Path) -> None:
    app = unique_app("broken")
    (tmp_path / "dotcloud.yml").write_text("www:\n  type: pyhton\n  instances: yes\n")
    images_before = image_count()

    result = cli.run("up", str(tmp_path), "-A", app, "--port", str(free_port()), check=False)

    assert result.returncode == 2
    assert "did you mean 'python'?" in result.stderr
    assert "Traceback" not in result.stderr
    assert labelled(app) == {"containers": [], "volumes": [], "networks": [], "images": []}
    assert image_count() == images_before


def test_taken_port_is_a_clear_error_and_starts_nothing(cli: Cli, tmp_path: Path) -> None:
    import socket

    app = unique_app("taken")
    (tmp_path / "dotcloud.yml").write_text("cache:\n  type: redis\nweb:\n  type: static\n")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = cli.run("up", str(tmp_path), "-A", app, "--port", str(port), check=False)

    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert labelled(app)["containers"] == []


def redis_info(cli: Cli, app: str) -> tuple[str, Any]:
    """The cache service's password and a client for its published port (new after each `up`)."""
    import redis

    info = yaml.safe_load(cli.run("info", f"{app}.cache").stdout)
    (url,) = [port["url"] for port in info["ports"] if port["name"] == "redis"]
    return info["config"]["redis_password"], redis.Redis.from_url(url, socket_timeout=5)


def test_down_keeps_the_data_and_the_password(cli: Cli, tmp_path: Path) -> None:
    app = unique_app("kept")
    (tmp_path / "dotcloud.yml").write_text("cache:\n  type: redis\n")
    up = ("up", str(tmp_path), "-A", app, "--port", str(free_port()))
    try:
        cli.run(*up)
        password, cache = redis_info(cli, app)
        cache.set("kept", "yes")
        volumes = labelled(app)["volumes"]
        assert volumes, "the redis data volume is missing"

        cli.run("down", app)

        assert labelled(app)["containers"] == []
        assert labelled(app)["volumes"] == volumes
        cli.run(*up)
        password_after, cache = redis_info(cli, app)
        assert password_after == password
        assert cache.get("kept") == b"yes"
    finally:
        cli.run("destroy", app, "-y", check=False)
        remove_app_leftovers(app)


def test_destroy_leaves_nothing_behind(cli: Cli, tmp_path: Path) -> None:
    app = unique_app("gone")
    (tmp_path / "dotcloud.yml").write_text("cache:\n  type: redis\n")
    try:
        cli.run("up", str(tmp_path), "-A", app, "--port", str(free_port()))
        assert labelled(app)["containers"], "up started nothing"
        assert labelled(app)["volumes"], "the redis data volume is missing"

        cli.run("destroy", app, "-y")

        assert labelled(app) == {"containers": [], "volumes": [], "networks": [], "images": []}
        assert not (cli.state_home / "apps" / app).exists()
    finally:
        remove_app_leftovers(app)


def test_a_failing_postinstall_names_the_instance_and_starts_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    app = unique_app("failing")
    (tmp_path / "dotcloud.yml").write_text(
        "www:\n  type: python\n  postinstall: echo preparing; exit 3\n"
    )
    (tmp_path / "wsgi.py").write_text(
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'never served']\n"
    )
    try:
        result = cli.run("up", str(tmp_path), "-A", app, "--port", str(free_port()), check=False)

        assert result.returncode == 1, result.stderr
        assert "www.0" in result.stderr
        assert "postinstall failed with exit status 3" in result.stderr
        assert "Traceback" not in result.stderr
        running = docker.from_env().containers.list(filters={"label": f"{LABEL_APP}={app}"})
        assert running == []
    finally:
        cli.run("destroy", app, "-y", check=False)
        remove_app_leftovers(app)


def test_an_app_that_cannot_load_is_reported_with_its_traceback(cli: Cli, tmp_path: Path) -> None:
    app = unique_app("noload")
    # No python_version: Python 2.7, the platform's default.
    (tmp_path / "dotcloud.yml").write_text("www:\n  type: python\n")
    (tmp_path / "wsgi.py").write_text("import a_module_nobody_installed\n")
    try:
        result = cli.run("up", str(tmp_path), "-A", app, "--port", str(free_port()), check=False)

        assert result.returncode == 1, result.stderr
        assert "www.0 did not become responsive" in result.stderr
        assert "Supervisor gave up: uwsgi " in result.stderr  # FATAL, or crashing again and again
        # The application's own traceback, however many shutdown lines came after it.
        assert "ImportError: No module named a_module_nobody_installed" in result.stderr
        running = docker.from_env().containers.list(filters={"label": f"{LABEL_APP}={app}"})
        assert running == []
    finally:
        cli.run("destroy", app, "-y", check=False)
        remove_app_leftovers(app)

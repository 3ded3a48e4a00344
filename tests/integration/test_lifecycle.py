"""What `up` refuses to do, and what `destroy` leaves behind: nothing."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

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


@pytest.mark.parametrize("keep_data", [False])
def test_destroy_leaves_nothing_behind(cli: Cli, tmp_path: Path, keep_data: bool) -> None:
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
    (tmp_path / "dotcloud.yml").write_text("www:\n  type: python\n")
    (tmp_path / "wsgi.py").write_text("import a_module_nobody_installed\n")
    try:
        result = cli.run("up", str(tmp_path), "-A", app, "--port", str(free_port()), check=False)

        assert result.returncode == 1, result.stderr
        assert "www.0 did not become responsive" in result.stderr
        assert "Supervisor gave up: uwsgi FATAL" in result.stderr
        assert "No module named 'a_module_nobody_installed'" in result.stderr
        running = docker.from_env().containers.list(filters={"label": f"{LABEL_APP}={app}"})
        assert running == []
    finally:
        cli.run("destroy", app, "-y", check=False)
        remove_app_leftovers(app)

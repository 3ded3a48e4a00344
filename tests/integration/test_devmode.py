"""Development mode (`up --dev`) against a real engine: a copy of the sample runs from its tree.

One `up --dev` process runs in the background for the module (terminated in teardown, the
application destroyed); the tests edit the copy's files and poll the page and the process's
terminal output.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from dotcloud_emulator.platform import naming

from .conftest import (
    CLI,
    Cli,
    copy_sample,
    free_port,
    poll,
    remove_app_leftovers,
    unique_app,
)

TITLE = "dotCloud tutorial: CherryPy on uWSGI"
SERVE_TIMEOUT = 20.0  # far above the second a save takes to be served, below a build
BUILD_TIMEOUT = 600.0
NEW_PACKAGE = "six==1.17.0"


@dataclass
class DevSession:
    app: str
    port: int
    appdir: Path
    process: subprocess.Popen[str]
    terminal: Path  # the process's stderr

    @property
    def wsgi(self) -> Path:
        return self.appdir / "services" / "www" / "wsgi.py"

    def output(self) -> str:
        return self.terminal.read_text(encoding="utf-8", errors="replace")

    def page(self) -> requests.Response:
        return requests.get(
            f"http://127.0.0.1:{self.port}/",
            headers={"Host": f"www.{self.app}.localhost"},
            timeout=10,
        )

    def serves(self, text: str, status: int = 200) -> bool:
        with contextlib.suppress(requests.RequestException):
            response = self.page()
            return response.status_code == status and text in response.text
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def dev(cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevSession]:
    app, port = unique_app("dev"), free_port()
    appdir = copy_sample(tmp_path_factory.mktemp("devapp"))
    terminal = appdir.parent / "dev-terminal.txt"
    with terminal.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [*CLI, "up", str(appdir), "-A", app, "--port", str(port), "--dev"],
            env=cli.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    session = DevSession(app, port, appdir, process, terminal)
    try:
        poll(
            lambda: "Development mode: watching" in session.output() or process.poll() is not None,
            timeout=BUILD_TIMEOUT,
            what="up --dev to start watching",
        )
        assert process.poll() is None, session.output()
        yield session
    finally:
        session.stop()
        cli.run("destroy", app, "-y", check=False)
        remove_app_leftovers(app)


def image_id(app: str) -> str:
    import docker

    return str(docker.from_env().images.get(naming.image(app, "www")).id)


def www_container(app: str) -> object:
    import docker

    selector = {"label": [f"{naming.LABEL_APP}={app}", f"{naming.LABEL_SERVICE}=www"]}
    (container,) = docker.from_env().containers.list(filters=selector)
    return container


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_edit_to_wsgi_py_is_served_without_a_build(dev: DevSession) -> None:
    image, container = image_id(dev.app), www_container(dev.app)
    assert dev.serves(TITLE)
    edit(dev.wsgi, TITLE, "Edited in development mode")
    poll(lambda: dev.serves("Edited in development mode"), SERVE_TIMEOUT, "the edited page")
    assert image_id(dev.app) == image  # no build
    assert www_container(dev.app).id == container.id  # type: ignore[attr-defined]
    assert "reloaded in" in dev.output()


def test_a_syntax_error_is_shown_and_fixing_it_recovers(dev: DevSession) -> None:
    good = dev.wsgi.read_text(encoding="utf-8")
    dev.wsgi.write_text(good + "\ndef broken(:\n", encoding="utf-8")
    poll(lambda: dev.serves("SyntaxError", status=500), SERVE_TIMEOUT, "the error page")
    poll(
        lambda: "wsgi.py failed to load: SyntaxError" in dev.output(),
        SERVE_TIMEOUT,
        "the error in the terminal",
    )
    assert "wsgi.py, line" in dev.page().text
    assert dev.process.poll() is None
    dev.wsgi.write_text(good, encoding="utf-8")
    poll(lambda: dev.serves("Edited in development mode"), SERVE_TIMEOUT, "the page once fixed")


def test_a_package_added_to_requirements_txt_is_installed(dev: DevSession, cli: Cli) -> None:
    requirements = dev.appdir / "services" / "www" / "requirements.txt"
    requirements.write_text(
        requirements.read_text(encoding="utf-8") + f"{NEW_PACKAGE}\n", encoding="utf-8"
    )
    poll(lambda: "Redeployed in" in dev.output(), BUILD_TIMEOUT, "the redeploy")
    check = "/home/dotcloud/env/bin/python -c 'import six; print(six.__version__)'"
    result = cli.run("run", f"{dev.app}.www", "--", check)
    assert result.stdout.strip().endswith("1.17.0")
    assert dev.serves("Edited in development mode")  # still from the tree after the redeploy


def test_a_plain_up_leaves_development_mode(dev: DevSession, cli: Cli) -> None:
    dev.stop()
    assert dev.process.returncode == 0
    assert "Stopped watching" in dev.output()
    cli.run("up", str(dev.appdir), "-A", dev.app, "--port", str(dev.port))
    container = www_container(dev.app)
    labels = container.labels  # type: ignore[attr-defined]
    mounts = [m["Destination"] for m in container.attrs["Mounts"]]  # type: ignore[attr-defined]
    assert naming.LABEL_DEV not in labels
    assert "/home/dotcloud/code/services/www" not in mounts
    edit(dev.wsgi, "Edited in development mode", "Edited after development mode")
    shown = cli.run("run", f"{dev.app}.www", "--", "cat", "/home/dotcloud/current/wsgi.py")
    assert "Edited in development mode" in shown.stdout  # the image's copy, not the tree

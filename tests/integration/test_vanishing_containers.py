"""A container removed while `status`, `logs` or `restart` runs: one line, never a traceback.

The CLI runs in-process against the real engine, through a docker-py client whose container
collection removes the application's `www.0` container the first time something asks for it
outside a listing, that is between the moment the command found it and the moment it uses it.
Each test then brings the instance back with `up`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import docker
import pytest
from docker.models.containers import ContainerCollection

from dotcloud_emulator.cli import main as cli_main
from dotcloud_emulator.engine import client as engine_client
from dotcloud_emulator.platform.naming import LABEL_APP, LABEL_SERVICE

from .conftest import Cli, RunningApp, copy_sample, running_app


class VanishingContainers(ContainerCollection):
    """docker-py's container collection; `victim` is removed just before it is first used."""

    def __init__(self, client: Any, victim: str, *, during_listing: bool) -> None:
        super().__init__(client=client)
        self.victim = victim
        self.during_listing = during_listing
        self.listing = False
        self.removed = False

    def list(self, *args: Any, **kwargs: Any) -> Any:
        self.listing = True
        try:
            return super().list(*args, **kwargs)
        finally:
            self.listing = False

    def get(self, container_id: str) -> Any:
        due = self.listing == self.during_listing
        if due and not self.removed and container_id in (self.victim, self.victim[:12]):
            self.removed = True
            super().get(container_id).remove(force=True)
        return super().get(container_id)


class VanishingClient:
    """The real client, but with the vanishing container collection."""

    def __init__(self, real: Any, victim: str, *, during_listing: bool) -> None:
        self._real = real
        self.containers = VanishingContainers(real, victim, during_listing=during_listing)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture(scope="module")
def gone_app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir = copy_sample(tmp_path_factory.mktemp("gone"))
    with running_app(cli, "gone", appdir, cleanup_apps) as app:
        yield app


@pytest.fixture
def vanishing(
    gone_app: RunningApp, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, bool]]:
    """Route the in-process CLI to a client whose `www.0` vanishes; restore it afterwards.

    Set `during_listing` in the returned dict before running the command to remove the
    container while the listing inspects it rather than after.
    """
    real = docker.from_env()
    selector = {"label": [f"{LABEL_APP}={gone_app.name}", f"{LABEL_SERVICE}=www"]}
    (www,) = real.containers.list(filters=selector)
    options = {"during_listing": False}
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(cli.state_home))
    monkeypatch.setattr(
        engine_client,
        "docker_client",
        lambda: VanishingClient(real, www.id, during_listing=options["during_listing"]),
    )
    yield options
    cli.run("up", str(gone_app.appdir), "-A", gone_app.name, "--port", str(gone_app.port))


def run_in_process(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_logs_of_a_container_removed_meanwhile(
    gone_app: RunningApp, vanishing: dict[str, bool], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_in_process(capsys, "logs", f"{gone_app.name}.www")

    assert (code, out) == (1, "")
    assert err == "error: www.0: its container was removed while the command ran\n"


def test_restart_of_a_container_removed_meanwhile(
    gone_app: RunningApp, vanishing: dict[str, bool], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_in_process(capsys, "restart", f"{gone_app.name}.www", "-q")

    assert code == 1
    assert "Traceback" not in err
    last = err.splitlines()[-1]
    assert last.startswith("error: www.0: ")
    assert err.count("error: ") == 1


def test_status_while_the_listing_loses_a_container(
    gone_app: RunningApp, vanishing: dict[str, bool], capsys: pytest.CaptureFixture[str]
) -> None:
    vanishing["during_listing"] = True

    code, out, err = run_in_process(capsys, "status", gone_app.name)

    assert code == 0, err
    assert "Traceback" not in err
    assert out.splitlines() == ["www.0: down", "session.0: up"]

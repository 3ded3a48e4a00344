"""Unit tests never touch Docker nor the real state directory.

Every test gets a private DOTCLOUD_EMULATOR_HOME, and any attempt to reach the engine (docker-py or
the `docker` CLI through the engine's probes) fails loudly.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import docker
import docker.api.client
import docker.client
import pytest

from dotcloud_emulator.engine import client as engine_client

NO_DOCKER = "unit tests must not talk to Docker"


def _refuse(*args: object, **kwargs: object) -> NoReturn:
    raise docker.errors.DockerException(NO_DOCKER)


@pytest.fixture(autouse=True)
def no_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker, "from_env", _refuse)
    monkeypatch.setattr(docker.client, "from_env", _refuse)
    monkeypatch.setattr(docker.api.client.APIClient, "__init__", _refuse)
    monkeypatch.setattr(engine_client, "_docker_subcommand_works", _refuse)
    engine_client.compose_available.cache_clear()
    engine_client.buildkit_available.cache_clear()


@pytest.fixture(autouse=True)
def private_state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dotcloud-emulator-home"
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(home))
    return home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state home not created yet: a refused command must leave it so."""
    state_home = tmp_path / "home"
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(state_home))
    return state_home


@pytest.fixture
def appdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty application folder, the current directory."""
    app = tmp_path / "app"
    app.mkdir()
    monkeypatch.chdir(app)
    return app

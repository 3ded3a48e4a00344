"""Reaching the engine, and finding an application's build file from its name."""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from dotcloud_emulator.buildfile.loader import has_buildfile, load_application
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.engine import client as engine_client
from dotcloud_emulator.engine import inventory
from dotcloud_emulator.errors import NoSuchApplication, UserError
from dotcloud_emulator.platform.appname import discover_app_name
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import StateStore


def settings() -> Settings:
    return Settings.from_env()


def store() -> StateStore:
    return StateStore(settings().state_home)


def connect() -> Any:
    """docker-py's client, checked alive; a `UserError` saying how to get an engine otherwise."""
    return engine_client.docker_client()


def check_engine() -> None:
    """Fail now, before anything is announced, when no engine answers."""
    connect()


def connect_if_up() -> Any | None:
    """The client when an engine answers, else None: state changes then wait for the next `up`."""
    try:
        return connect()
    except UserError:
        return None


def docker_boundary(instance: str | None = None) -> AbstractContextManager[None]:
    """Docker's errors inside the block become one-line user errors (naming `instance`)."""
    return engine_client.docker_errors(instance)


def find_application(app: str, client: Any | None = None) -> Application | None:
    """The build file of `app`: where it was deployed from, where its containers were started
    from, or the current directory."""
    for directory in candidate_dirs(app, client):
        if has_buildfile(directory):
            with contextlib.suppress(UserError):
                return load_application(directory, app).application
    return None


def require_application(app: str, client: Any | None = None) -> Application:
    application = find_application(app, client)
    if application is None:
        raise NoSuchApplication(app)
    return application


def candidate_dirs(app: str, client: Any | None) -> list[Path]:
    dirs: list[Path] = []
    with contextlib.suppress(UserError):
        deployed_from = store().load(app).appdir
        if deployed_from:
            dirs.append(Path(deployed_from))
    if client is not None:
        for instance in inventory.instances(client, app, include_gateway=True):
            working_dir = instance.labels.get(inventory.COMPOSE_WORKING_DIR)
            if working_dir and Path(working_dir) not in dirs:
                dirs.append(Path(working_dir))
    cwd = Path.cwd()
    with contextlib.suppress(UserError):
        if discover_app_name(cwd) == app:
            dirs.append(cwd)
    return dirs

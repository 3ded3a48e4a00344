"""Reaching the Docker engine and the Compose v2 plugin, with errors a user can act on."""

from __future__ import annotations

import contextlib
import functools
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

from dotcloud_emulator.errors import ContainerGone, DockerRefused, UserError

INSTALL_HINT = "Start it, or run `make docker` to install and start one."


def docker_client() -> Any:
    """docker-py's client for the engine (`DOCKER_HOST` or the default socket), checked alive."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env()
        client.ping()
    except DockerException as exc:
        raise UserError(
            f"cannot reach the Docker engine ({_first_line(exc)}). {INSTALL_HINT}"
        ) from exc
    except OSError as exc:
        raise UserError(f"cannot reach the Docker engine ({exc}). {INSTALL_HINT}") from exc
    return client


@contextlib.contextmanager
def docker_errors(instance: str | None = None) -> Iterator[None]:
    """The one boundary where docker-py's errors become a one-line `UserError`.

    `instance` (`www.0`) names what the block works on, when it is one instance; the CLI wraps
    every command in this too, so an error nobody named still reads as one line.
    """
    try:
        yield
    except Exception as exc:
        translated = translate_docker_error(exc, instance)
        if translated is None:
            raise
        raise translated from exc


def translate_docker_error(exc: Exception, instance: str | None) -> UserError | None:
    """`NotFound` -> `ContainerGone`, `APIError` -> `DockerRefused`; None for anything else."""
    if not type(exc).__module__.startswith("docker."):
        return None  # docker-py is imported only when one of its errors is in hand
    from docker.errors import APIError, NotFound

    if isinstance(exc, NotFound) and (instance is not None or _about_a_container(exc)):
        return ContainerGone(instance)
    if isinstance(exc, APIError):
        return DockerRefused(instance, _explanation(exc))
    return None


def _about_a_container(exc: Exception) -> bool:
    return "container" in _explanation(exc).lower()


def _explanation(exc: Exception) -> str:
    explanation = getattr(exc, "explanation", None)
    return _first_line(Exception(explanation)) if explanation else _first_line(exc)


def check_compose_available() -> None:
    if not compose_available():
        raise UserError(
            "Docker Compose v2 is missing: `docker compose version` failed. "
            "Install the Compose plugin, or run `make docker`."
        )


@functools.cache
def compose_available() -> bool:
    return _docker_subcommand_works("compose", "version")


@functools.cache
def buildkit_available() -> bool:
    """BuildKit needs the buildx plugin next to Compose; without it the classic builder runs."""
    return _docker_subcommand_works("buildx", "version")


def _docker_subcommand_works(*argv: str) -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(
            ["docker", *argv], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]

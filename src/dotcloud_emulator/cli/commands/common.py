"""Helpers the Docker-backed commands share: targets, output, progress, finding the build file."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any, TypeAlias

from dotcloud_emulator.buildfile.loader import BUILDFILE_NAME, load_application
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.engine import inventory
from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.platform.appname import discover_app_name
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import StateStore

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
DETAIL_WIDTH = 70


def add_appdir_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "appdir",
        metavar="APPDIR",
        nargs="?",
        type=Path,
        default=Path("."),
        help="the directory holding dotcloud.yml (default: the current directory)",
    )
    parser.add_argument(
        "-A",
        "--application",
        metavar="NAME",
        help="the application's name (default: the connected name, else the directory's name)",
    )


def load_buildfile(appdir: Path, explicit_name: str | None, *, strict: bool = False) -> Application:
    """The application in APPDIR, its warnings printed; errors raise `BuildFileError`."""
    loaded = load_application(appdir, discover_app_name(appdir, explicit_name), strict=strict)
    for warning in loaded.warnings:
        print(warning.format(), file=sys.stderr)
    return loaded.application


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def settings() -> Settings:
    return Settings.from_env()


def print_json(data: object, stream: IO[str] | None = None) -> None:
    out = stream or sys.stdout
    out.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


def announce(message: str) -> None:
    """`==> message` on stderr, as the dotCloud CLI printed what it was doing."""
    print(f"==> {message}", file=sys.stderr)


def confirm(question: str, *, assume_yes: bool, what: str) -> bool:
    """Ask `question [y/N]`; without a terminal to ask on, refuse unless -y was given."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(
            f"refusing to {what} without confirmation: pass -y (no terminal to ask on)"
        )
    answer = input(f"{question} [y/N]: ").strip().lower()
    return answer in ("y", "yes")


def find_application(app: str, client: Any | None = None) -> Application | None:
    """The build file of `app`: where its containers were started from, or the current directory."""
    for directory in candidate_dirs(app, client):
        if (directory / BUILDFILE_NAME).is_file():
            with contextlib.suppress(UserError):
                return load_application(directory, app).application
    return None


def candidate_dirs(app: str, client: Any | None) -> list[Path]:
    dirs: list[Path] = []
    with contextlib.suppress(UserError):
        deployed_from = StateStore(settings().state_home).load(app).appdir
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


class ConsoleReporter:
    """Deploy progress on stderr: a rich spinner on a terminal, else plain lines, or nothing."""

    def __init__(self, *, quiet: bool = False, tty: bool | None = None) -> None:
        from rich.console import Console

        self.quiet = quiet
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.console = Console(stderr=True, highlight=False, markup=False)
        self._status: Any = None
        self._activity = ""

    def step(self, text: str) -> None:
        self._print(f"---> {text}")

    def event(self, source: str, text: str) -> None:
        self._print(f"[{source}] {text}")

    def detail(self, line: str) -> None:
        if self._status is not None and line.strip():
            self._status.update(f"{self._activity}: {shorten(line.strip(), DETAIL_WIDTH)}")

    def activity(self, text: str) -> AbstractContextManager[None]:
        return self._activity_context(text)

    @contextlib.contextmanager
    def _activity_context(self, text: str) -> Iterator[None]:
        if self.quiet:
            yield
            return
        if not self.tty:
            print(f"==> {text}", file=sys.stderr, flush=True)
            yield
            return
        self._activity = text
        with self.console.status(text) as status:
            self._status = status
            try:
                yield
            finally:
                self._status = None

    def _print(self, line: str) -> None:
        if self.quiet:
            return
        if self.tty:
            self.console.print(line)
        else:
            print(line, file=sys.stderr, flush=True)


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def apply_to_running(app: str, *, quiet: bool = False) -> bool:
    """Roll the running application onto its saved state (variables, scale): True when it ran.

    When Docker or the application is not running, the state waits for the next `up`.
    """
    from dotcloud_emulator.engine.client import check_compose_available, docker_client
    from dotcloud_emulator.engine.deploy import is_live, reconfigure

    try:
        client = docker_client()
    except UserError:
        return False
    if not is_live(client, app):
        return False
    application = find_application(app, client)
    if application is None:
        raise UserError(
            f'cannot find the dotcloud.yml of "{app}" to apply the change: '
            "run `up APPDIR` from its directory"
        )
    check_compose_available()
    config = settings()
    state = StateStore(config.state_home).prepare(application)
    reporter = ConsoleReporter(quiet=quiet)
    return reconfigure(application, state, config, client=client, reporter=reporter)


def announce_pending(app: str) -> None:
    announce(f"{app} is not running: the change applies at its next `up`")

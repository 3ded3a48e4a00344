"""What the commands share: argument helpers, output, confirmation, loading the build file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import IO, TypeAlias

from dotcloud_emulator.api.lifecycle import apply_to_running
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.cli.reporter import Console
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.appname import discover_app_name

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

__all__ = ["Console", "Subparsers"]


def add_appdir_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "appdir",
        metavar="APPDIR",
        nargs="?",
        type=Path,
        default=Path("."),
        help="the directory holding dotcloud.yml, or a Procfile (default: the current directory)",
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
    for warning in (*loaded.warnings, *loaded.notes):
        print(warning.format(), file=sys.stderr)
    return loaded.application


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def print_json(data: object, stream: IO[str] | None = None) -> None:
    out = stream or sys.stdout
    out.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


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


def apply_or_announce_pending(app: str, console: Console) -> None:
    """Roll the running application onto its saved state; else say when it applies."""
    if not apply_to_running(app, console):
        console.announce(f"{app} is not running: the change applies at its next `up`")

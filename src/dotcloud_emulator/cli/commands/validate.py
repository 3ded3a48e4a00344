"""`validate [APPDIR]`: check dotcloud.yml and report every problem with its position."""

from __future__ import annotations

import argparse
from pathlib import Path

from dotcloud_emulator.buildfile.loader import find_buildfile
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.cli.commands.common import add_appdir_arguments, load_buildfile
from dotcloud_emulator.errors import EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check dotcloud.yml and report every problem",
        description="Check an application's dotcloud.yml the way the platform did, and report "
        "every problem as PATH:LINE:COLUMN: error|warning: MESSAGE. Exit status 0 when it is "
        "valid (warnings allowed), 2 when it is not.",
    )
    add_appdir_arguments(parser)
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.set_defaults(handler=run_validate)


def run_validate(args: argparse.Namespace) -> int:
    appdir = Path(args.appdir)
    buildfile = find_buildfile(appdir)
    application = load_buildfile(appdir, args.application, strict=args.strict)
    print(f"{buildfile}: OK, {summary(application)}")
    return EXIT_OK


def summary(application: Application) -> str:
    count = len(application.services)
    listing = ", ".join(f"{service.name}: {service.type}" for service in application.services)
    plural = "" if count == 1 else "s"
    return f'application "{application.name}": {count} service{plural} ({listing})'

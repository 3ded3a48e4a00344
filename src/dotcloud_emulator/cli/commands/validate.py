"""`validate [APPDIR]`: check dotcloud.yml and report every problem with its position."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dotcloud_emulator.buildfile.diagnostics import BuildFileError
from dotcloud_emulator.buildfile.loader import find_buildfile, load_application
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.errors import EXIT_OK
from dotcloud_emulator.platform.appname import discover_app_name


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check dotcloud.yml and report every problem",
        description="Check an application's dotcloud.yml the way the platform did, and report "
        "every problem as PATH:LINE:COLUMN: error|warning: MESSAGE. Exit status 0 when it is "
        "valid (warnings allowed), 2 when it is not.",
    )
    parser.add_argument("appdir", nargs="?", default=".", help="application directory (default: .)")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument("-A", "--application", metavar="NAME", help="application name")
    parser.set_defaults(handler=run_validate)


def run_validate(args: argparse.Namespace) -> int:
    appdir = Path(args.appdir)
    buildfile = find_buildfile(appdir)
    name = discover_app_name(appdir, args.application)
    try:
        result = load_application(appdir, name, strict=args.strict)
    except BuildFileError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        return exc.exit_code
    for warning in result.warnings:
        print(warning.format(), file=sys.stderr)
    print(f"{buildfile}: OK, {summary(result.application)}")
    return EXIT_OK


def summary(application: Application) -> str:
    count = len(application.services)
    listing = ", ".join(f"{service.name}: {service.type}" for service in application.services)
    plural = "" if count == 1 else "s"
    return f'application "{application.name}": {count} service{plural} ({listing})'

"""`generate [APPDIR] [-o OUTDIR]`: write docker-compose.yml and the build contexts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dotcloud_emulator.buildfile.diagnostics import BuildFileError
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.errors import EXIT_OK
from dotcloud_emulator.platform.appname import discover_app_name
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import StateStore
from dotcloud_emulator.render.project import build_context_count, generate_project, read_ca_bundle


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write docker-compose.yml and the build contexts",
        description="Write OUTDIR/docker-compose.yml and OUTDIR/.dotcloud/ (one build context per "
        "service, plus the gateway's) from APPDIR's dotcloud.yml, and each instance's environment "
        "into the state directory. Nothing is built or started: `docker compose up` works on the "
        "result, or use `up`.",
    )
    parser.add_argument(
        "appdir",
        metavar="APPDIR",
        nargs="?",
        type=Path,
        default=Path("."),
        help="the directory holding dotcloud.yml (default: the current directory)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUTDIR",
        type=Path,
        help="where to write docker-compose.yml and .dotcloud/ (default: APPDIR)",
    )
    parser.add_argument(
        "-A",
        "--application",
        metavar="NAME",
        help="the application's name (default: the connected name, else the directory's name)",
    )
    parser.set_defaults(handler=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    appdir: Path = args.appdir
    outdir: Path = args.output if args.output is not None else appdir
    name = discover_app_name(appdir, args.application)
    try:
        loaded = load_application(appdir, name)
    except BuildFileError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        return exc.exit_code
    for warning in loaded.warnings:
        print(warning.format(), file=sys.stderr)
    settings = Settings.from_env()
    state = StateStore(settings.state_home).prepare(loaded.application)
    compose_file = generate_project(loaded.application, state, settings, outdir, read_ca_bundle())
    contexts = build_context_count(loaded.application)
    plural = "" if contexts == 1 else "s"
    print(f"wrote {compose_file} and {contexts} build context{plural}")
    return EXIT_OK

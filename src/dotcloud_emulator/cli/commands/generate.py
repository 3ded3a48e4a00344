"""`generate [APPDIR] [-o OUTDIR]`: write docker-compose.yml and the build contexts."""

from __future__ import annotations

import argparse
from pathlib import Path

from dotcloud_emulator.cli.commands.common import add_appdir_arguments, load_buildfile
from dotcloud_emulator.errors import EXIT_OK
from dotcloud_emulator.generate import check_output, generate_project, read_ca_bundle
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import StateStore
from dotcloud_emulator.render.project import build_context_count


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write docker-compose.yml and the build contexts",
        description="Write OUTDIR/docker-compose.yml and OUTDIR/.dotcloud/ (one build context per "
        "service, plus the gateway's) from APPDIR's dotcloud.yml, and each instance's environment "
        "into the state directory. Nothing is built or started: `docker compose up` works on the "
        "result, or use `up`.",
    )
    add_appdir_arguments(parser)
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUTDIR",
        type=Path,
        help="where to write docker-compose.yml and .dotcloud/ (default: APPDIR)",
    )
    parser.set_defaults(handler=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    appdir: Path = args.appdir
    outdir: Path = args.output if args.output is not None else appdir
    application = load_buildfile(appdir, args.application)
    settings = Settings.from_env()
    check_output(application, settings, outdir)  # before the state is written, too
    state = StateStore(settings.state_home).prepare(application)
    compose_file = generate_project(application, state, settings, outdir, read_ca_bundle())
    contexts = build_context_count(application)
    plural = "" if contexts == 1 else "s"
    print(f"wrote {compose_file} and {contexts} build context{plural}")
    return EXIT_OK

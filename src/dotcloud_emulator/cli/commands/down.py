"""`down`: stop an application, keeping its data (volumes), images and state."""

from __future__ import annotations

import argparse

from dotcloud_emulator.api import lifecycle
from dotcloud_emulator.api.connect import check_engine
from dotcloud_emulator.cli.commands.common import Console, Subparsers
from dotcloud_emulator.platform.target import parse_target


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "down",
        help="stop an application, keeping its data",
        description="Stop and remove the application's containers and network. Data volumes, "
        "images and state (passwords, variables) are kept: `up` brings it back as it was.",
    )
    parser.add_argument("app", metavar="APP", help="the application's name, e.g. tutorial")
    parser.set_defaults(handler=run_down)


def run_down(args: argparse.Namespace) -> int:
    target = parse_target(args.app, max_depth=1)
    check_engine()  # before announcing: without an engine nothing stops
    console = Console()
    console.announce(f'Stopping application "{target.app}"')
    removed = lifecycle.down(target.app)
    if removed == 0:
        console.announce(f'Application "{target.app}" was not running')
    else:
        console.announce(f"Stopped {removed} container(s); data volumes kept")
    return 0

"""`destroy`: remove an application (or one service) with its data, images and state."""

from __future__ import annotations

import argparse

from dotcloud_emulator.api import lifecycle
from dotcloud_emulator.api.connect import check_engine
from dotcloud_emulator.cli.commands.common import Console, Subparsers, confirm
from dotcloud_emulator.platform.target import parse_target


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "destroy",
        help="remove an application or one service, data included",
        description="Remove the application's containers, network, data volumes, images and "
        "state (passwords, variables). With APP.SERVICE, remove only that service's containers, "
        "data volumes and password. Asks for confirmation unless -y is given.",
    )
    parser.add_argument("target", metavar="APP[.SERVICE]", help="e.g. tutorial or tutorial.session")
    parser.add_argument(
        "-y", "--assume-yes", action="store_true", help="do not ask for confirmation"
    )
    parser.set_defaults(handler=run_destroy)


def run_destroy(args: argparse.Namespace) -> int:
    target = parse_target(args.target, max_depth=2)
    what = f'"{target.text}"'
    question = (
        f"Destroy the application {what}?"
        if target.service is None
        else f"Destroy the service {what}?"
    )
    console = Console()
    if not confirm(question, assume_yes=args.assume_yes, what=f"destroy {what}"):
        console.announce("Cancelled")
        return 1
    check_engine()  # before announcing: without an engine nothing is destroyed
    console.announce(f"Destroying {what}")
    lifecycle.destroy(target.app, target.service)
    console.announce("Destroyed.")
    return 0

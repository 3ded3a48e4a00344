"""`restart APP.SVC[.N]`: restart one instance, or every instance of a service in turn."""

from __future__ import annotations

import argparse

from dotcloud_emulator.api import instances
from dotcloud_emulator.cli.commands.common import Console, Subparsers
from dotcloud_emulator.platform.target import parse_target


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "restart",
        help="restart a service's instances",
        description="Restart one instance (APP.SVC.N), or each instance of a service in turn "
        "(APP.SVC), waiting until it answers again before the next one. While an instance "
        "restarts, the gateway sends its traffic to the service's other instances, if any.",
    )
    parser.add_argument("target", metavar="APP.SVC[.N]", help="e.g. tutorial.www or tutorial.www.0")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.set_defaults(handler=run_restart)


def run_restart(args: argparse.Namespace) -> int:
    target = parse_target(args.target, require_service=True)
    selection = instances.select(target)
    console = Console(quiet=args.quiet)

    def restarted(number: int) -> None:
        console.announce(
            f"Service ({target.service}) instance #{number} of application "
            f"{target.app} has been restarted."
        )

    instances.restart(selection, target, console, restarted)
    return 0

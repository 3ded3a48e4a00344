"""`logs`: the output of an application's containers, each line prefixed with its instance."""

from __future__ import annotations

import argparse

from dotcloud_emulator.api import instances
from dotcloud_emulator.cli.commands.common import Subparsers
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.target import parse_target

DEFAULT_LINES = 100


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "logs",
        help="show the logs of an application, a service or an instance",
        description="Print the containers' logs, each line prefixed with its instance "
        "(`[www.0] ...`). With -f, keep following new lines until interrupted or until every "
        "container has stopped.",
    )
    parser.add_argument(
        "target", metavar="APP[.SERVICE[.N]]", help="e.g. tutorial, tutorial.www, tutorial.www.0"
    )
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    parser.add_argument(
        "-n",
        "--lines",
        type=int,
        default=DEFAULT_LINES,
        metavar="N",
        help=f"how many past lines to show per instance (default: {DEFAULT_LINES})",
    )
    parser.set_defaults(handler=run_logs)


def run_logs(args: argparse.Namespace) -> int:
    target = parse_target(args.target)
    if args.lines < 0:
        raise UsageError("--lines must be 0 or more")
    selection = instances.select(target, include_gateway=target.service is None)
    if args.follow:
        for line in instances.follow(selection, args.lines):
            print(line, flush=True)
    else:
        for line in instances.past_lines(selection, args.lines):
            print(line)
    return 0

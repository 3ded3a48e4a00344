"""`run`: a command (or a login shell) inside an instance, as user dotcloud, like `dotcloud run`."""

from __future__ import annotations

import argparse
import sys

from dotcloud_emulator.api import instances
from dotcloud_emulator.cli.commands.common import Console, Subparsers
from dotcloud_emulator.platform.target import parse_target


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a command, or open a shell, in an instance",
        description="Run COMMAND in a login shell (`bash -l -c`) as user dotcloud in "
        "~/current of the instance, or open an interactive login shell without COMMAND. "
        "Exits with the command's status.",
    )
    parser.add_argument(
        "target", metavar="APP.SERVICE[.N]", help="e.g. tutorial.www or tutorial.www.1"
    )
    parser.add_argument(
        "command",
        metavar="COMMAND",
        nargs=argparse.REMAINDER,
        help="the command and its arguments (put -- before it if it starts with a dash)",
    )
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    target = parse_target(args.target, require_service=True)
    command = strip_separator(args.command)
    selection = instances.select(target, whole_service=True)
    instance = instances.pick_instance(selection, target)
    where = f"service ({instance.service}) instance #{instance.number} (application {target.app})"
    console = Console()
    if command:
        console.announce(f'Executing "{" ".join(command)}" on {where}')
    else:
        console.announce(f"Opening a shell on {where}")
    return instances.run_in(instance, command, interactive=sys.stdin.isatty())


def strip_separator(command: list[str]) -> list[str]:
    return command[1:] if command[:1] == ["--"] else command

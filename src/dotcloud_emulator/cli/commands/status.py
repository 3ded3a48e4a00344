"""`status`: whether each instance of a service (or of every service) is up."""

from __future__ import annotations

import argparse

from dotcloud_emulator.api.services import AppView
from dotcloud_emulator.cli.commands.common import Console, Subparsers, add_json_flag, print_json
from dotcloud_emulator.errors import NoSuchService, NotRunning
from dotcloud_emulator.platform.target import parse_target


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show whether each instance is up",
        description="Probe every instance of a service (or of every service) and print "
        "`www.0: up` or `down`.",
    )
    parser.add_argument("target", metavar="APP[.SERVICE]", help="e.g. tutorial or tutorial.www")
    add_json_flag(parser)
    parser.set_defaults(handler=run_status)


def run_status(args: argparse.Namespace) -> int:
    target = parse_target(args.target, max_depth=2)
    statuses = AppView.open(target.app).statuses()
    known = list(dict.fromkeys(service for service, _ in statuses))
    if target.service is not None and target.service not in known:
        raise NoSuchService(target.app, target.service, known)
    services = [target.service] if target.service else known
    if not services:
        raise NotRunning(target.app)
    if args.json:
        print_json({label: state for (svc, label), state in statuses.items() if svc in services})
        return 0
    console = Console()
    for service in services:
        console.announce(f'Probing status for service "{service}"...')
        for (svc, label), state in statuses.items():
            if svc == service:
                print(f"{label}: {state}", flush=True)
    return 0
